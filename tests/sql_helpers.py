"""The database servers of these machines, for the SQL source tests (skipped where one is not running)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

POSTGRES_URL = os.environ.get("KAIFANG_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("KAIFANG_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test")


def server_engine(url: str) -> sa.Engine:
    """An engine on a running server, or the test is skipped naming the URL."""
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    except (sa.exc.OperationalError, ModuleNotFoundError):
        engine.dispose()
        pytest.skip(f"no database server at {url} (.ci/run starts it)")
    return engine
