"""Shared fixtures of the catalog tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.store import CatalogStore
from tests.catalog.helpers import build_catalog


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the portal in a real headless Chromium (/usr/bin/chromium)")


@pytest.fixture
def sample_catalog(tmp_path: Path) -> Iterator[CatalogStore]:
    store = build_catalog(tmp_path)
    yield store
    store.close()
