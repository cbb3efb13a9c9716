"""The changelog note of a release (adms:versionNotes): what differs from the previous version.

Written from the two release records only (published column names, counts, classes, checksums), so
it can be public whatever the class: it never quotes a cell, and a column that was not published
(dropped, or held back in a not-open release) is never named.
"""

from __future__ import annotations

from catalog.entry import published_class
from catalog.record import ReleaseRecord
from catalog.vocab import CLASS_ZH


def _columns(record: ReleaseRecord) -> dict[str, str]:
    return {c.name: c.type for c in record.columns} if published_class(record) != "not_open" else {}


def _column_changes(previous: ReleaseRecord, current: ReleaseRecord) -> list[str]:
    before, after = _columns(previous), _columns(current)
    notes = []
    if added := [name for name in after if name not in before]:
        notes.append("新增信息项：" + "、".join(added))
    if removed := [name for name in before if name not in after]:
        notes.append(f"移除信息项 {len(removed)} 个")
    if retyped := [name for name in after if name in before and before[name] != after[name]]:
        notes.append("信息项类型变化：" + "、".join(retyped))
    return notes


def version_notes(previous: ReleaseRecord | None, current: ReleaseRecord) -> str:
    """One Chinese sentence per change; the first release says so."""
    if previous is None:
        return f"首次发布（第 {current.version} 版）。"
    notes: list[str] = []
    old_cls, new_cls = published_class(previous), published_class(current)
    if old_cls != new_cls:
        notes.append(f"开放属性由{CLASS_ZH[old_cls]}调整为{CLASS_ZH[new_cls]}")
    if previous.rows_out != current.rows_out and new_cls != "not_open":
        notes.append(f"记录数 {previous.rows_out or 0} → {current.rows_out or 0}")
    notes.extend(_column_changes(previous, current))
    old_files = {o.path: o.sha256 for o in previous.outputs}
    new_files = {o.path: o.sha256 for o in current.outputs}
    if old_files != new_files and new_cls != "not_open":
        notes.append("数据文件已更新")
    if previous.policy_version != current.policy_version:
        notes.append(f"脱敏策略版本 {previous.policy_version} → {current.policy_version}")
    summary = "；".join(notes) if notes else "元数据更新，数据内容未变"
    return f"第 {current.version} 版（上一版：第 {previous.version} 版）：{summary}。"
