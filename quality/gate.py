"""The release gate: plan the checks, run them through GX, and summarise them for the release record.

`validate_release` is what the pipeline's validate stage and `kaifang validate` call, on exactly the
DataFrame that will be published. A release passes unless a critical check fails; warnings are reported
and published with the Data Docs but do not block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from catalog.record import QualitySummary
from quality import freshness
from quality.chunked import Aggregates, Source, published_types_of, table_frame
from quality.messages import outcome
from quality.model import Check, PreviousRelease
from quality.plan import plan_checks
from quality.run import run_checks, run_checks_chunked


def validate_release(
    df: pd.DataFrame,
    *,
    dataset_id: str,
    key: Sequence[str] = (),
    expectations: Sequence[Mapping[str, Any]] = (),
    previous: PreviousRelease | None = None,
    update_frequency: str = "irregular",
    now: datetime | None = None,
    quasi_identifiers: Sequence[str] = (),
    k: int = 1,
    published_as_is: Sequence[str] = (),
    sensitive_entities: Sequence[str] = (),
    synthetic: Mapping[str, str] | None = None,
    docs_dir: Path | None = None,
    identifier_entities: Sequence[str] | None = None,
    min_share: float = 0.5,
    row_count_tolerance: float = 0.5,
    freshness_grace: float = freshness.DEFAULT_GRACE,
) -> QualitySummary:
    """Validate the table to be published; write its Data Docs under `docs_dir` when given.

    `failed_critical` and `failed_warning` hold the plain-words messages of the failed checks;
    `docs_index` is the Data Docs index relative to docs_dir's parent (the release folder).
    `identifier_entities` are the entity types no transformed column may hold raw (default
    `quality.privacy.IDENTIFIER_ENTITIES`, plus `sensitive_entities`); `min_share` is the policy's share
    for calling a column an entity, used to judge columns published as is. `synthetic` maps columns of
    surrogates (realistic fakes) to their entity, which is expected there and not a residual identifier.
    """
    now = freshness.as_utc(now or datetime.now(UTC))
    frame = _published_frame(df)
    checks = plan_checks(
        frame, key=key, expectations=expectations, previous=previous, update_frequency=update_frequency,
        now=now, quasi_identifiers=quasi_identifiers, k=k, published_as_is=published_as_is,
        sensitive_entities=sensitive_entities, identifier_entities=identifier_entities, min_share=min_share,
        synthetic=synthetic, row_count_tolerance=row_count_tolerance,
        freshness_grace=freshness_grace,
    )
    docs_dir = Path(docs_dir) if docs_dir is not None else None
    results = run_checks(frame, checks, suite_name=dataset_id, run_time=now, docs_dir=docs_dir)
    return _summary(checks, results, len(frame), list(frame.columns), docs_dir)


def validate_release_chunks(
    source: Source, *, dataset_id: str, types: Mapping[str, str] | None = None, **options: Any,
) -> QualitySummary:
    """`validate_release` of a table given as chunks (`source(columns=None)` starts a fresh pass).

    A table of one chunk is validated exactly as `validate_release` validates it. A larger one is never
    loaded: GX validates each chunk for the row-wise checks and evaluates the others on aggregates
    (`quality.chunked`), and the Data Docs hold one result for the release. `types`: the published
    types when the caller knows them (else a first pass works them out). `profiled`: detectors'
    `EntityCounts` of this same table when the caller has profiled it (the guard has), so that the
    residual-identifier checks do not profile it again. Other options as `validate_release`.
    """
    profiled = options.pop("profiled", None)
    chunks = source()
    first, second = next(chunks, None), next(chunks, None)
    if second is None:
        del chunks
        return validate_release(first if first is not None else pd.DataFrame(), dataset_id=dataset_id, **options)
    del chunks, first, second
    now = freshness.as_utc(options.pop("now", None) or datetime.now(UTC))
    docs_dir = options.pop("docs_dir", None)
    docs_dir = Path(docs_dir) if docs_dir is not None else None
    names = [str(c) for c in next(source(), pd.DataFrame()).columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"the table has repeated column names: {', '.join(repeated)}")
    types = dict(types) if types is not None else published_types_of(table_frame(c) for c in source())
    checks = plan_checks(pd.DataFrame(columns=names), types=types, now=now, **options)
    aggregates = Aggregates(checks)
    aggregates.types, aggregates.profiled = types, profiled
    results = run_checks_chunked(source, checks, aggregates, suite_name=dataset_id, run_time=now, docs_dir=docs_dir)
    return _summary(checks, results, aggregates.rows, names, docs_dir)


def _summary(checks: list[Check], results: list[dict[str, Any] | None], total: int, columns: list[str],
             docs_dir: Path | None) -> QualitySummary:
    outcomes = [
        outcome(check, result, total=total, columns=columns)
        for check, result in zip(checks, results, strict=True)
    ]
    failed = [o for o in outcomes if not o.success]
    return QualitySummary(
        passed=not any(o.severity == "critical" for o in failed),
        evaluated=len(outcomes),
        failed_critical=[o.message for o in failed if o.severity == "critical"],
        failed_warning=[o.message for o in failed if o.severity == "warning"],
        outcomes=outcomes,
        docs_index=f"{docs_dir.name}/index.html" if docs_dir is not None else None,
    )


def _published_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with text column names and a 0..n-1 index, so GX names failing rows by position."""
    names = [str(c) for c in df.columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"the table has repeated column names: {', '.join(repeated)}")
    frame = df.reset_index(drop=True)
    frame.columns = names
    return frame
