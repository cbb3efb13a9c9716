"""Shared helpers for the quality tests: GX is imported once per session, so each gate run is ~0.1 s."""

from __future__ import annotations

from datetime import UTC, datetime

from catalog.record import QualitySummary

NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)


def failures(summary: QualitySummary, severity: str | None = None) -> list[str]:
    """Messages of the failed checks, optionally of one severity."""
    return [o.message for o in summary.outcomes if not o.success and severity in (None, o.severity)]


def the_failure(summary: QualitySummary, expectation: str) -> str:
    found = [o.message for o in summary.outcomes if not o.success and o.expectation == expectation]
    assert len(found) == 1, f"expected one failed {expectation}, got {found} (all: {failures(summary)})"
    return found[0]
