"""Every model the admin lists is named in correct English, one and many."""

import re

import pytest
from django.contrib import admin

OUR_APPS = {
    "billing",
    "ordermgmt",
    "collections_app",
    "revenue",
    "salesforce_sync",
    "stripe_billing",
}

# Words that take -es, or -ies, and that Django's "add an s" gets wrong.
NEEDS_ES = re.compile(r"(s|x|z|ch|sh)$")
CONSONANT_Y = re.compile(r"[^aeiou]y$")


def _registered_models():
    return sorted(
        (m for m in admin.site._registry if m._meta.app_label in OUR_APPS),
        key=lambda m: m._meta.label,
    )


def test_the_admin_registers_models_of_each_of_our_apps():
    assert {m._meta.app_label for m in _registered_models()} == OUR_APPS


@pytest.mark.parametrize("model", _registered_models(), ids=lambda m: m._meta.label)
def test_each_admin_model_has_a_correct_plural_name(model):
    singular, plural = str(model._meta.verbose_name), str(model._meta.verbose_name_plural)
    last = singular.split()[-1]
    assert not singular.endswith(")") or not plural.endswith(")s"), plural
    if plural == f"{singular}s":
        assert not NEEDS_ES.search(last), plural
        assert not CONSONANT_Y.search(last), plural
