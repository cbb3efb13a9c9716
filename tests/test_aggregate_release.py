"""Aggregate (DP statistics) releases: the spec block, the budget ledger, and the demo release end to end."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from catalog.ledger import Allowance, BudgetExceeded, Ledger, period_key
from catalog.store import CatalogStore
from pipelines.codelists import check_range, gb2260_divisions
from pipelines.spec import SpecError, load_spec
from tests.catalog.helpers import make_record
from tests.catalog.test_store import store  # noqa: F401 - the SQLite and PostgreSQL catalog fixture
from tests.conftest import ROOT

DEMO = ROOT / "configs" / "datasets" / "social-insurance-statistics.yaml"


# ----- the spec --------------------------------------------------------------------------------


def write_demo(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    edit(data["aggregate"])
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (tmp_path / "codes.txt").write_text("# 险种\n失业保险\n工伤保险\n", encoding="utf-8")
    return path


def refusal(tmp_path: Path, edit) -> str:
    with pytest.raises(SpecError) as caught:
        load_spec(write_demo(tmp_path, edit))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_demo_spec_is_an_aggregate_release_over_public_code_lists():
    spec = load_spec(DEMO).spec
    assert spec.release == "aggregate" and spec.aggregate is not None
    assert [d.column for d in spec.aggregate.dimensions] == ["区县", "参保险种", "参保日期"]
    assert spec.aggregate.budget.epsilon == 1.0


def test_gb2260_codes_list_jinans_current_county_level_divisions():
    divisions = gb2260_divisions("370100")
    assert len(divisions) == 12 and divisions["370114"] == "章丘区" and divisions["370117"] == "钢城区"
    assert "370181" not in divisions  # 章丘市, abolished in 2016


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda a: a["budget"].update(rho=0.5), "give exactly one of 'epsilon' or 'rho'"),
    (lambda a: a["budget"].update(epsilon=None, rho=0.5), "a 'rho' budget needs 'delta'"),
    (lambda a: a["measures"][1].pop("clamp"), "a mean needs 'clamp: [lower, upper]'"),
    (lambda a: a["measures"][1].update(clamp=[5, 5]), "'clamp' needs lower < upper"),
    (lambda a: a["dimensions"][0].update(codes="gb2260:999900"), "gb2260:999900 is not a current GB/T 2260 code"),
    (lambda a: a["dimensions"][0].update(codes="370100"), "'codes' expects gb2260:<6-digit region code>"),
    (lambda a: a["dimensions"][2].update(years="2024..2015"), "'years' range is empty"),
    (lambda a: a["dimensions"][1].pop("values"), "every dimension needs a public key list"),
    (lambda a: a["dimensions"][1].update(values=None, codes_file="missing.txt"), "codes_file not found"),
    (lambda a: a["dimensions"][1].update(values=None, codes_file="/etc/passwd"), "lies outside the spec's folder"),
    (lambda a: a.update(key_selection={"threshold": 20}), "key_selection needs an 'epsilon' budget with a 'delta'"),
    (lambda a: a["measures"].append({"kind": "count", "name": "再数"}), "at most one count measure"),
    (lambda a: a["dimensions"][0].update(name="参保人数_95%误差"), "must be distinct"),
    (lambda a: a.update(budget={"epsilon": -1}), "aggregate.budget.epsilon"),
    (lambda a: a["dimensions"].extend([{"column": "出生日期", "months": "1940-01..2024-12"},
                                       {"column": "性别", "values": [str(i) for i in range(200)]}]),
     "the key grid has 122,400,000 cells, more than 1,000,000"),
])
def test_a_bad_aggregate_block_gets_a_one_line_error(tmp_path, edit, expected):
    assert expected in refusal(tmp_path, edit)


def test_a_codes_file_and_key_selection_are_accepted(tmp_path):
    def edit(a):
        a["dimensions"][1] = {"column": "参保险种", "codes_file": "codes.txt"}
        a["dimensions"].append({"column": "性别"})
        a["budget"] = {"epsilon": 1.0, "delta": 1e-6}
        a["key_selection"] = {"threshold": 20}

    assert load_spec(write_demo(tmp_path, edit)).spec.aggregate.key_selection.threshold == 20


def test_columns_do_not_apply_to_an_aggregate_release(tmp_path):
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["columns"] = {"姓名": {"action": "drop"}}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError, match="'columns' does not apply to an aggregate release"):
        load_spec(path)


@given(st.integers(1900, 2100), st.integers(1, 12), st.integers(0, 300))
def test_a_month_range_lists_every_month_once_in_order(year, month, length):
    start = year * 12 + month - 1
    end = start + length
    keys = check_range("months", f"{year:04d}-{month:02d}..{end // 12:04d}-{end % 12 + 1:02d}")
    assert len(keys) == length + 1 and keys == sorted(set(keys)) and keys[0] == f"{year:04d}-{month:02d}"


@given(st.text(max_size=20))
def test_a_range_that_is_not_one_is_refused_with_an_example(text):
    try:
        keys = check_range("years", text)
    except ValueError as exc:
        assert "range" in str(exc) and "\n" not in str(exc)
    else:
        assert keys and all(len(k) == 4 for k in keys)


# ----- the ledger --------------------------------------------------------------------------------


def test_the_ledger_refuses_overspending_across_releases_with_its_figures(store):  # noqa: F811
    ledger, limit = Ledger(store), Allowance(epsilon=3.0, delta=1e-6, period="year")
    for run in range(3):
        ledger.spend(make_record("jinan-stats", run_id=f"r{run}"), limit, 1.0, 0.0)
    with pytest.raises(BudgetExceeded) as caught:
        ledger.spend(make_record("jinan-stats", run_id="r4"), limit, 0.5, 0.0)
    message = str(caught.value)
    assert "spent ε 3 of 3" in message and "remaining ε 0" in message and "asked ε 0.5" in message
    status = ledger.status("jinan-stats", limit)
    assert (status.spent_epsilon, status.releases) == (3.0, 3)
    # Another dataset has its own budget; δ is counted too.
    ledger.spend(make_record("other-stats"), limit, 1.0, 1e-6)
    with pytest.raises(BudgetExceeded, match="asked δ 1e-06"):
        ledger.spend(make_record("other-stats", run_id="r2"), limit, 0.1, 1e-6)


def test_each_spend_enters_the_audit_trail_and_the_trail_stays_intact(store):  # noqa: F811
    ledger = Ledger(store)
    ledger.spend(make_record("jinan-stats"), Allowance(epsilon=2.0), 1.0, 0.0, mechanism="discrete Laplace")
    entries = store.audit_entries("jinan-stats")
    assert [e.entry["source"] for e in entries] == ["dp-ledger"]
    assert ledger.entries("jinan-stats")[0]["audit_seq"] == entries[0].seq
    assert store.verify_audit().ok


def test_a_new_period_starts_a_new_budget(store):  # noqa: F811
    ledger, limit = Ledger(store), Allowance(epsilon=1.0, period="year")
    ledger.spend(make_record("jinan-stats"), limit, 1.0, 0.0, when=datetime(2025, 6, 1, tzinfo=UTC))
    ledger.spend(make_record("jinan-stats"), limit, 1.0, 0.0, when=datetime(2026, 1, 2, tzinfo=UTC))
    assert period_key("quarter", datetime(2026, 11, 5, tzinfo=UTC)) == "2026-Q4"
    assert period_key("month", datetime(2026, 11, 5, tzinfo=UTC)) == "2026-11"


def test_concurrent_spends_never_overspend(tmp_path):
    root = tmp_path / "cat"
    CatalogStore(root).close()
    limit, granted, refused = Allowance(epsilon=2.0), [], []

    def spend(number: int) -> None:
        own = CatalogStore(root)
        try:
            Ledger(own).spend(make_record("jinan-stats", run_id=f"r{number}"), limit, 1.0, 0.0)
            granted.append(number)
        except BudgetExceeded:
            refused.append(number)
        finally:
            own.close()

    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(spend, range(5)))
    assert len(granted) == 2 and len(refused) == 3


# ----- end to end ------------------------------------------------------------------------------


def _release(project: Path, spec: Path) -> dict:
    from pipelines.flows import release_folder

    (result,) = release_folder(str(spec), str(project / "catalog"), str(project / "configs" / "policy.yaml"))
    return result


def _portal_page(project: Path, dataset_id: str) -> str:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from catalog.portal import create_app

    catalog = CatalogStore(project / "catalog")
    with TestClient(create_app(catalog)) as client:
        return client.get(f"/datasets/{dataset_id}").text


@pytest.mark.slow
def test_the_demo_statistics_are_published_as_conditional_with_budget_and_accuracy(prefect_harness, tmp_path):
    project = tmp_path
    shutil.copytree(ROOT / "configs", project / "configs")
    spec = project / "configs" / "datasets" / "social-insurance-statistics.yaml"
    record = _release(project, spec)
    assert record["status"] == "published", record.get("failure")
    decision, dp = record["decision"], record["aggregate"]
    assert (decision["declared_class"], decision["published_class"]) == ("not_open", "conditional")
    assert {c["name"] for c in decision["checks"]} >= {"dp_budget", "dp_noise", "dp_keys", "dp_mechanism"}
    assert dp["epsilon"] == pytest.approx(1.0) and dp["library"].startswith("OpenDP")
    assert dp["budget"]["remaining_epsilon"] == pytest.approx(2.0) and dp["budget"]["asked_epsilon"] == 1.0
    assert record["rows_in"] is None  # the exact input count is a statistic too
    folder = project / "catalog" / record["release_path"]
    table = pd.read_csv(folder / "data.csv", dtype={"参保年份": str})
    assert len(table) == 12 * 5 * 10 and "钢城区" in set(table["区县"])
    assert (table["参保人数_95%误差"] == round(dp["measures"][0]["accuracy_95"], 2)).all()
    raw = (project / "configs" / "samples" / "social_insurance.csv").read_text(encoding="utf-8")
    published = (folder / "data.csv").read_text(encoding="utf-8") + (folder / "metadata.json").read_text("utf-8")
    first_id = raw.splitlines()[1].split(",")[4]
    assert first_id not in published  # no record, no identifier
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert "差分隐私" in json.dumps(package, ensure_ascii=False)
    dcat = json.loads((folder / "dataset.jsonld").read_text(encoding="utf-8"))
    assert "剩余" in dcat["dct:provenance"]["rdfs:label"]["@value"]
    page = _portal_page(project, "jinan-social-insurance-statistics")
    assert "差分隐私统计说明" in page and "每一个数字都加入了随机噪声" in page and "剩余 2" in page
    assert "经隐私计算（差分隐私统计）重新定级为有条件开放" in page

    # Same spec, same input: unchanged, nothing spent. A bigger ask than what remains: refused, with figures.
    assert _release(project, spec)["status"] == "unchanged"
    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    data["aggregate"]["budget"]["epsilon"] = 2.5
    spec.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    refused = _release(project, spec)
    assert refused["status"] == "refused" and "dp_budget" in refused["failure"]
    assert "remaining ε 2" in refused["failure"] and "asked ε 2.5" in refused["failure"]
    catalog = CatalogStore(project / "catalog")
    assert catalog.latest("jinan-social-insurance-statistics").version == 1 and catalog.verify_audit().ok
    assert [e.entry["source"] for e in catalog.audit_entries("jinan-social-insurance-statistics")].count(
        "dp-ledger") == 1


@pytest.mark.slow
def test_the_benchmark_runs_from_one_command_and_prints_both_methods(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_dp.py"), "--rows", "3000",
                             "--releases", "1", "--trials", "500", "--cache", str(tmp_path)],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert out.count("DP ε=1 ") == 2 and out.count("suppress < 10") == 2 and "(bound 88.1%)" in out
