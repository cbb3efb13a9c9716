"""End to end: the release flows on the built-in samples, under a temporary Prefect API.

These tests are the documentation of what a release run promises: what gets published, what a
refused or failed dataset leaves behind (nothing), and that reruns change nothing.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import yaml

from anonymizers.keys import load_key
from anonymizers.operators import pseudonym

pytestmark = pytest.mark.slow

ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE_PATTERN = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def run(project: Path, target: Path | None = None) -> dict[str, dict]:
    from pipelines.flows import release_folder

    results = release_folder(str(target or project / "configs" / "datasets"), str(project / "catalog"),
                             str(project / "configs" / "policy.yaml"))
    return {r["dataset"]["id"]: r for r in results}


def edit_spec(project: Path, name: str, **changes) -> Path:
    path = project / "configs" / "datasets" / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo(prefect_harness, tmp_path_factory):
    """The sample datasets (three record releases, one DP statistics release) released once into a fresh catalog."""
    import shutil

    from tests.conftest import ROOT

    project = tmp_path_factory.mktemp("demo")
    shutil.copytree(ROOT / "configs", project / "configs")
    (project / "catalog").mkdir()
    return project, run(project)


def test_every_sample_dataset_is_published(demo):
    _, results = demo
    assert {k: r["status"] for k, r in results.items()} == {
        "jinan-social-insurance-enrolment": "published",
        "jinan-enterprise-operations": "published",
        "jinan-public-cultural-venues": "published",
        "jinan-social-insurance-statistics": "published",
    }


def test_not_open_personal_data_is_reclassified_with_its_evidence(demo):
    _, results = demo
    record = results["jinan-social-insurance-enrolment"]
    decision = record["decision"]
    assert (decision["declared_class"], decision["published_class"]) == ("not_open", "conditional")
    assert decision["reclassified"] and all(c["passed"] for c in decision["checks"])
    assert {c["name"] for c in decision["checks"]} >= {"direct_identifiers", "rescan", "k_anonymity",
                                                        "reidentification_risk"}
    found = {(f["column"], f["entity"]) for f in record["findings"]}
    assert {("身份证号", "CN_RESIDENT_ID"), ("手机号码", "PHONE_NUMBER"), ("姓名", "PERSON")} <= found
    assert record["risk_before"]["prosecutor_highest"] > record["risk_after"]["prosecutor_highest"]
    assert record["risk_after"]["min_class_size"] >= 5


def test_published_files_hold_no_raw_identifier(demo):
    project, results = demo
    release = Path(results["jinan-social-insurance-enrolment"]["release_path"])
    if not release.is_absolute():
        release = project / "catalog" / release
    table = pd.read_csv(release / "data.csv", dtype=str)
    # Names, phones, addresses and employers single people out even masked: the sample spec drops them.
    assert not {"住址", "姓名", "手机号码", "工作单位"} & set(table.columns)
    text = table.to_csv(index=False)
    assert not ID_PATTERN.search(text) and not MOBILE_PATTERN.search(text)
    assert table["参保人编号"].str.fullmatch(r"P[0-9a-f]{16}").all()
    # Remarks are scrubbed span by span: delegates' names masked, IDs pseudonymized, phones masked.
    remarks = table["备注"].dropna()
    assert remarks.str.contains("委托").any()
    assert not remarks.str.contains(r"委托[^*，]{2,4}代为").any()
    assert set(pd.read_parquet(release / "data.parquet").columns) == set(table.columns)


def test_trade_secrets_are_aggregated_and_sql_source_is_read(demo):
    project, results = demo
    record = results["jinan-enterprise-operations"]
    assert record["decision"]["published_class"] == "unconditional"
    assert record["rows_in"] == 400 and record["input_encoding"] is None
    plan = {p["column"]: p["action"] for p in record["plan"]}
    assert plan["营业收入_万元"] == plan["利润总额_万元"] == "aggregate"


def test_a_rerun_of_the_same_input_is_unchanged(demo):
    project, first = demo
    again = run(project)
    for dataset_id, record in again.items():
        assert record["status"] == "unchanged", dataset_id
        assert record["version"] == first[dataset_id]["version"]


def test_a_dataset_whose_risk_stays_too_high_is_refused_and_publishes_nothing(prefect_harness, project):
    # Birth dates published day-exact: classes stay tiny, suppression would exceed the policy limit.
    spec = edit_spec(project, "social-insurance.yaml",
                     **{"columns.出生日期": {"action": "keep", "reason": "test"}, "privacy.hierarchies": None})
    record = run(project, spec)["jinan-social-insurance-enrolment"]
    assert record["status"] == "refused"
    assert "suppression failed" in record["failure"]
    assert not (project / "catalog" / "datasets" / "jinan-social-insurance-enrolment" / "latest").exists()


def test_the_optimal_generalization_is_recorded_and_applied(demo):
    project, results = demo
    record = results["jinan-social-insurance-enrolment"]
    search = record["generalization"]
    quasi = ["性别", "出生日期", "区县", "参保险种", "参保日期"]
    assert search["qi"] == quasi and search["metric"] == "loss"
    assert record["suppressed"] == search["suppressed"] <= 0.05 * record["rows_in"]
    release = project / "catalog" / record["release_path"]
    table = pd.read_csv(release / "data.csv", dtype=str)
    assert table.groupby(quasi).size().min() >= 5
    assert table["出生日期"].str.fullmatch(r"\d{4}-\d{4}|\*").all()


def test_a_k_no_generalization_can_reach_is_refused(prefect_harness, project):
    spec = edit_spec(project, "social-insurance.yaml", **{"privacy.k": 2500})
    record = run(project, spec)["jinan-social-insurance-enrolment"]
    assert record["status"] == "refused"
    assert "all 2000 records suppressed" in record["failure"]


BAD_SOURCES = {
    "missing.csv": None,
    "undecodable.csv": b"\xd5\xfb,\xff\xfe\n" + b"\x80\xff\x81\xfe,1\n",
    "empty.csv": b"",
    "header-only.csv": "姓名,手机号码\n".encode(),
    "ragged.csv": "姓名,手机号码\n张三,13812345678,多余\n".encode(),
}
CAUSES = {
    "missing.csv": "source file not found",
    "undecodable.csv": "cannot decode the file",
    "empty.csv": "the file is empty",
    "header-only.csv": "has a header but no data rows",
    "ragged.csv": "ragged rows: line 2 has 3 fields, the header has 2",
}


def test_bad_inputs_fail_alone_with_one_line_each(prefect_harness, project):
    folder = project / "configs" / "datasets"
    base = yaml.safe_load((folder / "cultural-venues.yaml").read_text(encoding="utf-8"))
    for name, content in BAD_SOURCES.items():
        if content is not None:
            (project / "configs" / "samples" / name).write_bytes(content)
        spec = dict(base, id="bad-" + name.removesuffix(".csv"), columns={}, quality={})
        spec["source"] = {"file": {"path": f"../samples/{name}"}}
        (folder / f"bad-{name}.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    unknown = dict(base, id="bad-unknown-column", columns={"不存在的列": {"action": "drop"}}, quality={})
    (folder / "bad-unknown.yaml").write_text(yaml.safe_dump(unknown, allow_unicode=True), encoding="utf-8")
    unreachable = dict(base, id="bad-unreachable-sql", columns={}, quality={},
                       source={"sql": {"url": "postgresql+psycopg://nobody@127.0.0.1:1/none", "table": "t"}})
    (folder / "bad-sql.yaml").write_text(yaml.safe_dump(unreachable, allow_unicode=True), encoding="utf-8")

    outside = dict(base, id="bad-outside", columns={}, quality={},
                   source={"file": {"path": "../../../../../../../../../etc/passwd"}})
    (folder / "bad-outside.yaml").write_text(yaml.safe_dump(outside, allow_unicode=True), encoding="utf-8")

    results = run(project)
    assert "outside the spec's folder" in results["bad-outside"]["failure"]
    assert results["bad-outside"]["failed_stage"] == "extract"
    for name, cause in CAUSES.items():
        record = results["bad-" + name.removesuffix(".csv")]
        assert record["status"] == "failed" and record["failed_stage"] == "extract", name
        assert cause in record["failure"] and "\n" not in record["failure"], name
        assert "13812345678" not in record["failure"]
    assert "names column '不存在的列'" in results["bad-unknown-column"]["failure"]
    assert results["bad-unreachable-sql"]["failure"].startswith("the SQL source cannot be reached")
    # The good datasets in the same run carry on.
    assert results["jinan-public-cultural-venues"]["status"] == "published"
    assert results["jinan-social-insurance-enrolment"]["status"] == "published"
    index = sqlite3.connect(project / "catalog" / "catalog.db")
    assert index.execute("select count(*) from sqlite_master").fetchone()[0] > 0
    datasets = project / "catalog" / "datasets"
    assert not any(p.name.startswith("bad-") and (p / "latest").exists() for p in datasets.iterdir())


def test_a_failed_release_keeps_the_previous_one(prefect_harness, project):
    spec = project / "configs" / "datasets" / "cultural-venues.yaml"
    first = run(project, spec)["jinan-public-cultural-venues"]
    assert first["status"] == "published"
    (project / "configs" / "samples" / "cultural_venues_gbk.csv").write_bytes("场馆名称,类型\n".encode("gbk"))
    second = run(project, spec)["jinan-public-cultural-venues"]
    assert second["status"] == "failed"
    from catalog.store import CatalogStore

    latest = CatalogStore(project / "catalog").latest("jinan-public-cultural-venues")
    assert latest is not None and latest.version == first["version"]


def test_the_run_summary_and_quality_tables_are_prefect_artifacts(demo):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        summary = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["release-run-summary"])))
        quality = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["quality-jinan-social-insurance-enrolment"])))
    assert any("jinan-social-insurance-enrolment" in a.data and "not_open → conditional" in a.data
               for a in summary)
    assert quality and quality[0].type == "table"


def test_surrogates_are_published_and_never_equal_the_originals(prefect_harness, project):
    spec = edit_spec(project, "social-insurance.yaml", **{"columns.身份证号": {"action": "surrogate"},
                                                          "columns.姓名": {"action": "surrogate"}})
    record = run(project, spec)["jinan-social-insurance-enrolment"]
    assert record["status"] == "published", record.get("failure")
    source = project / "configs" / "samples" / "social_insurance.csv"
    original = pd.read_csv(source, dtype=str)
    # 参保人编号 is published pseudonymized: join on its pseudonym under the test key.
    key = load_key()
    original.index = [pseudonym(key, v) for v in original["参保人编号"]]
    release = project / "catalog" / record["release_path"]
    published = pd.read_csv(release / "data.csv", dtype=str).set_index("参保人编号")
    joined = published.join(original, rsuffix="_raw", how="inner")
    assert len(joined) == len(published)
    assert (joined["身份证号"] != joined["身份证号_raw"]).all()
    assert (joined["姓名"] != joined["姓名_raw"]).all()
    assert joined["身份证号"].str.fullmatch(r"\d{17}[\dX]").all()


def test_each_stage_logs_its_rows_and_seconds_to_prefect(demo):
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterTaskRunId

    found: list[str] = []
    for _ in range(20):
        with get_client(sync_client=True) as client:
            found = [log.message for log in client.read_logs(
                log_filter=LogFilter(task_run_id=LogFilterTaskRunId(is_null_=False)), limit=200)]
        if any(m.startswith("detect: 2000 rows in ") for m in found):
            break
        time.sleep(0.5)
    assert any(re.fullmatch(r"detect: 2000 rows in \d+\.\d s", m) for m in found), found[:20]
    assert any(re.fullmatch(r"extract: 2000 rows in \d+\.\d s", m) for m in found)
    assert not any(ID_PATTERN.search(m) for m in found)


def test_no_none_in_the_prefect_run_summary(demo):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        summary = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["release-run-summary"])))
    assert summary and not any("None" in a.data for a in summary)
