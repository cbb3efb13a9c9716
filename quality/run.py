"""Running a planned set of checks through GX: an in-memory context, one suite, one checkpoint, Data Docs.

GX is imported here, inside the functions, because the import costs seconds and hundreds of MB and most
users of `quality` (the CLI's --help, the catalog) never validate anything.

Why the context is ephemeral: stores live in memory, so GX writes nothing to disk except the Data Docs
site in the folder it is given (no gx/ project, no ~/.great_expectations), and analytics are off.

Why results are scrubbed before Data Docs are built: GX copies failing cell values into results by
default and exception texts (pandas errors) can quote cells. The result format asks for counts and row
positions only, and `scrub` removes any list of values or exception text that could still slip through;
only then is the scrubbed result stored and the Data Docs site built from it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from quality.docs import finish_site
from quality.model import Check

SITE_NAME = "kaifang"
DATASOURCE = "kaifang"
# Counts and row positions only: no values, no unexpected rows, no index query.
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": 20,
    "exclude_unexpected_values": True,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
}
_VALUE_KEYS = ("partial_unexpected_list", "partial_unexpected_counts", "unexpected_list", "unexpected_rows",
               "unexpected_index_query")
WITHHELD = "withheld: the error text may quote cell values"
CHECK_META = "kaifang_check"

log = logging.getLogger(__name__)
# GX keeps some process-wide state (the current project, registries); releases validated from
# concurrent Prefect task threads take turns, which costs little: a run takes well under a second.
_GX_LOCK = threading.Lock()


class QualityError(RuntimeError):
    """GX could not run the validation; the message names the error type only (its text may quote data)."""


def quiet_gx_environment() -> None:
    """Settings GX and tqdm read at import or run time: no analytics, no progress bars."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")


def run_checks(
    frame: pd.DataFrame, checks: Sequence[Check], *, suite_name: str, run_time: datetime,
    docs_dir: Path | None = None,
) -> list[dict[str, Any] | None]:
    """GX results (JSON dicts, scrubbed) in the order of `checks`; builds Data Docs when docs_dir is given."""
    return _guarded(suite_name, _run, frame, checks, suite_name=suite_name, run_time=run_time, docs_dir=docs_dir)


def _guarded(name: str, function: Any, /, *args: Any, **kwargs: Any) -> Any:
    """One GX run at a time; any error becomes a QualityError naming its type only."""
    with _GX_LOCK:
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            kind = type(exc).__name__
            raise QualityError(
                f"GX could not validate {name}: {kind} (details withheld: they may quote data)"
            ) from None


def _run(
    frame: pd.DataFrame, checks: Sequence[Check], *, suite_name: str, run_time: datetime,
    docs_dir: Path | None,
) -> list[dict[str, Any] | None]:
    quiet_gx_environment()
    from great_expectations.core.run_identifier import RunIdentifier

    import quality.expectations  # noqa: F401  registers Kaifang's custom expectations with GX

    context = _context(docs_dir)
    checkpoint = _checkpoint(context, suite_name, build_suite(suite_name, checks))
    run_id = RunIdentifier(run_name=suite_name, run_time=run_time)
    outcome = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run_id)

    by_check: dict[int, dict[str, Any]] = {}
    for key, suite_result in outcome.run_results.items():
        scrub(suite_result)
        name_asset(suite_result, suite_name)
        context.validation_results_store.set(key, suite_result)
        for result in suite_result.results:
            index = (result.expectation_config.meta or {}).get(CHECK_META)
            if index is not None:
                by_check[int(index)] = result.to_json_dict()
    _build_docs(context, docs_dir)
    return [by_check.get(i) for i in range(len(checks))]


