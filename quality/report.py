"""The quality report in Chinese: one HTML page per release, from the release record alone.

GX's Data Docs stay (linked from here) but speak English, show no severity and mark a release that
passed with a warning as a red failure. This page answers a quality officer's three questions in
their language: did the gate pass (通过 / 通过但有警告 / 未通过), which expectation failed and how
badly (severity, unexpected count and share: figures, never values), and why the release got its
open class (the guard's decision checks beside its GB/T 42460 evaluation).

It is rendered from the record's JSON-safe fields only, so the same function writes the
self-contained file into the release folder (`quality/report.html`, inline CSS, no CDN) and the
portal's page (`render_body` inside the portal's layout).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from anonymizers.guard.evaluation import CHECK_ZH
from catalog.record import Decision, ExpectationOutcome, ReleaseRecord
from catalog.vocab import CLASS_ZH

REPORT_NAME = "report.html"
SEVERITY_ZH = {"critical": "严重", "warning": "警告"}
VERDICT_CLASS = {"通过": "ok", "通过但有警告": "warn", "未通过": "bad", "未检查": "none"}
EXPECTATION_ZH = {
    "expect_column_mean_to_be_between": "均值在范围内",
    "expect_column_proportion_of_non_null_values_to_be_between": "非空比例在范围内",
    "expect_column_published_as_is_to_hold_no_sensitive_entity": "原样发布列不含敏感信息",
    "expect_column_to_have_published_type": "类型与发布类型一致",
    "expect_column_to_hold_no_raw_identifier": "不含原始标识符",
    "expect_column_value_lengths_to_be_between": "取值长度在范围内",
    "expect_column_values_to_be_between": "取值在范围内",
    "expect_column_values_to_be_in_set": "取值属于允许集合",
    "expect_column_values_to_be_k_anonymous": "满足 k-匿名",
    "expect_column_values_to_be_unique": "取值唯一",
    "expect_column_values_to_match_regex": "取值符合格式",
    "expect_column_values_to_not_be_blank": "取值非空白",
    "expect_column_values_to_not_be_null": "取值非空",
    "expect_compound_columns_to_be_k_anonymous": "列组合满足 k-匿名",
    "expect_compound_columns_to_be_unique": "列组合唯一",
    "expect_release_to_be_on_time": "按更新频率按时发布",
    "expect_rows_to_not_be_empty": "记录非全空",
    "expect_table_columns_to_match_set": "信息项与发布计划一致",
    "expect_table_row_count_to_be_between": "记录数在范围内",
}
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(default=True)
)


def verdict(record: ReleaseRecord) -> str:
    """The gate's verdict in words: a pass with failed warnings is not a failure, and says so."""
    quality = record.quality
    if quality is None:
        return "未检查"
    if not quality.passed:
        return "未通过"
    warned = quality.failed_warning or [o for o in quality.outcomes if not o.success and o.severity == "warning"]
    return "通过但有警告" if warned else "通过"


def decision_sentence(decision: Decision | None) -> str:
    """The open decision in Chinese from its fields (its `reason` is the guard's English log line)."""
    if decision is None:
        return "无开放决定记录。"
    declared, target = CLASS_ZH[decision.declared_class], CLASS_ZH[decision.target_class]
    total, failed = len(decision.checks), [c for c in decision.checks if not c.passed]
    if failed:
        names = "、".join(CHECK_ZH.get(c.name, c.name) for c in failed)
        return f"拟由{declared}调整为{target}，{total} 项检查中 {len(failed)} 项未通过（{names}），" \
               f"发布属性为{CLASS_ZH[decision.published_class]}。"
    if decision.published_class == "not_open" and decision.target_class == "not_open":
        return f"申报为{declared}，仅登记目录，不发布数据。"
    if decision.reclassified:
        return f"经脱敏由{declared}调整为{CLASS_ZH[decision.published_class]}：全部 {total} 项检查通过。"
    return f"按申报属性（{declared}）发布：全部 {total} 项检查通过。"


def expectation_label(name: str) -> str:
    return EXPECTATION_ZH.get(name, name)


def _outcome_row(outcome: ExpectationOutcome) -> dict[str, Any]:
    share = outcome.unexpected_percent
    return {
        "label": expectation_label(outcome.expectation),
        "expectation": outcome.expectation,
        "column": outcome.column or "整表",
        "severity": outcome.severity,
        "severity_zh": SEVERITY_ZH[outcome.severity],
        "success": outcome.success,
        "count": "—" if outcome.unexpected_count is None else f"{outcome.unexpected_count:,}",
        "share": "—" if share is None else f"{share:.2f}%",
        "message": outcome.message,
    }


def report_context(record: ReleaseRecord, docs_href: str | None) -> dict[str, Any]:
    """Everything the report shows, as plain values (also the portal page's JSON view)."""
    quality = record.quality
    outcomes = sorted(quality.outcomes if quality else [], key=lambda o: (o.success, o.severity != "critical"))
    decision = record.decision
    checks = [
        {"name": c.name, "label": CHECK_ZH.get(c.name, c.name), "passed": c.passed, "figure": c.figure,
         "requirement": c.requirement}
        for c in (decision.checks if decision else [])
    ]
    failed = [o for o in outcomes if not o.success]
    said = verdict(record)
    return {
        "dataset": {"id": record.dataset.id, "title": record.dataset.title, "publisher": record.dataset.publisher},
        "version": record.version,
        "published_at": record.published_at.strftime("%Y-%m-%d %H:%M") if record.published_at else None,
        "verdict": said,
        "verdict_class": VERDICT_CLASS[said],
        "evaluated": quality.evaluated if quality else 0,
        "failed_critical": sum(o.severity == "critical" for o in failed),
        "failed_warning": sum(o.severity == "warning" for o in failed),
        "rows_in": record.rows_in,
        "rows_out": record.rows_out,
        "suppressed": record.suppressed,
        "expectations": [_outcome_row(o) for o in outcomes],
        "decision": None if decision is None else {
            "declared": CLASS_ZH[decision.declared_class],
            "published": CLASS_ZH[decision.published_class],
            "reclassified": decision.reclassified,
            "sentence": decision_sentence(decision),
        },
        "checks": checks,
        "evaluation": record.evaluation.model_dump(mode="json") if record.evaluation else None,
        "docs_href": docs_href,
    }


def render_body(record: ReleaseRecord, docs_href: str | None) -> Markup:
    """The report's content without page chrome, for the portal's own layout."""
    return Markup(_ENV.get_template("_report_body.html").render(**report_context(record, docs_href)))


def render_report(record: ReleaseRecord, docs_href: str | None) -> str:
    """A self-contained HTML page (inline CSS, no script, no external resource)."""
    context = report_context(record, docs_href)
    return _ENV.get_template("report.html").render(body=render_body(record, docs_href), **context)


def write_report(record: ReleaseRecord, release_dir: Path) -> Path | None:
    """Write `quality/report.html` into a release folder; links to the Data Docs relatively."""
    if record.quality is None:
        return None
    folder = release_dir / "quality"
    folder.mkdir(exist_ok=True)
    docs = record.quality.docs_index
    href = docs.removeprefix("quality/") if docs and docs.startswith("quality/") else None
    target = folder / REPORT_NAME
    target.write_text(render_report(record, href), "utf-8")
    return target
