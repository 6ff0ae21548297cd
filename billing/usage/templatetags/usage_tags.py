"""Usage cards for existing pages: commitment balances on the customer page, recent
threshold alerts on the home page."""

from django import template
from django.utils import timezone

from billing.usage.charts import burn_down_charts
from billing.usage.selectors import commitment_balances, commitments_for, recent_alerts

register = template.Library()


@register.inclusion_tag("usage/balances_card.html", takes_context=True)
def usage_balances(context, account):
    user = context["request"].user
    if not user.has_perm("usage.view_commitment"):
        return {"balances": None}
    today = timezone.localdate()
    rows = commitment_balances(commitments_for(account_id=account.pk), today)
    charts = burn_down_charts(rows, today)
    return {"balances": rows, "charts": [(row, charts[row.commitment.pk]) for row in rows]}


@register.inclusion_tag("usage/alerts_card.html", takes_context=True)
def usage_alerts(context):
    user = context["request"].user
    if not user.has_perm("usage.view_balancealert"):
        return {"alerts": None}
    return {"alerts": list(recent_alerts())}
