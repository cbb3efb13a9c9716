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

SCENARIO = {
    "conditional": "有条件开放（申请并签署协议后使用）",
    "unconditional": "无条件开放（公众自由获取）",
    "not_open": "不予开放",
}
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
KIND_ZH = {"quasi_identifier": "准标识符", "record_identifier": "记录标识符", "direct_identifier": "直接标识符"}


def _state(check: Check | None) -> str:
    return "" if check is None else ("（通过）" if check.passed else "（未通过）")


def _direct(assessment: Assessment, by_name: dict[str, Check]) -> list[str]:
    lines = []
    for name, entity in sorted(assessment.input_entities.items()):
        item = assessment.by_column.get(name)
        action = ACTION_ZH.get(item.action, item.action) if item else "未知"
        lines.append(f"{name}：{vocabulary.label(entity)}，处理方式：{action}。")
    if not lines:
        lines.append("未检出整列的直接标识符或记录标识符。")
    found = {}
    for finding in assessment.residual:
        found.setdefault(finding.column, []).append(f"{vocabulary.label(finding.entity)}（占 {finding.share:.1%}）")
    if found:
        lines += [f"复扫发现列 {c} 仍含原始{'、'.join(v)}。" for c, v in sorted(found.items())]
    elif "rescan" in by_name:
        lines.append("复扫（含独立的第二种姓名识别）：所有发布列中未发现原始直接标识符；"
                     "身份证号、银行卡号、护照与通行证号码在任何列（含原样发布列）中均未出现。")
    direct = by_name.get("direct_identifiers")
    if direct is not None and not direct.passed:
        lines.append(f"直接标识符处理未达到拟开放类型的要求：{direct.figure}。")
    return lines


def _quasi(assessment: Assessment, by_name: dict[str, Check], decision: Decision) -> list[str]:
    rules = assessment.rules
    lines = [f"声明的准标识符：{'、'.join(rules.quasi_identifiers) or '无'}；拟开放类型要求 k ≥ {rules.required_k}。"]
    risk = assessment.risk_after
    if risk is not None:
        lines.append(f"发布数据的最小等价类为 {risk.min_class_size} 条记录，共 {risk.classes} 个等价类"
                     f"{_state(by_name.get('k_anonymity'))}。")
    share = assessment.suppressed / assessment.rows_in if assessment.rows_in else 0.0
    lines.append(f"为满足 k-匿名抑制 {assessment.suppressed} 条记录（{share:.2%}），上限 {rules.suppression_limit:.0%}"
                 f"{_state(by_name.get('suppression'))}。")
    for item in assessment.figures.get("uncovered", []):
        kinds = "、".join(KIND_ZH.get(k, k) for k in item["kinds"])
        lines.append(f"列 {item['column']} 被检出为{kinds}，但既未处理、未声明为准标识符，也未说明豁免理由。")
    if "coverage" in by_name and by_name["coverage"].passed:
        lines.append("检出的准标识符与记录标识符均已处理、声明或豁免。")
    lines += [f"豁免：列 {w.column} 原样发布，理由：{w.reason}。" for w in decision.waivers]
    return lines


def _uniqueness(assessment: Assessment, by_name: dict[str, Check]) -> list[str]:
    found = assessment.figures.get("uniqueness")
    if not found:
        return ["记录不涉及自然人，未进行唯一性攻击评估。"]
    limit = assessment.rules.target_rules.max_unique_share if assessment.rules.target_rules else 0.0
    lines = [f"在 {len(found['columns'])} 个可用于关联的发布列（{'、'.join(found['columns'])}）的任意至多 "
             f"{found['max_size']} 列组合上，唯一的记录有 {found['unique_records']} 条（共 {found['records']} 条，"
             f"{found['share']:.2%}），要求不超过 {limit:.2%}{_state(by_name.get('uniqueness'))}。"]
    if found.get("smallest_combination"):
        lines.append(f"例如仅凭 {'、'.join(found['smallest_combination'])} 即可唯一确定某些记录。")
    return lines


