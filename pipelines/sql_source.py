"""Read-only SQL sources: a release must never change an agency's database.

Three guards, each enough on its own against a different mistake:

1. the spec's query is parsed (sqlglot, in the server's dialect) and must be exactly one SELECT
   (or UNION / INTERSECT / EXCEPT of SELECTs) with no data-changing part anywhere in its tree: no
   second statement, no CTE that deletes, inserts or updates, no `SELECT … INTO`, no locking clause;
2. the connection runs it in a read-only transaction: PostgreSQL with `default_transaction_read_only`
   for the session and `SET TRANSACTION READ ONLY`, MariaDB / MySQL with `SET SESSION TRANSACTION
   READ ONLY` and `START TRANSACTION READ ONLY`, SQLite opened through a `mode=ro` URI with
   `PRAGMA query_only`; the transaction is rolled back at the end whatever happened;
3. the agency connects with a role that may only read (docs/operations.md) — the one guard that also
   stops functions a read-only transaction cannot see (a server function writing a file, say).

A `table:` source is a quoted, optionally schema-qualified identifier, never pasted into SQL text.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
import sqlglot
from sqlglot import exp


class QueryRefused(ValueError):
    """The query is not one read-only SELECT; the message is one line and never quotes the query."""


_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}

# Nodes that change data or the session, wherever they sit in the tree (a CTE, a subquery, …).
_WRITES: tuple[type[exp.Expression], ...] = (
    exp.Delete, exp.Insert, exp.Update, exp.Merge, exp.Into, exp.Lock, exp.Command, exp.Create, exp.Drop,
    exp.Alter, exp.Set, exp.Transaction, exp.Commit, exp.Rollback, exp.TruncateTable, exp.Copy, exp.Pragma,
    exp.Use, exp.Kill, exp.Describe,
)


def backend(url: sa.URL) -> str:
    """The read-only guard a URL gets: postgresql, mysql (MariaDB too) or sqlite."""
    name = url.get_backend_name()
    if name not in _DIALECTS:
        raise QueryRefused(f"the SQL source's backend '{name}' is not supported "
                           "(PostgreSQL, MariaDB / MySQL and SQLite have a read-only guard)")
    return "mysql" if name == "mariadb" else name


def check_read_only(query: str, dialect: str) -> exp.Expression:
    """The parsed query when it is one read-only SELECT; otherwise QueryRefused naming why."""
    sqlglot_logger = logging.getLogger("sqlglot")
    level = sqlglot_logger.level
    sqlglot_logger.setLevel(logging.CRITICAL)  # its warnings would quote the query
    try:
        statements = [s for s in sqlglot.parse(query, dialect=_DIALECTS[dialect]) if s is not None]
    except sqlglot.errors.SqlglotError:
        raise QueryRefused("the source query is not SQL this pipeline can check (one SELECT is allowed)") from None
    finally:
        sqlglot_logger.setLevel(level)
    if len(statements) != 1:
        raise QueryRefused(f"the source query holds {len(statements)} statements: give exactly one SELECT")
    [statement] = statements
    if not isinstance(statement, exp.Select | exp.SetOperation | exp.Subquery):
        raise QueryRefused(f"the source query is a {statement.key.upper()} statement: only SELECT is allowed")
    for node in statement.walk():
        if isinstance(node, _WRITES):
            raise QueryRefused(f"the source query contains {_describe(node)}: only a read-only SELECT is allowed")
        if isinstance(node, exp.Select) and (node.args.get("into") or node.args.get("locks")):
            raise QueryRefused("the source query contains SELECT … INTO or a locking clause: "
                               "only a read-only SELECT is allowed")
    return statement


def _describe(node: exp.Expression) -> str:
    if isinstance(node, exp.Into):
        return "SELECT … INTO"
    if isinstance(node, exp.Lock):
        return "a locking clause"
    return f"a {node.key.upper()} part"


def table_statement(table: str, dialect: str) -> sa.TextClause:
    """`SELECT * FROM <table>` with the name quoted in the server's dialect; `schema.table` allowed."""
    parts = table.split(".")
    if not 1 <= len(parts) <= 3 or any(not p.strip() or "\x00" in p for p in parts):
        raise QueryRefused("the source table must be a name or schema.name")
    quoted = exp.Table(this=exp.to_identifier(parts[-1], quoted=True),
                       db=exp.to_identifier(parts[-2], quoted=True) if len(parts) > 1 else None,
                       catalog=exp.to_identifier(parts[-3], quoted=True) if len(parts) > 2 else None)
    return sa.text(exp.select("*").from_(quoted).sql(dialect=_DIALECTS[dialect]).replace(":", r"\:"))


def read_only_engine(url: sa.URL, dialect: str) -> sa.Engine:
    """An engine whose every connection is read-only at the server (or at the SQLite file)."""
    if dialect == "postgresql":
        return sa.create_engine(url, connect_args={"options": "-c default_transaction_read_only=on"})
    if dialect == "mysql":
        return sa.create_engine(url, connect_args={"init_command": "SET SESSION TRANSACTION READ ONLY"})
    database = url.database
    if database in (None, "", ":memory:"):
        return sa.create_engine("sqlite://")
    uri = f"file:{quote(str(Path(database).resolve()))}?mode=ro"
    return sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))


@contextmanager
def read_only_transaction(engine: sa.Engine, dialect: str) -> Iterator[sa.Connection]:
    """A connection inside a read-only transaction, always rolled back."""
    with engine.connect() as connection:
        if dialect == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        elif dialect == "mysql":
            connection.exec_driver_sql("START TRANSACTION READ ONLY")
        else:
            connection.exec_driver_sql("PRAGMA query_only = ON")
        try:
            yield connection
        finally:
            connection.rollback()
