"""`kaifang catalog | access | objections`: the desks reachable from the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from catalog import access, objections
from catalog.store import CatalogStore
from pipelines.commands.catalog import access as access_cmd
from pipelines.commands.catalog import catalog as catalog_cmd
from pipelines.commands.catalog import objections as objections_cmd
from pipelines.commands.catalog import portal as portal_cmd


def _run(command, *args: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(command, list(args))
    return result.exit_code, result.output


def test_registered_with_the_cli() -> None:
    source = (Path(__file__).resolve().parents[2] / "pipelines" / "cli.py").read_text()
    assert '"pipelines.commands.catalog"' in source


def test_catalog_list_and_show(sample_catalog: CatalogStore) -> None:
    root = str(sample_catalog.root)
    code, out = _run(catalog_cmd, "list", "--catalog", root)
    assert code == 0
    assert re.search(r"bus-ridership\s+v2\s+无条件开放", out) and "court-cases" in out
    code, out = _run(catalog_cmd, "list", "--catalog", root, "--json")
    rows = {row["id"]: row for row in json.loads(out)}
    assert rows["bus-ridership"]["latest_version"] == 2 and rows["court-cases"]["formats"] == []
    code, out = _run(catalog_cmd, "show", "clinic-visits", "--catalog", root)
    assert code == 0 and "开放属性: 有条件开放" in out and "开放条件: 仅限科研用途" in out and "v1 published" in out
    code, out = _run(catalog_cmd, "show", "clinic-visits", "--catalog", root, "--json")
    assert json.loads(out)["version"] == 1
    assert _run(catalog_cmd, "show", "nothing-here", "--catalog", root)[0] == 1
    assert _run(catalog_cmd, "show", "../etc", "--catalog", root)[0] == 2
    code, out = _run(catalog_cmd, "validate", "bus-ridership", "--catalog", root)
    assert code == 0 and "valid" in out


def test_catalog_env_default(sample_catalog: CatalogStore, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAIFANG_CATALOG", str(sample_catalog.root))
    code, out = _run(catalog_cmd, "list")
    assert code == 0 and "road-works" in out
    monkeypatch.setenv("KAIFANG_CATALOG", "/nonexistent/catalog")
    code, out = _run(catalog_cmd, "list")
    assert code == 2 and "no catalog at" in out


def test_access_commands(sample_catalog: CatalogStore) -> None:
    root = str(sample_catalog.root)
    form = access.ApplicationForm(
        applicant="王研究",
        organisation="山东大学",
        identity="12370000495570017X",
        contact="w@example.cn",
        purpose="研究门诊量的季节变化规律。",
        term_days=7,
        requested_count=1,
        commitment=True,
    )
    first, _ = access.apply(sample_catalog, "clinic-visits", form)
    second, _ = access.apply(sample_catalog, "clinic-visits", form)
    code, out = _run(access_cmd, "list", "--catalog", root, "--status", "pending")
    assert code == 0 and first.id in out and second.id in out
    code, out = _run(access_cmd, "approve", first.id, "--note", "同意", "--catalog", root)
    assert code == 0 and "Access token" in out
    token = out.strip().splitlines()[-1]
    assert access.authorize(sample_catalog, "clinic-visits", token, 1, "data.csv").id == first.id
    assert _run(access_cmd, "reject", second.id, "--catalog", root)[0] == 0
    assert access.get(sample_catalog, second.id).status == "rejected"
    code, out = _run(access_cmd, "approve", second.id, "--catalog", root)
    assert code == 1 and "已处理" in out
    assert _run(access_cmd, "approve", "nope", "--catalog", root)[0] == 1


def test_objection_commands(sample_catalog: CatalogStore) -> None:
    root = str(sample_catalog.root)
    filed = objections.file_objection(
        sample_catalog, "bus-ridership", objections.ObjectionForm(description="站点名称有错别字", contact="a@b.cn")
    )
    code, out = _run(objections_cmd, "list", "--open", "--catalog", root)
    assert code == 0 and filed.id in out
    code, out = _run(objections_cmd, "answer", filed.id, "已更正错别字", "--catalog", root)
    assert code == 0
    assert objections.get(sample_catalog, filed.id).answer == "已更正错别字"
    assert "No objections." in _run(objections_cmd, "list", "--open", "--catalog", root)[1]
    assert _run(objections_cmd, "answer", filed.id, "x", "--catalog", root)[0] == 2


def test_help_teaches() -> None:
    for command in (catalog_cmd, access_cmd, objections_cmd, portal_cmd):
        code, out = _run(command, "--help")
        assert code == 0 and "Examples:" in out
