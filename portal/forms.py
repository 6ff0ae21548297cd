from datetime import date

from django import forms
from django.utils import timezone

from collections_app.models import DisputeReason
from core.amount_input import AmountFormField


class SignInForm(forms.Form):
    email = forms.EmailField(label="Your billing e-mail address", max_length=254)


class DisputeForm(forms.Form):
    reason = forms.ChoiceField(label="What is wrong", choices=DisputeReason.choices)
    amount = AmountFormField(label="Amount you dispute")
    note = forms.CharField(
        label="Tell us more", widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )


class StatementForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    file_format = forms.ChoiceField(
        label="Format", choices=[("pdf", "PDF"), ("csv", "CSV")], initial="pdf"
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end date must be on or after the start date.")
        if end and end > timezone.localdate():
            self.add_error("end", "A statement can end today at the latest.")
        if start and start < date(2000, 1, 1):
            self.add_error("start", "A statement can start in 2000 at the earliest.")
        return data
