"""The demo book reads as a real one: no deal won in the future, and the deal desk's
reviews were opened when their deals closed and decided hours to days later, spread over
weeks (not all decided in the moment the book was loaded)."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from ordermgmt.models import DealDeskDecision, DealDeskReview, Opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_book():
    call_command("load_demo_data", "--seed", "5", "--accounts", "20", "--contracts", "60")


def test_no_demo_deal_closes_after_today(demo_book):
    assert not Opportunity.objects.filter(close_date__gt=timezone.localdate()).exists()


def test_demo_reviews_take_hours_to_days_and_spread_over_weeks(demo_book):
    now = timezone.now()
    decided = list(DealDeskReview.objects.exclude(decided_at=None))
    assert len(decided) >= 5
    hours = sorted((r.decided_at - r.opened_at).total_seconds() / 3600 for r in decided)
    assert hours[0] > 0 and hours[len(hours) // 2] >= 1  # a median of hours, not 0 h
    assert all(r.decided_at <= now for r in decided)
    weeks = {r.decided_at.isocalendar()[:2] for r in decided}
    assert len(weeks) >= 3
    for review in decided:
        times = set(
            DealDeskDecision.objects.filter(review=review).values_list("created_at", flat=True)
        )
        assert times <= {review.decided_at}