def run_checks_chunked(
    source: Any, checks: Sequence[Check], aggregates: Any, *, suite_name: str, run_time: datetime,
    docs_dir: Path | None = None,
) -> list[dict[str, Any] | None]:
    """`run_checks` for a table given as chunks (`quality.chunked.Source`), never loaded whole.

    GX validates each chunk for the row-wise checks; every check is then evaluated once by its GX
    expectation on the metrics of the whole table (merged chunk results, or `aggregates`, a
    `quality.chunked.Aggregates` filled on the way), and one suite result, scrubbed, makes the Data Docs.
    """
    return _guarded(suite_name, _run_chunked, source, checks, aggregates, suite_name=suite_name, run_time=run_time,
                    docs_dir=docs_dir)


def _run_chunked(
    source: Any, checks: Sequence[Check], aggregates: Any, *, suite_name: str, run_time: datetime,
    docs_dir: Path | None,
) -> list[dict[str, Any] | None]:
    quiet_gx_environment()
    from great_expectations.core.run_identifier import RunIdentifier

    import quality.expectations  # noqa: F401  registers Kaifang's custom expectations with GX
    from quality.chunked import ROW_WISE, merged_row_wise, table_frame

    context = _context(docs_dir)
    row_wise = [i for i, check in enumerate(checks) if check.expectation in ROW_WISE]
    per_chunk = f"{suite_name} (row-wise, per chunk)"
    checkpoint = _checkpoint(context, suite_name, build_suite(per_chunk, [checks[i] for i in row_wise], row_wise))
    run_id = RunIdentifier(run_name=suite_name, run_time=run_time)
    bodies: dict[int, list[tuple[int, dict[str, Any]]]] = {i: [] for i in row_wise}
    raised: dict[int, Any] = {}
    offset, envelope = 0, None
    for chunk in source():
        frame = table_frame(chunk)
        aggregates.add(frame)
        outcome = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run_id)
        for stored in outcome.run_results:  # a chunk's own result, unscrubbed, is no part of the docs
            if context.validation_results_store.has_key(stored):
                context.validation_results_store.remove_key(stored)
        for envelope in outcome.run_results.values():
            for result in envelope.results:
                index = int((result.expectation_config.meta or {})[CHECK_META])
                if (result.exception_info or {}).get("raised_exception"):
                    raised.setdefault(index, result)
                else:
                    bodies[index].append((offset, dict(result.result or {})))
        offset += len(frame)
        del frame, chunk
    aggregates.locate(source)
    aggregates.profile_entities(source)

    whole = build_suite(suite_name, checks)
    expectations = {int(e.meta[CHECK_META]): e for e in whole.expectations}
    results = []
    for index, check in enumerate(checks):
        expectation = expectations[index]
        if index in raised:
            results.append(raised[index])
            continue
        if index in aggregates.broken:
            results.append(_failed(expectation))
            continue
        map_metric = getattr(expectation, "map_metric", None)
        metrics = (merged_row_wise(bodies[index], check, map_metric) if index in bodies
                   else aggregates.metrics(index, check, map_metric))
        try:
            evr = expectation._build_evr(expectation._validate(
                metrics=metrics, runtime_configuration={"result_format": dict(RESULT_FORMAT)}))
        except Exception:
            evr = _failed(expectation)
        if evr.exception_info is None:
            evr.exception_info = {"raised_exception": False, "exception_traceback": None, "exception_message": None}
        results.append(evr)

    assert envelope is not None  # more than one chunk came, or this path is not taken
    envelope.results = results
    envelope.success = all(r.success for r in results)
    passed = sum(1 for r in results if r.success)
    envelope.statistics = {"evaluated_expectations": len(results), "successful_expectations": passed,
                           "unsuccessful_expectations": len(results) - passed,
                           "success_percent": 100 * passed / len(results) if results else None}
    envelope.suite_name = suite_name
    scrub(envelope)
    name_asset(envelope, suite_name)
    context.suites.delete(per_chunk)
    context.suites.add(whole)
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    last = next(iter(outcome.run_results))
    key = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=suite_name), last.run_id, last.batch_identifier)
    context.validation_results_store.set(key, envelope)
    _build_docs(context, docs_dir)
    return [r.to_json_dict() for r in results]


