"""Binary, JSON and array columns are read as deterministic text (and so still scanned), never crash."""

from __future__ import annotations

import base64
import uuid

import pandas as pd
import pytest

from pipelines.extract import BYTES_PREFIX, SourceError, as_text, cell_text, sql_chunks
from tests.sql_helpers import MARIADB_URL, POSTGRES_URL, server_engine

PHONE = "13812345678"


def test_cells_become_canonical_text():
    assert cell_text(b"\xff\x00ab") == BYTES_PREFIX + base64.b64encode(b"\xff\x00ab").decode()
    assert cell_text({"b": 1, "a": [PHONE, None]}) == '{"a":["13812345678",null],"b":1}'
    assert cell_text(["甲", 2]) == '["甲",2]'
    assert cell_text(None) is None


def test_an_unreadable_type_is_refused_naming_position_and_type():
    frame = pd.DataFrame({"a": ["x"], "b": [object()]})
    with pytest.raises(SourceError, match=r"^column 2 holds values of type object that cannot be read as text$"):
        as_text(frame)


@pytest.mark.postgres
def test_postgres_bytea_json_jsonb_and_arrays():
    engine = server_engine(POSTGRES_URL)
    table = f"h11_types_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f'create table "{table}" (id int, raw bytea, doc json, docb jsonb, tags text[], '
                                   "nums int[])")
        connection.exec_driver_sql(
            f"insert into \"{table}\" values (1, '\\xdeadbeef', '{{\"phone\": \"{PHONE}\", \"a\": 1}}', "
            f"'{{\"z\": [1, 2], \"a\": \"甲\"}}', ARRAY['x', '{PHONE}'], ARRAY[3, 1]), "
            "(2, null, null, null, null, null)")
    try:
        frame = pd.concat([as_text(c) for c in sql_chunks(POSTGRES_URL, table, None)])
        first = frame.iloc[0]
        assert first["raw"] == BYTES_PREFIX + base64.b64encode(bytes.fromhex("deadbeef")).decode()
        assert first["doc"] == f'{{"a":1,"phone":"{PHONE}"}}'
        assert first["docb"] == '{"a":"甲","z":[1,2]}'
        assert first["tags"] == f'["x","{PHONE}"]' and first["nums"] == "[3,1]"
        assert frame.iloc[1].isna().sum() == 5
        again = pd.concat([as_text(c) for c in sql_chunks(POSTGRES_URL, table, None)])
        pd.testing.assert_frame_equal(frame, again)
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'drop table "{table}"')
        engine.dispose()


@pytest.mark.postgres
def test_mariadb_blob_and_json():
    engine = server_engine(MARIADB_URL)
    table = f"h11_types_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"create table `{table}` (id int, raw blob, doc json)")
        connection.exec_driver_sql(f"insert into `{table}` values (1, x'00ff10', '{{\"phone\": \"{PHONE}\"}}')")
    try:
        frame = pd.concat([as_text(c) for c in sql_chunks(MARIADB_URL, table, None)])
        assert frame.iloc[0]["raw"] == BYTES_PREFIX + base64.b64encode(b"\x00\xff\x10").decode()
        assert PHONE in frame.iloc[0]["doc"]
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"drop table `{table}`")
        engine.dispose()


def test_detection_still_sees_identifiers_inside_json():
    from detectors import profile_chunks
    from pipelines.plan import findings_from

    frame = as_text(pd.DataFrame({"doc": [{"phone": f"1381234{i:04d}", "note": "备注"} for i in range(20)]}))
    findings = findings_from(profile_chunks(iter([frame])))
    assert [(f.column, f.entity) for f in findings] == [("doc", "PHONE_NUMBER")]
