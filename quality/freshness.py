"""How late a release may come after the previous one, given the dataset's declared update frequency.

The measures ask publishers to keep data current at the frequency they declare; a release much later
than that means consumers were served stale data, which a quality officer wants to see (a warning:
the late data is still better published than withheld).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Nominal period of each frequency; irregular and never have no deadline.
PERIODS: dict[str, timedelta] = {
    "realtime": timedelta(days=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "monthly": timedelta(days=31),
    "quarterly": timedelta(days=92),
    "semiannual": timedelta(days=183),
    "annual": timedelta(days=366),
}
UNSCHEDULED = ("irregular", "never")
DEFAULT_GRACE = 0.5


def allowed_gap(update_frequency: str, grace: float = DEFAULT_GRACE) -> timedelta | None:
    """Longest gap between two releases before the later one counts as late; None when unscheduled."""
    if update_frequency in UNSCHEDULED:
        return None
    try:
        period = PERIODS[update_frequency]
    except KeyError:
        known = ", ".join([*PERIODS, *UNSCHEDULED])
        raise ValueError(f"unknown update frequency '{update_frequency}'; expected one of {known}") from None
    return period * (1 + grace)


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, so release times from different sources compare."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def days(delta: timedelta) -> float:
    return round(delta.total_seconds() / 86400, 2)