def _checkpoint(context: Any, name: str, suite: Any) -> Any:
    """A checkpoint validating a dataframe batch (given at run time) against `suite`, with no actions."""
    import great_expectations as gx

    asset = context.data_sources.add_pandas(DATASOURCE).add_dataframe_asset(name)
    batch = asset.add_batch_definition_whole_dataframe("release")
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch, suite=context.suites.add(suite))
    )
    return context.checkpoints.add(
        gx.Checkpoint(name=name, validation_definitions=[definition], result_format=RESULT_FORMAT, actions=[])
    )


def _build_docs(context: Any, docs_dir: Path | None) -> None:
    if docs_dir is not None:
        context.build_data_docs(site_names=[SITE_NAME])
        finish_site(docs_dir)
        log.info("Data Docs written to %s", docs_dir)


def _failed(expectation: Any) -> Any:
    """The result of a check that could not be evaluated (a column it names is missing)."""
    from great_expectations.core.expectation_validation_result import ExpectationValidationResult

    return ExpectationValidationResult(
        success=False, expectation_config=expectation.configuration, result={},
        exception_info={"raised_exception": True, "exception_message": WITHHELD, "exception_traceback": WITHHELD},
    )


def build_suite(name: str, checks: Sequence[Check], indices: Sequence[int] | None = None) -> Any:
    """An ExpectationSuite of the planned checks; the check's index in `meta` maps results back
    (`indices`: the checks' positions in the whole plan, when these are some of them)."""
    import great_expectations as gx
    from great_expectations.expectations.registry import get_expectation_impl

    import quality.expectations  # noqa: F401

    suite = gx.ExpectationSuite(name=name)
    for index, check in zip(indices if indices is not None else range(len(checks)), checks, strict=True):
        expectation_class = get_expectation_impl(check.expectation)
        suite.add_expectation(
            expectation_class(
                **check.kwargs,
                severity=check.severity,
                meta={CHECK_META: index, "origin": check.origin, "severity": check.severity},
                notes=f"[{check.severity}] {check.about}",
                catch_exceptions=True,
            )
        )
    return suite


def name_asset(suite_result: Any, asset_name: str) -> None:
    """Name the data asset where Data Docs look for it (else their header reads "Data asset: None")."""
    meta = suite_result.meta if isinstance(suite_result.meta, dict) else {}
    spec = meta.get("batch_spec")
    if isinstance(spec, dict):
        spec["data_asset_name"] = asset_name
    else:
        meta["batch_spec"] = {"data_asset_name": asset_name}
    suite_result.meta = meta


def scrub(suite_result: Any) -> None:
    """Remove anything from a suite result that could hold a cell value; keep counts and positions."""
    for result in suite_result.results:
        body = result.result or {}
        for name in _VALUE_KEYS:
            body.pop(name, None)
        result.exception_info = _scrub_exception(result.exception_info or {})


def _scrub_exception(info: dict[str, Any]) -> dict[str, Any]:
    if "raised_exception" in info:
        if not info.get("raised_exception"):
            return info
        return {"raised_exception": True, "exception_message": WITHHELD, "exception_traceback": WITHHELD}
    return {
        key: {"raised_exception": True, "exception_message": WITHHELD, "exception_traceback": WITHHELD}
        for key in info
    }


def _without_batch_fingerprints() -> None:
    """GX fingerprints every pandas batch under 1 GB (an MD5 of ``hash_pandas_object`` of all its cells)
    for the batch markers, and the Data Docs then show the last chunk's: a figure about one chunk on the
    page of a whole table, and about 0.1 CPU-s per 100,000-row chunk. Its module threshold is the one
    switch GX has: a threshold of 0 bytes fingerprints no batch."""
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0


def _context(docs_dir: Path | None) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites: dict[str, Any] = {}
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        sites[SITE_NAME] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir.resolve()),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    _without_batch_fingerprints()
    return gx.get_context(mode="ephemeral", project_config=config)