def _population(assessment: Assessment, by_name: dict[str, Check]) -> list[str]:
    found = assessment.figures.get("population_uniqueness")
    if not found:
        return ["未声明准标识符或记录不涉及自然人，未估计总体唯一性。"]
    state = _state(by_name.get("population_uniqueness"))
    return [f"按 Zayatz 模型（抽样比 {found['sampling_fraction']:g}）估计，在总体中唯一的记录约 "
            f"{found['population_uniques']:.1f} 条（{found['share']:.2%}）{state}。"]


def _leaks(assessment: Assessment, by_name: dict[str, Check]) -> list[str]:
    if "leak_search" not in by_name:
        return ["输入数据中没有需要检索的标识符。"]
    found = assessment.figures.get("leaks") or []
    if not found:
        return ["以输入数据中全部标识符的原值（规范化后，姓名亦在文本中检索）"
                "逐一检索发布数据的每个单元格，未发现泄露。"]
    return [f"列 {item['column']} 有 {item['cells']} 个单元格含输入数据中的{vocabulary.label(item['entity'])}原值。"
            for item in found]


def _masks(assessment: Assessment, by_name: dict[str, Check]) -> list[str]:
    found = assessment.figures.get("mask_strength") or []
    if not found:
        return ["发布数据中没有遮蔽值。"]
    minimum = assessment.rules.mask_min_candidates
    lines = []
    for item in found:
        cap = f"，上限 {item['cap']} 个" if item.get("cap") is not None else ""
        lines.append(f"列 {item['column']}（{vocabulary.label(item['entity'])}）：每个遮蔽值至少对应 "
                     f"{item['fewest_candidates']:,.0f} 个可能的原值（要求至少 {minimum:,.0f} 个），"
                     f"最多显示 {item['most_shown']} 个字符{cap}。")
    return lines


def evaluation(assessment: Assessment, checks: list[Check], decision: Decision) -> EvaluationRecord:
    rules = assessment.rules
    by_name = {c.name: c for c in checks}
    scope = EvaluationSection(key="scope", title="评估对象与场景", findings=[
        f"输入 {assessment.rows_in} 条记录，输出 {assessment._rows()} 条记录，发布 {len(assessment.published)} 列，"
        f"抑制 {assessment.suppressed} 条。",
        f"申报开放类型：{SCENARIO.get(rules.declared, rules.declared)}；"
        f"拟开放类型：{SCENARIO.get(rules.target, rules.target)}。",
        f"记录{'涉及' if assessment.personal else '不涉及'}自然人；"
        f"评估依据 GB/T 42460-2023，策略版本 {rules.policy_version}。",
    ])
    sections = [
        scope,
        EvaluationSection(key="direct_identifiers", title="直接标识符及其处理",
                          passed=_all(by_name, "direct_identifiers", "never_raw", "rescan"),
                          findings=_direct(assessment, by_name)),
        EvaluationSection(key="quasi_identifiers", title="准标识符处理与 k-匿名",
                          passed=_all(by_name, "k_anonymity", "coverage", "suppression", "privacy_model"),
                          findings=_quasi(assessment, by_name, decision)),
        EvaluationSection(key="uniqueness", title="唯一性（任意列组合）", passed=_all(by_name, "uniqueness"),
                          findings=_uniqueness(assessment, by_name)),
        EvaluationSection(key="population_uniqueness", title="总体唯一性",
                          passed=_all(by_name, "population_uniqueness"), findings=_population(assessment, by_name)),
        EvaluationSection(key="leak_search", title="原始值泄露检索", passed=_all(by_name, "leak_search"),
                          findings=_leaks(assessment, by_name)),
        EvaluationSection(key="mask_strength", title="遮蔽强度", passed=_all(by_name, "mask_strength"),
                          findings=_masks(assessment, by_name)),
    ]
    risk = assessment.risk_after
    residual = (f"最高重识别风险 {risk.prosecutor_highest:.3f}（最小等价类 {risk.min_class_size}），"
                f"平均风险 {risk.prosecutor_average:.3f}。" if risk else "未声明准标识符，未计算等价类风险。")
    failed = [c for c in checks if not c.passed]
    conclusion = ("去标识化效果满足拟开放类型的要求，可按该类型开放。" if not failed else
                  "去标识化效果不满足要求，不予发布：" + "；".join(CHECK_ZH.get(c.name, c.name) for c in failed) + "。")
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
