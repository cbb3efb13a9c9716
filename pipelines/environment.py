"""Process environment for Prefect and friends, set before they are imported.

Prefect reads its settings at import time, so the CLI calls `prepare_environment()` first:
its home goes inside the working folder (a missing $HOME must not break a run), telemetry is off,
and nothing is persisted as a task result unless a task asks for it.
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR_ENV = "KAIFANG_STATE"


def state_dir() -> Path:
    """Where Kaifang keeps machine-local state (Prefect home, default key file): $KAIFANG_STATE, else the
    project's (pipelines/project.py), else ./.kaifang."""
    if os.environ.get(STATE_DIR_ENV):
        return Path(os.environ[STATE_DIR_ENV]).resolve()
    from pipelines.project import current

    project = current()
    return (project.state if project is not None else Path.cwd() / ".kaifang").resolve()


def prepare_environment() -> None:
    defaults = {
        "PREFECT_HOME": str(state_dir() / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # Failures reach the user as one line in the run summary; Prefect's console tracebacks
        # would bury it (they still go to the Prefect API and UI).
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
        "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL": "CRITICAL",
        # …while the stages' rows and seconds reach the run logs in the API and UI (pipelines/progress.py).
        "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
        "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO",
        "PREFECT_UI_ENABLED": "false",
        "GX_ANALYTICS_ENABLED": "false",
        "TQDM_DISABLE": "1",
        # A fresh Prefect home migrates its database at the first start: slow on a small loaded machine.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        # jieba's dictionary cache (detectors/persons.py), reused by every later run of the project.
        "KAIFANG_JIEBA_CACHE_DIR": str(state_dir()),
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    for folder in ("PREFECT_HOME", "KAIFANG_JIEBA_CACHE_DIR"):
        Path(os.environ[folder]).mkdir(parents=True, exist_ok=True)
