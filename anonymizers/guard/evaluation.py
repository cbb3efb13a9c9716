"""The de-identification effect evaluation, in the shape of GB/T 42460-2023, from the guard's checks.

The standard structures an evaluation as preparation (scope, data, usage scenario), qualitative
evaluation (direct identifiers removed or replaced, quasi-identifiers treated), quantitative
evaluation (re-identification risk figures), residual risk and a conclusion. Each section here is
written in Chinese for the portal and the decision record, from figures only, never values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalog.record import Check, Decision, EvaluationSection
from catalog.record import Evaluation as EvaluationRecord
from detectors import vocabulary

if TYPE_CHECKING:
    from anonymizers.guard.checks import Assessment
    from anonymizers.guard.rules import GuardRules

SCENARIO = {"conditional": "有条件开放（申请并签署协议后使用）", "unconditional": "无条件开放（公众自由获取）",
            "not_open": "不予开放"}
ACTION_ZH = {
    "drop": "删除",
    "redact": "替换为类别标签",
    "mask": "遮蔽",
    "pseudonymize": "密钥化假名",
    "surrogate": "仿真替换",
    "generalize": "泛化",
    "aggregate": "数量级归并",
    "date_shift": "日期偏移",
    "noise": "加噪",
    "scrub": "文本内逐项脱敏",
    "keep": "原样发布",
}
CHECK_ZH = {
    "basis_curable": "不予开放依据可通过脱敏消除",
    "direct_identifiers": "直接标识符处理",
    "never_raw": "禁止原样发布的标识符",
    "rescan": "输出复扫",
    "coverage": "标识符与准标识符覆盖",
    "trade_secrets": "商业秘密处理",
    "k_anonymity": "k-匿名",
    "suppression": "记录抑制比例",
    "reidentification_risk": "重识别风险（检察官模型）",
    "privacy_model": "l-多样性/t-接近性",
    "uniqueness": "任意列组合唯一性",
    "population_uniqueness": "总体唯一性估计（记者模型）",
    "leak_search": "原始值泄露检索",
    "mask_strength": "遮蔽强度",
}


def _verdict(check: Check | None) -> bool | None:
    return None if check is None else check.passed


def _line(check: Check | None) -> list[str]:
    if check is None:
        return ["不适用"]
    state = "通过" if check.passed else "未通过"
    return [f"{CHECK_ZH.get(check.name, check.name)}：{state}。测得：{check.figure}；要求：{check.requirement}。"]


def evaluation(assessment: Assessment, checks: list[Check], decision: Decision) -> EvaluationRecord:
    rules = assessment.rules
    by_name = {c.name: c for c in checks}
    direct_rows = []
    for name, entity in sorted(assessment.input_entities.items()):
        item = assessment.by_column.get(name)
        action = ACTION_ZH.get(item.action, item.action) if item else "未知"
        direct_rows.append(f"{name}：{vocabulary.label(entity)}，处理方式：{action}")
    scope = EvaluationSection(key="scope", title="评估对象与场景", findings=[
        f"输入 {assessment.rows_in} 条记录，输出 {assessment._rows()} 条记录，发布 {len(assessment.published)} 列，"
        f"抑制 {assessment.suppressed} 条。",
        f"申报开放类型：{SCENARIO.get(rules.declared, rules.declared)}；"
        f"拟开放类型：{SCENARIO.get(rules.target, rules.target)}。",
        f"评估依据：GB/T 42460-2023；策略版本 {rules.policy_version}。",
    ])
    direct = EvaluationSection(
        key="direct_identifiers", title="直接标识符及其处理",
        passed=all(_verdict(by_name.get(n)) is not False for n in ("direct_identifiers", "never_raw", "rescan")),
        findings=(direct_rows or ["未检出直接标识符或记录标识符。"]) + _line(by_name.get("never_raw"))
        + _line(by_name.get("rescan")))
    quasi_rows = [f"声明的准标识符：{'、'.join(rules.quasi_identifiers) or '无'}，要求 k ≥ {rules.required_k}。"]
    quasi_rows += _line(by_name.get("k_anonymity")) + _line(by_name.get("coverage"))
    quasi_rows += [f"豁免：{w.column}（{w.reason}）" for w in decision.waivers]
    quasi = EvaluationSection(key="quasi_identifiers", title="准标识符处理与 k-匿名",
                              passed=_all(by_name, "k_anonymity", "coverage", "suppression", "privacy_model"),
                              findings=quasi_rows + _line(by_name.get("suppression")))
    unique = EvaluationSection(key="uniqueness", title="唯一性（任意列组合）",
                               passed=_verdict(by_name.get("uniqueness")), findings=_line(by_name.get("uniqueness")))
    population = EvaluationSection(key="population_uniqueness", title="总体唯一性",
                                   passed=_verdict(by_name.get("population_uniqueness")),
                                   findings=_line(by_name.get("population_uniqueness")))
    leak = EvaluationSection(key="leak_search", title="原始值泄露检索", passed=_verdict(by_name.get("leak_search")),
                             findings=_line(by_name.get("leak_search")))
    mask = EvaluationSection(key="mask_strength", title="遮蔽强度", passed=_verdict(by_name.get("mask_strength")),
                             findings=_line(by_name.get("mask_strength")))
    risk = assessment.risk_after
    residual = (f"最高重识别风险 {risk.prosecutor_highest:.3f}（最小等价类 {risk.min_class_size}），"
                f"平均风险 {risk.prosecutor_average:.3f}。" if risk else "未声明准标识符，未计算等价类风险。")
    failed = [c for c in checks if not c.passed]
    conclusion = ("去标识化效果满足拟开放类型的要求，可按该类型开放。" if not failed else
                  "去标识化效果不满足要求，不予发布：" + "；".join(CHECK_ZH.get(c.name, c.name) for c in failed) + "。")
    sections = [scope, direct, quasi, unique, population, leak, mask]
    return EvaluationRecord(scenario=SCENARIO.get(rules.target, rules.target), sections=sections,
                            residual_risk=residual, conclusion=conclusion, passed=not failed,
                            figures=dict(assessment.figures))


def _all(by_name: dict[str, Check], *names: str) -> bool | None:
    found = [by_name[n].passed for n in names if n in by_name]
    return all(found) if found else None


def not_assessed(rules: GuardRules) -> EvaluationRecord:
    return EvaluationRecord(
        scenario=SCENARIO["not_open"], sections=[], residual_risk="不发布数据，无残余风险。",
        conclusion="申报为不予开放且未申请调整类型：仅登记目录，不发布数据。", passed=True)
