"""What a user of differentially private statistics needs to read beside the numbers, in Chinese.

Views of the release record's `aggregate` block for the Data Package, the DCAT description and the
portal: the mechanism, the privacy loss, the budget left, and the 95 % accuracy of each measure.
"""

from __future__ import annotations

from catalog.record import DPRelease, ReleaseRecord


def _loss(dp: DPRelease) -> str:
    if dp.rho is not None:
        return f"ρ = {dp.rho:.4g}（零集中差分隐私，按 δ = {dp.ledger_delta:.3g} 折合 ε = {dp.ledger_epsilon:.4g}）"
    text = f"ε = {dp.epsilon:.4g}" if dp.epsilon is not None else ""
    return text + (f"，δ = {dp.delta:.3g}" if dp.delta else "")


def measure_notes(record: ReleaseRecord) -> dict[str, str]:
    """Column -> what its numbers are (noisy value or 95 % error), for the Table Schema descriptions."""
    dp = record.aggregate
    if dp is None:
        return {}
    notes: dict[str, str] = {d.name: f"分组键，来自公开代码表（{d.source}）" for d in dp.dimensions}
    kinds = {"count": "计数", "sum": "求和", "mean": "均值"}
    for measure in dp.measures:
        clamp = f"，每条记录截断到 [{measure.clamp[0]}, {measure.clamp[1]}]" if measure.clamp else ""
        width = (f"，95%误差 ±{measure.accuracy_95:.4g}" if measure.accuracy_95 is not None
                 else "，95%误差见误差列")
        notes[measure.name] = f"差分隐私{kinds[measure.kind]}（{measure.mechanism}）{clamp}{width}"
        if measure.accuracy_column:
            notes[measure.accuracy_column] = f"{measure.name}的95%误差范围：真实值以95%的概率落在 发布值±该数 之内"
    return notes


def statement(record: ReleaseRecord) -> str | None:
    """One paragraph: how the table was made private and what that means for its numbers."""
    dp = record.aggregate
    if dp is None:
        return None
    budget = ""
    if dp.budget is not None:
        budget = (f"本次发布消耗隐私预算 ε {dp.budget.asked_epsilon:.4g}，本期（{dp.budget.period}）预算 "
                  f"{dp.budget.budget_epsilon:.4g}，剩余 {dp.budget.remaining_epsilon:.4g}。")
    return (f"差分隐私统计表（{dp.library}，{dp.privacy_measure}，{_loss(dp)}）：共 {dp.cells} 个单元格，每个单元格"
            f"都加入了随机噪声，分组来自公开代码表；每人最多计入 {dp.contributions} 条记录。{budget}"
            "数值是近似值，误差列给出95%误差范围。")
