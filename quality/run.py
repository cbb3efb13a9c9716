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
    with _GX_LOCK:
        try:
            return _run(frame, checks, suite_name=suite_name, run_time=run_time, docs_dir=docs_dir)
        except Exception as exc:
            kind = type(exc).__name__
            raise QualityError(
                f"GX could not validate {suite_name}: {kind} (details withheld: they may quote data)"
            ) from None


def _run(
    frame: pd.DataFrame, checks: Sequence[Check], *, suite_name: str, run_time: datetime,
    docs_dir: Path | None,
) -> list[dict[str, Any] | None]:
    quiet_gx_environment()
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    import quality.expectations  # noqa: F401  registers Kaifang's custom expectations with GX

    context = _context(docs_dir)
    asset = context.data_sources.add_pandas(DATASOURCE).add_dataframe_asset(suite_name)
    batch = asset.add_batch_definition_whole_dataframe("release")
    suite = context.suites.add(build_suite(suite_name, checks))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=suite_name, validation_definitions=[definition], result_format=RESULT_FORMAT, actions=[]
        )
    )
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
    if docs_dir is not None:
        context.build_data_docs(site_names=[SITE_NAME])
        finish_site(docs_dir)
        log.info("Data Docs written to %s", docs_dir)
    return [by_check.get(i) for i in range(len(checks))]


def build_suite(name: str, checks: Sequence[Check]) -> Any:
    """An ExpectationSuite of the planned checks; the check's index in `meta` maps results back."""
    import great_expectations as gx
    from great_expectations.expectations.registry import get_expectation_impl

    import quality.expectations  # noqa: F401

    suite = gx.ExpectationSuite(name=name)
    for index, check in enumerate(checks):
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
    return gx.get_context(mode="ephemeral", project_config=config)
