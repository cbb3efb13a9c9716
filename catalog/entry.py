"""The Chinese open-catalog entry (数据名称, 开放属性, 信息项, …) as a view of the release record.

Municipal portals and the national guidance list these fields for every dataset, whatever its class,
so a not-open dataset gets an entry too: its existence, class and basis are public, its data is not.
"""

from __future__ import annotations

from typing import Any

from catalog.coverage import publisher_region, publisher_type
from catalog.record import OpenClassName, ReleaseRecord
from catalog.vocab import ACTION_ZH, BASIS_ZH, CLASS_ZH, FREQUENCY_ZH, TYPE_ZH

DEFAULT_BASE_URL = "http://localhost:8000"
DEFAULT_CONDITIONS = "提交用途申请，经数据管理员审核通过并签署数据安全承诺后，在约定期限和次数内使用。"
FORMAT_LABEL = {"csv": "CSV", "parquet": "Parquet", "json": "JSON"}
PUBLISHER_TYPE_ZH = {"NationalAuthority": "国家级机关", "RegionalAuthority": "省级机关", "LocalAuthority": "市县级机关"}


def published_class(record: ReleaseRecord) -> OpenClassName:
    """The class the data is released under: the decision's when one was made, else the declared one."""
    return record.decision.published_class if record.decision else record.dataset.declared_class


def dataset_url(base_url: str, dataset_id: str) -> str:
    return f"{base_url.rstrip('/')}/datasets/{dataset_id}"


def conditions_text(record: ReleaseRecord) -> str:
    cls = published_class(record)
    if cls == "conditional":
        return record.dataset.conditions or DEFAULT_CONDITIONS
    return "无" if cls == "unconditional" else "不予开放，仅公开目录信息"


def basis_text(record: ReleaseRecord) -> list[str]:
    """开放依据: the recorded grounds of the class, and the reclassification when there was one."""
    decision = record.decision
    codes = decision.basis if decision else record.dataset.basis
    labels = [BASIS_ZH.get(code, code) for code in codes]
    if decision and decision.reclassified:
        labels = [f"原定{CLASS_ZH[decision.declared_class]}：{label}" for label in labels]
        how = "经隐私计算（差分隐私统计）" if record.aggregate is not None else "经脱敏处理后"
        labels.append(f"{how}重新定级为{CLASS_ZH[decision.published_class]}（第九条）")
    return labels


def _date(value: Any) -> str:
    return value.date().isoformat() if value is not None else ""


def field_items(record: ReleaseRecord) -> list[dict[str, str]]:
    """信息项: each published column with its type and what was done to it."""
    items = []
    for column in record.columns:
        note = ACTION_ZH.get(column.action, column.action)
        if column.entity:
            note = f"{note}（{column.entity}）"
        items.append({"名称": column.name, "类型": TYPE_ZH.get(column.type, column.type), "说明": note})
    return items


def spatial_text(record: ReleaseRecord) -> str:
    """空间范围: the publisher's GB/T 2260 region with its code, e.g. 山东省济南市（370100）."""
    region = publisher_region(record.dataset)
    return f"{region.name}（{region.code}）" if region else ""


def temporal_text(record: ReleaseRecord) -> str:
    """时间范围: earliest and latest published date, e.g. 2023-01-01 至 2023-12-31."""
    return f"{record.temporal.start} 至 {record.temporal.end}" if record.temporal else ""


def catalog_entry(record: ReleaseRecord, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    """All the Chinese catalog fields; values come only from the record, never from the data."""
    meta = record.dataset
    cls = published_class(record)
    formats = list(dict.fromkeys(FORMAT_LABEL.get(o.format, o.format.upper()) for o in record.outputs))
    page = dataset_url(base_url, meta.id)
    return {
        "数据名称": meta.title,
        "数据摘要": meta.description,
        "数据提供方": meta.publisher,
        "数据提供方代码": meta.publisher_code or "",
        "数据提供方类型": PUBLISHER_TYPE_ZH.get(publisher_type(meta) or "", ""),
        "数据领域": meta.theme,
        "关键字": list(meta.keywords),
        "开放属性": CLASS_ZH[cls],
        "开放条件": conditions_text(record),
        "开放依据": basis_text(record),
        "数据类型": "数据集",
        "更新频率": FREQUENCY_ZH.get(meta.update_frequency, meta.update_frequency),
        "数据格式": formats,
        "发布日期": _date(record.issued or record.published_at),
        "更新日期": _date(record.published_at),
        "数据量": record.rows_out if record.rows_out is not None and cls != "not_open" else None,
        "文件大小": sum(o.bytes for o in record.outputs),
        "信息项": field_items(record),
        "空间范围": spatial_text(record),
        "时间范围": temporal_text(record),
        "许可协议": meta.licence,
        "版本": record.version,
        "联系方式": meta.contact or "",
        "纠错渠道": f"{page}/objections",
    }
