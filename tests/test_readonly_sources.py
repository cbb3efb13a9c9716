"""A release never changes an agency's database: every hostile query variant leaves the victim table whole.

Each server is the real one of this machine (PostgreSQL, MariaDB) or a real SQLite file; each guard is
also tested alone (the parser refuses, and a write that slips past the parser fails in the read-only
transaction), so losing one guard does not silently lose the protection.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from pipelines.extract import SourceError, sql_chunks
from pipelines.sql_source import QueryRefused, check_read_only, read_only_engine, read_only_transaction
from tests.sql_helpers import MARIADB_URL, POSTGRES_URL, server_engine


def hostile_queries(victim: str, quote: str) -> list[str]:
    name = f"{quote}{victim}{quote}"
    return [
        f"DROP TABLE {name}",
        f"DELETE FROM {name}",
        f"SELECT 1; DROP TABLE {name}",
        f"DROP TABLE {name}; COMMIT; SELECT 1",
        f"SELECT * FROM {name}; DELETE FROM {name}",
        f"WITH gone AS (DELETE FROM {name} RETURNING *) SELECT * FROM gone",
        f"WITH t AS (SELECT 1 AS a) UPDATE {name} SET id = 0",
        f"SELECT * INTO {quote}{victim}_copy{quote} FROM {name}",
        f"SELECT * FROM {name} FOR UPDATE",
        f"INSERT INTO {name} SELECT * FROM {name}",
        f"TRUNCATE TABLE {name}",
        f"CREATE TABLE {quote}{victim}_x{quote} AS SELECT * FROM {name}",
    ]


def assert_survives(engine: sa.Engine, victim: str, quote: str, rows: int = 3) -> None:
    with engine.connect() as connection:
        count = connection.execute(sa.text(f"SELECT count(*) FROM {quote}{victim}{quote}")).scalar_one()
    assert count == rows


def assert_refused_in_one_line(url: str, query: str, victim: str) -> str:
    """Refused with one line that does not quote the query (here: never names the victim table)."""
    with pytest.raises(SourceError) as caught:
        list(sql_chunks(url, None, query))
    message = str(caught.value)
    assert "\n" not in message and victim not in message
    return message


# ----- the parser alone ------------------------------------------------------------------------------


@pytest.mark.parametrize("query", hostile_queries("victim", '"'))
@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_the_parser_refuses_every_writing_variant(query, dialect):
    with pytest.raises(QueryRefused):
        check_read_only(query, dialect)


@pytest.mark.parametrize("query", [
    "select a, b from t where a > 1",
    "select a from t union all select a from u",
    "with x as (select a from t) select * from x",
    'select "姓名" from "参保" order by 1 limit 5',
])
def test_plain_selects_pass_the_parser(query):
    check_read_only(query, "postgresql")


@given(st.sampled_from(["DELETE FROM v", "DROP TABLE v", "UPDATE v SET a = 1", "INSERT INTO v VALUES (1)",
                        "CREATE TABLE w (a int)", "TRUNCATE v", "GRANT ALL ON v TO public", "SET x = 1"]),
       st.sampled_from(["SELECT 1", "SELECT a FROM v", "WITH c AS (SELECT 1) SELECT * FROM c"]),
       st.booleans())
def test_a_write_next_to_a_select_is_always_refused(write, select, write_first):
    query = f"{write}; {select}" if write_first else f"{select}; {write}"
    with pytest.raises(QueryRefused):
        check_read_only(query, "postgresql")


# ----- SQLite ----------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_victim(tmp_path) -> Iterator[tuple[str, sa.Engine]]:
    db = tmp_path / "agency.sqlite"
    with sqlite3.connect(db) as connection:
        connection.execute("create table victim (id integer, name text)")
        connection.executemany("insert into victim values (?, ?)", [(1, "a"), (2, "b"), (3, "c")])
    engine = sa.create_engine(f"sqlite:///{db}")
    yield f"sqlite:///{db}", engine
    engine.dispose()


@pytest.mark.parametrize("index", range(len(hostile_queries("victim", '"'))))
def test_sqlite_victim_survives(sqlite_victim, index):
    url, engine = sqlite_victim
    assert_refused_in_one_line(url, hostile_queries("victim", '"')[index], "victim")
    assert_survives(engine, "victim", '"')


def test_sqlite_is_opened_read_only_even_past_the_parser(sqlite_victim):
    url, engine = sqlite_victim
    guarded = read_only_engine(sa.make_url(url), "sqlite")
    with pytest.raises(sa.exc.OperationalError), read_only_transaction(guarded, "sqlite") as connection:
        connection.exec_driver_sql("DELETE FROM victim")
    guarded.dispose()
    assert_survives(engine, "victim", '"')


def test_a_table_name_cannot_smuggle_sql(sqlite_victim):
    url, engine = sqlite_victim
    with pytest.raises(SourceError, match="rejected the query"):
        list(sql_chunks(url, 'victim"; DROP TABLE victim; --', None))
    assert_survives(engine, "victim", '"')
    assert len(pd.concat(list(sql_chunks(url, "main.victim", None)))) == 3


# ----- PostgreSQL ------------------------------------------------------------------------------------


SERVERS = {  # url, identifier quote, a function that deletes every row of the table it is given
    "postgresql": (POSTGRES_URL, '"', 'create function "{v}_wipe"() returns int language plpgsql as '
                                      '$$ begin delete from "{v}"; return 1; end $$'),
    "mysql": (MARIADB_URL, "`", "create function `{v}_wipe`() returns int modifies sql data "
                                "begin delete from `{v}`; return 1; end"),
}


@pytest.fixture(scope="module", params=[pytest.param(name, marks=pytest.mark.postgres) for name in SERVERS])
def server_victim(request) -> Iterator[tuple[str, str, str, str, sa.Engine]]:
    """(dialect, url, quote, victim, engine) with a three-row victim table and a deleting function on a real server."""
    dialect = request.param
    url, q, function = SERVERS[dialect]
    engine = server_engine(url)
    victim = f"h11_victim_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"create table {q}{victim}{q} (id int, name text)")
        connection.exec_driver_sql(f"insert into {q}{victim}{q} values (1, 'a'), (2, 'b'), (3, 'c')")
        connection.exec_driver_sql(function.format(v=victim))
    yield dialect, url, q, victim, engine
    with engine.begin() as connection:
        connection.exec_driver_sql(f"drop function if exists {q}{victim}_wipe{q}" +
                                   ("()" if dialect == "postgresql" else ""))
        for suffix in ("", "_copy", "_x"):
            connection.exec_driver_sql(f"drop table if exists {q}{victim}{suffix}{q}")
    engine.dispose()


@pytest.mark.parametrize("index", range(len(hostile_queries("v", '"'))))
def test_server_victim_survives(server_victim, index):
    _, url, q, victim, engine = server_victim
    assert_refused_in_one_line(url, hostile_queries(victim, q)[index], victim)
    assert_survives(engine, victim, q)


def test_a_deleting_function_called_from_a_select_fails_read_only(server_victim):
    _, url, q, victim, engine = server_victim
    message = assert_refused_in_one_line(url, f"SELECT {q}{victim}_wipe{q}()", victim)
    assert message.startswith("the SQL source rejected the query")
    assert_survives(engine, victim, q)


def test_the_transaction_is_read_only_even_past_the_parser(server_victim):
    dialect, url, q, victim, engine = server_victim
    guarded = read_only_engine(sa.make_url(url), dialect)
    with pytest.raises(sa.exc.DBAPIError), read_only_transaction(guarded, dialect) as connection:
        connection.exec_driver_sql(f"DELETE FROM {q}{victim}{q}")
    guarded.dispose()
    assert_survives(engine, victim, q)


@pytest.mark.postgres
def test_a_schema_qualified_table_is_read(server_victim):
    dialect, url, _, victim, _ = server_victim
    schema = "public" if dialect == "postgresql" else "test"
    assert len(pd.concat(list(sql_chunks(url, f"{schema}.{victim}", None)))) == 3
