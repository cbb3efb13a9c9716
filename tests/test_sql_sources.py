"""SQL sources: agencies' tables read straight from SQLite and from a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from pipelines.extract import sql_chunks
from pipelines.samples import enterprise_rows

POSTGRES_URL = os.environ.get("KAIFANG_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="module")
def postgres_table():
    """The enterprise sample loaded into a uniquely named PostgreSQL table, dropped afterwards."""
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError:
        pytest.skip(f"PostgreSQL is not running at {POSTGRES_URL} (.ci/run starts it; or set KAIFANG_TEST_POSTGRES)")
    table = f"enterprise_{uuid.uuid4().hex[:8]}"
    pd.DataFrame(enterprise_rows()).to_sql(table, engine, index=False)
    yield table
    with engine.begin() as connection:
        connection.execute(sa.text(f'drop table if exists "{table}"'))
    engine.dispose()


@pytest.mark.postgres
def test_a_postgres_table_and_query_are_read_as_text(postgres_table):
    table = pd.concat(list(sql_chunks(POSTGRES_URL, postgres_table, None)))
    assert len(table) == 400 and "统一社会信用代码" in table.columns
    query = f'select "企业名称" from "{postgres_table}" where "注册资本_万元" >= 1000'
    assert 0 < len(pd.concat(list(sql_chunks(POSTGRES_URL, None, query)))) < 400


@pytest.mark.postgres
@pytest.mark.slow
def test_a_dataset_is_released_from_postgres(prefect_harness, project, postgres_table):
    from pipelines.flows import release_folder

    path = project / "configs" / "datasets" / "enterprise-operations.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["source"] = {"sql": {"url": POSTGRES_URL, "table": postgres_table}}
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    [record] = release_folder(str(path), str(project / "catalog"), str(project / "configs" / "policy.yaml"))
    assert record["status"] == "published", record.get("failure")
    assert record["rows_in"] == 400
    assert record["decision"]["published_class"] == "unconditional"


@pytest.mark.postgres
def test_a_missing_table_is_one_line(postgres_table):
    from pipelines.extract import SourceError

    with pytest.raises(SourceError, match=r"^the SQL source rejected the query \(postgresql\+psycopg://"):
        list(sql_chunks(POSTGRES_URL, "no_such_table_here", None))


@pytest.mark.postgres
def test_a_refused_extract_leaves_no_transaction_open_on_the_source(postgres_table, tmp_path):
    """A header refused at extract closes the source: the table can be dropped at once afterwards."""
    from pipelines.extract import SourceError, write_raw

    query = f'select "企业名称" as "联系人13812345678" from "{postgres_table}"'
    with pytest.raises(SourceError):
        write_raw(sql_chunks(POSTGRES_URL, None, query), tmp_path / "raw.parquet")
    engine = sa.create_engine(POSTGRES_URL)
    with engine.connect() as connection:
        open_ones = connection.execute(sa.text(
            "select count(*) from pg_stat_activity where state = 'idle in transaction' "
            "and query like :q"), {"q": f'%{postgres_table}%'}).scalar()
    engine.dispose()
    assert open_ones == 0
