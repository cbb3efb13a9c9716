"""Shared fixtures: an isolated Prefect home and key per test session, and a scratch project."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the same examples every time (a red CI must mean a change broke something); local runs
# keep exploring new examples. Set HYPOTHESIS_PROFILE=explore to explore in CI too.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "explore"))

ROOT = Path(__file__).resolve().parent.parent
_SESSION_STATE = Path(tempfile.mkdtemp(prefix="kaifang-tests-"))

# Before anything imports Prefect or GX: their state lives in a throwaway folder.
os.environ["KAIFANG_STATE"] = str(_SESSION_STATE)
os.environ["PREFECT_HOME"] = str(_SESSION_STATE / "prefect")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ["KAIFANG_PSEUDONYM_KEY"] = "test-key-0123456789abcdef0123456789"
os.environ.pop("PREFECT_API_URL", None)


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session (starting one costs ~10 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield _SESSION_STATE / "prefect"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of configs/ (specs, policy, samples) in a scratch folder, with a catalog folder beside it."""
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    (tmp_path / "catalog").mkdir()
    return tmp_path
