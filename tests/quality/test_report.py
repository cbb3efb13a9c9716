"""The Chinese quality report: verdict in words, severities, figures never values, decision beside evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from catalog.record import Check, Evaluation, EvaluationSection, ExpectationOutcome, QualitySummary
from quality import validate_release
from quality.report import decision_sentence, render_report, verdict, write_report
from tests.catalog.helpers import build_catalog, make_record
from tests.quality.conftest import NOW

SECRET = "甲乙丙丁秘密值"


def outcome(severity: str, success: bool, count: int | None = None) -> ExpectationOutcome:
    return ExpectationOutcome(expectation="expect_column_values_to_be_unique", column="编号", severity=severity,
                              success=success, unexpected_count=count, unexpected_percent=None if count is None
                              else 12.5, message="2 rows repeat a key")


def with_quality(*outcomes: ExpectationOutcome, passed: bool = True):
    record = make_record()
    record.version = 3
    record.quality = QualitySummary(
        passed=passed, evaluated=len(outcomes), outcomes=list(outcomes),
        failed_warning=[o.message for o in outcomes if not o.success and o.severity == "warning"],
        failed_critical=[o.message for o in outcomes if not o.success and o.severity == "critical"],
        docs_index="quality/index.html")
    return record


@pytest.mark.parametrize(("outcomes", "passed", "said"), [
    ((outcome("critical", True), outcome("warning", True)), True, "通过"),
    ((outcome("critical", True), outcome("warning", False, 2)), True, "通过但有警告"),
    ((outcome("critical", False, 2), outcome("warning", True)), False, "未通过"),
])
def test_verdict_in_words_tells_a_warning_from_a_failure(outcomes, passed, said) -> None:
    record = with_quality(*outcomes, passed=passed)
    assert verdict(record) == said
    assert 'class="verdict' in render_report(record, "index.html")
    assert f">{said}</strong>" in render_report(record, "index.html")


def test_each_expectation_shows_its_severity_and_figures() -> None:
    html = render_report(with_quality(outcome("critical", True), outcome("warning", False, 2)), "index.html")
    assert "严重" in html and "警告" in html
    assert "取值唯一" in html  # the expectation in Chinese, GX's name in the title
    assert ">2<" in html and "12.50%" in html
    assert 'href="index.html"' in html  # Data Docs, relative to quality/report.html


def test_the_report_is_self_contained() -> None:
    html = render_report(with_quality(outcome("critical", True)), None)
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert "<style>" in html


def test_decision_checks_in_chinese_beside_the_evaluation() -> None:
    record = with_quality(outcome("critical", True))
    record.decision.checks.append(Check(name="suppression", passed=True, figure="0.0%", requirement="<=5%"))
    record.evaluation = Evaluation(
        scenario="无条件开放（公众自由获取）", residual_risk="残余风险低。", conclusion="符合要求，可以发布。",
        passed=True, sections=[EvaluationSection(key="quantitative", title="定量评估", passed=True,
                                                 findings=["最小等价类 5 条记录。"])])
    html = render_report(record, None)
    assert "k-匿名" in html and "记录抑制比例" in html
    assert "定量评估：符合要求" in html and "GB/T 42460-2023" in html
    assert "经脱敏由不予开放调整为无条件开放：全部 2 项检查通过。" in html
    assert "k_anonymity" not in html.replace('title="k_anonymity"', "")


def test_a_refused_decision_names_the_failed_checks_in_chinese() -> None:
    record = make_record()
    record.decision.checks = [Check(name="k_anonymity", passed=False, figure="k=2", requirement="k>=5")]
    record.decision.published_class = "not_open"
    assert decision_sentence(record.decision) == (
        "拟由不予开放调整为无条件开放，1 项检查中 1 项未通过（k-匿名），发布属性为不予开放。")


def test_report_from_real_gx_results_quotes_no_value(tmp_path: Path) -> None:
    frame = pd.DataFrame({"编号": [SECRET, SECRET, "A3"], "人数": [3, 5, 8]})
    summary = validate_release(frame, dataset_id="report-demo", key=["编号"], now=NOW,
                               docs_dir=tmp_path / "release" / "quality")
    record = make_record("report-demo")
    record.quality = summary
    path = write_report(record, tmp_path / "release")
    html = path.read_text("utf-8")
    assert path == tmp_path / "release" / "quality" / "report.html"
    assert SECRET not in html and "未通过" in html
    assert 'href="index.html"' in html and (path.parent / "index.html").is_file()


def test_data_docs_name_the_asset_and_carry_severity(tmp_path: Path) -> None:
    frame = pd.DataFrame({"编号": ["A1", "A1", "A3"], "人数": [3, 5, 8]})
    docs = tmp_path / "quality"
    validate_release(frame, dataset_id="asset-demo", key=["编号"], now=NOW, docs_dir=docs)
    validation_pages = list((docs / "validations").rglob("*.html"))
    assert validation_pages
    text = validation_pages[0].read_text("utf-8")
    assert "Data asset:" in text and "asset-demo" in text.split("Data asset:", 1)[1][:400]


def test_severity_is_in_each_expectations_meta() -> None:
    from quality.model import Check as PlannedCheck
    from quality.run import build_suite

    suite = build_suite("meta-demo", [PlannedCheck("expect_column_values_to_not_be_null", {"column": "a"},
                                                   "warning", "a is filled", column="a")])
    assert json.loads(json.dumps(suite.to_json_dict()))["expectations"][0]["meta"]["severity"] == "warning"


def test_publish_writes_the_report_into_the_release_folder(tmp_path: Path) -> None:
    sample_catalog = build_catalog(tmp_path)
    record = sample_catalog.latest("bus-ridership")
    report = sample_catalog.root / record.release_path / "quality" / "report.html"
    assert report.is_file() and "公交客流统计" in report.read_text("utf-8")
    assert "quality/report.html" in (sample_catalog.root / record.release_path / "SHA256SUMS").read_text("utf-8")
    court = sample_catalog.latest("court-cases")
    assert not (sample_catalog.root / court.release_path / "quality").exists()
    sample_catalog.close()


def test_the_prefect_artifact_links_the_report(tmp_path: Path) -> None:
    from pipelines.summary import dataset_markdown, dataset_text

    store = build_catalog(tmp_path)
    record = store.latest("bus-ridership").model_dump(mode="json")
    link = "datasets/bus-ridership/2/quality/report.html"
    assert f"[{link}]({link})" in dataset_markdown(record)
    assert link in dataset_text(record) and "](" not in dataset_text(record)
    assert "report.html" not in dataset_markdown(store.latest("court-cases").model_dump(mode="json"))
    store.close()
