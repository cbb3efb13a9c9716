"""Plain data passed into the quality stage and between its modules (no GX, no pipeline types)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Severity = Literal["critical", "warning"]
SEVERITIES: tuple[str, ...] = ("critical", "warning")


@dataclass(frozen=True)
class PreviousRelease:
    """What the dataset's latest published release looked like, to catch drift from it.

    `columns` maps each published column to its type (the `PublishedColumn.type` names).
    """

    row_count: int
    columns: Mapping[str, str] = field(default_factory=dict)
    released_at: datetime | None = None


@dataclass(frozen=True)
class Check:
    """One planned expectation: the GX expectation type and arguments, plus what a reader needs.

    `about` says in plain words what is asked (it becomes the expectation's note in Data Docs and the
    message when it holds); `facts` carries figures the failure message quotes (never cell values).
    """

    expectation: str
    kwargs: Mapping[str, Any]
    severity: Severity
    about: str
    column: str | None = None
    origin: Literal["default", "spec", "privacy"] = "default"
    facts: Mapping[str, Any] = field(default_factory=dict)
