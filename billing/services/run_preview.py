"""The diff between two previews of a billing run for the same date."""

from __future__ import annotations

from billing.models import BillingRun, BillingRunStatus


def changes_since_last_preview(run: BillingRun) -> dict:
    """What a preview adds, removes and changes against the last preview for its date,
    with each contract's amount (the diff shows amounts, not only references)."""
    previous = (
        BillingRun.objects.filter(
            run_date=run.run_date, dry_run=True, status=BillingRunStatus.COMPLETED
        )
        .exclude(pk=run.pk)
        .order_by("-finished_at")
        .first()
    )
    if previous is None:
        return {"previous_preview": None}
    before = {row["contract"]: row for row in previous.preview}
    after = {row["contract"]: row for row in run.preview}
    added = [after[c]["reference"] for c in after.keys() - before.keys()]
    removed = [before[c]["reference"] for c in before.keys() - after.keys()]
    changed = [
        {
            "reference": after[c]["reference"],
            "before": before[c].get("total") or before[c].get("skipped"),
            "after": after[c].get("total") or after[c].get("skipped"),
        }
        for c in after.keys() & before.keys()
        if (before[c].get("total"), before[c].get("skipped"))
        != (after[c].get("total"), after[c].get("skipped"))
    ]
    return {
        "previous_preview": previous.pk,
        "added_totals": _totals_of(after, added),
        "removed_totals": _totals_of(before, removed),
        "added": sorted(added),
        "removed": sorted(removed),
        "changed": sorted(changed, key=lambda x: x["reference"]),
    }


def _totals_of(rows: dict, references: list[str]) -> list[dict]:
    """Per contract of a preview diff: its total (or why it is skipped) and currency."""
    wanted = set(references)
    return sorted(
        (
            {
                "reference": row["reference"],
                "currency": row["currency"],
                "total": row.get("total") or row.get("skipped"),
            }
            for row in rows.values()
            if row["reference"] in wanted
        ),
        key=lambda x: x["reference"],
    )
