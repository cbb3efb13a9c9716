"""Annual opening plans (Art. 10 ¶1-2, Art. 11): per agency and year, the datasets it plans to open.

Plans are YAML files in configs/plans/ (one per agency and year), reviewed and versioned like release
specs and checked the same way: unknown keys and bad values are refused with the file, the key and
what was expected. A plan is fulfilled by the catalog, not by hand: a planned dataset counts as opened
on the date of its first release in a class other than not open (matched by dataset id), on time when
that date is on or before the planned date and the class is at least as open as the one sought.

    agency: 济南市交通运输局
    year: 2026
    datasets:
      - {id: bus-ridership, title: 公交客流统计, class_sought: unconditional, priority: 公共服务, planned: 2026-06-30}
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from catalog.entry import published_class
from catalog.store import DATASET_ID, CatalogStore
from pipelines.spec import OpenClass, SpecError, _Strict, validated_file

# The year's priority areas the measures name (Art. 10 ¶1).
PRIORITIES = ("数字经济", "公共服务", "公共安全", "社会治理", "民生")
Priority = Literal["数字经济", "公共服务", "公共安全", "社会治理", "民生"]
PlanStatus = Literal["planned", "overdue", "opened_on_time", "opened_late", "opened_lower_class"]
STATUS_ZH = {"planned": "计划开放", "overdue": "逾期未开放", "opened_on_time": "按期开放", "opened_late": "逾期开放",
             "opened_lower_class": "已开放（低于计划类别）"}


class PlannedDataset(_Strict):
    id: str = Field(description="The dataset id its release spec will carry.")
    title: str = Field(min_length=2, max_length=200)
    class_sought: Literal["conditional", "unconditional"]
    priority: Priority
    planned: date

    @field_validator("id")
    @classmethod
    def _dataset_id(cls, value: str) -> str:
        if not DATASET_ID.match(value):
            raise ValueError("use 3-80 lowercase letters, digits and dashes")
        return value


class OpeningPlan(_Strict):
    agency: str = Field(min_length=2, max_length=200)
    year: int = Field(ge=2000, le=2100)
    datasets: list[PlannedDataset] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> OpeningPlan:
        for item in self.datasets:
            if item.planned.year != self.year:
                raise ValueError(f"datasets: {item.id}: planned date lies outside the plan year {self.year}")
        twice = [i for i, n in Counter(d.id for d in self.datasets).items() if n > 1]
        if twice:
            raise ValueError(f"datasets: {twice[0]} is planned twice")
        return self


class LoadedPlan(_Strict):
    plan: OpeningPlan
    path: Path
    sha256: str


def load_plan(path: str | Path) -> LoadedPlan:
    path = Path(path)
    plan = validated_file(path, OpeningPlan)
    return LoadedPlan(plan=plan, path=path.resolve(), sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def load_plans(folder: str | Path) -> list[LoadedPlan]:
    """Every plan in a folder (or one file); a dataset planned by two plans of the same year is an error."""
    folder = Path(folder)
    paths = [folder] if folder.is_file() else sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    plans = [load_plan(p) for p in paths]
    seen: dict[tuple[int, str], Path] = {}
    for loaded in plans:
        for item in loaded.plan.datasets:
            key = (loaded.plan.year, item.id)
            if key in seen:
                raise SpecError(f"{loaded.path}: datasets: {item.id} is also planned for {key[0]} in {seen[key]}")
            seen[key] = loaded.path
    return plans


def opened(store: CatalogStore, dataset_id: str) -> tuple[date | None, str | None, int | None]:
    """(date of the first release in an open class, the class now, that release's version), from the catalog."""
    latest = store.latest(dataset_id)
    if latest is None:
        return None, None, None
    for version in store.versions(dataset_id):
        record = store.release(dataset_id, version)
        if record is not None and published_class(record) != "not_open" and record.published_at:
            return record.published_at.date(), published_class(latest), version
    return None, published_class(latest), None


def status_of(item: PlannedDataset, opened_on: date | None, current: str | None, today: date) -> PlanStatus:
    if opened_on is None or current in (None, "not_open"):
        return "overdue" if today > item.planned else "planned"
    if OpenClass(current).openness < OpenClass(item.class_sought).openness:
        return "opened_lower_class"
    return "opened_on_time" if opened_on <= item.planned else "opened_late"


def plan_rows(store: CatalogStore, plans: list[LoadedPlan], today: date, year: int | None = None
              ) -> list[dict[str, Any]]:
    """One row per planned dataset, with what the catalog says about it."""
    rows = []
    for loaded in plans:
        plan = loaded.plan
        if year is not None and plan.year != year:
            continue
        for item in sorted(plan.datasets, key=lambda d: (d.planned, d.id)):
            opened_on, current, version = opened(store, item.id)
            status = status_of(item, opened_on, current, today)
            rows.append({"agency": plan.agency, "year": plan.year, **item.model_dump(mode="json"),
                         "opened": opened_on.isoformat() if opened_on else None, "current_class": current,
                         "first_open_version": version, "status": status, "status_zh": STATUS_ZH[status]})
    return rows


def report(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per agency and year: planned, opened, on time, late, lower class, overdue, still planned."""
    by_agency: dict[tuple[str, int], Counter[str]] = {}
    for row in rows:
        by_agency.setdefault((row["agency"], row["year"]), Counter())[row["status"]] += 1
    out = []
    for (agency, year), counts in sorted(by_agency.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        planned = sum(counts.values())
        on_time = counts["opened_on_time"]
        out.append({"agency": agency, "year": year, "planned": planned,
                    "opened": on_time + counts["opened_late"] + counts["opened_lower_class"], "on_time": on_time,
                    "late": counts["opened_late"], "lower_class": counts["opened_lower_class"],
                    "overdue": counts["overdue"], "pending": counts["planned"],
                    "on_time_share": round(on_time / planned, 3) if planned else 0.0})
    return out
