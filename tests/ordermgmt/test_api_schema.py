"""The whole /api/v1/ OpenAPI schema generates with no warning and no error: every
choice set has one name (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"])."""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def test_the_whole_schema_has_no_warnings_and_names_each_choice_set_once():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert dict(GENERATOR_STATS._error_cache) == {}
    assert dict(GENERATOR_STATS._warn_cache) == {}
    components = schema["components"]["schemas"]
    for name in ["DisputeReasonEnum", "DisputeResolutionEnum", "SyncIssueResolutionEnum"]:
        assert name in components, name
    assert not [n for n in components if n.startswith(("Reason", "Resolution"))]
