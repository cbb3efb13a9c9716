"""Quality over time: one figure per measure across a dataset's published releases, as static SVG.

Drawn with matplotlib's object API (no pyplot: no global state, safe in the portal's threads) into
SVG whose text is converted to paths, so Chinese labels show in any browser whether or not it has a
CJK font; the server needs one (Debian's fonts-noto-cjk, installed by `make`), looked up by family
name. Without it matplotlib falls back to its own font quietly and the labels lose their glyphs,
never the page.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from catalog.record import ReleaseRecord

CJK_FAMILIES = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Source Han Sans SC", "DejaVu Sans"]


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    unit: str
    whole: bool
    series: Callable[[ReleaseRecord], dict[str, float | None]]


def _uniqueness_share(record: ReleaseRecord) -> float | None:
    figures = (record.evaluation.figures if record.evaluation else {}) or {}
    unique = figures.get("uniqueness") or {}
    records, uniques = unique.get("records"), unique.get("unique_records")
    if not isinstance(records, int | float) or not isinstance(uniques, int | float) or not records:
        return None
    return 100 * uniques / records


def _failed(record: ReleaseRecord, severity: str) -> float | None:
    if record.quality is None:
        return None
    return float(sum(1 for o in record.quality.outcomes if not o.success and o.severity == severity))


def _suppression(record: ReleaseRecord) -> float | None:
    return 100 * record.suppressed / record.rows_in if record.rows_in else None


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("rows", "记录数", "条", True, lambda r: {"输入": r.rows_in, "发布": r.rows_out}),
        Measure("suppression", "记录抑制比例", "%", False, lambda r: {"抑制比例": _suppression(r)}),
        Measure("min-class", "最小等价类", "条记录", True,
                lambda r: {"最小等价类": r.risk_after.min_class_size if r.risk_after else None}),
        Measure("failed", "未通过的期望（按严重程度）", "项", True,
                lambda r: {"严重": _failed(r, "critical"), "警告": _failed(r, "warning")}),
        Measure("uniqueness", "唯一记录比例（总体唯一性）", "%", False, lambda r: {"唯一记录": _uniqueness_share(r)}),
    )
}


def table(records: Sequence[ReleaseRecord]) -> list[dict[str, Any]]:
    """The figures behind the plots, one row per release (the page's table and JSON view)."""
    rows = []
    for record in records:
        row: dict[str, Any] = {"version": record.version}
        for measure in MEASURES.values():
            for name, value in measure.series(record).items():
                row[f"{measure.key}:{name}"] = value
        rows.append(row)
    return rows


def _configure(matplotlib: Any) -> None:
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    matplotlib.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": CJK_FAMILIES,
        "svg.fonttype": "path",
        "axes.unicode_minus": False,
        "svg.hashsalt": "kaifang",  # stable ids: the same releases draw the same bytes
    })


def plot_svg(measure_key: str, records: Sequence[ReleaseRecord]) -> str:
    """One measure across releases as an SVG document; a KeyError for an unknown measure."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    measure = MEASURES[measure_key]
    _configure(matplotlib)
    figure = Figure(figsize=(6.4, 2.8), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    labels = [f"第{r.version}版" for r in records]
    positions = list(range(len(records)))
    names = list(measure.series(records[0]).keys()) if records else []
    for name in names:
        values = [measure.series(r)[name] for r in records]
        points = [(x, v) for x, v in zip(positions, values, strict=True) if v is not None]
        if points:
            axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
    axes.set_xticks(positions, labels)
    axes.set_title(measure.title)
    axes.set_ylabel(measure.unit)
    axes.grid(True, alpha=0.3)
    if measure.whole:
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if len(names) > 1:
        axes.legend(loc="best", fontsize="small")
    if not positions:
        axes.text(0.5, 0.5, "暂无发布版本", ha="center", va="center", transform=axes.transAxes)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "Kaifang"})
    return buffer.getvalue()
