"""A `RunDiff` as rich tables for `yibao runs diff`: the why (inputs, files, policy keys), then the money (元)."""

from __future__ import annotations

import polars as pl
from rich.console import RenderableType
from rich.table import Table

from yibao.settlement.money import fen_to_yuan
from yibao.store.diff import RunDiff

SHORT_HASH = 12
"""Hex digits of a sha256 shown (the frames hold all 64)."""
MONEY_TABLES = {
    "region": "全区 region",
    "alliances": "医共体 alliances",
    "members": "成员机构 members",
    "direct": "直接结算 direct institutions",
    "institutions": "点数法年度清算 point-method institutions",
    "months": "月度预结算 months",
    "advances": "医共体月度预付 alliance advances",
}
"""The money frames of a diff and their titles (shown in `RunDiff.held` order: only those the runs have)."""


def _yuan(fen: int | None, sign: str = "") -> str:
    return "—" if fen is None else f"{fen_to_yuan(fen):{sign},}"


def _short(text: str | None) -> str:
    if text is None:
        return "—"
    return text[:SHORT_HASH] if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else text


def _text_table(title: str, frame: pl.DataFrame, headers: tuple[str, ...]) -> Table:
    table = Table(title=title)
    for header in headers:
        table.add_column(header)
    for row in frame.iter_rows():
        table.add_row(*(_short(v) for v in row))
    return table


def _money_table(title: str, frame: pl.DataFrame, top: int) -> Table:
    """The largest `top` changes of one money frame: its key columns, the item (the column without `_fen`), then
    old, new and change in 元."""
    keys = frame.columns[:-4]
    table = Table(title=f"{title}: {frame.height:,} changed (元)")
    for key in (*keys, "item"):
        table.add_column(key, no_wrap=True)
    for header in ("old", "new", "change"):
        table.add_column(header, justify="right")
    for row in frame.head(top).iter_rows():
        *names, item, old, new, change = row
        label = item.removesuffix("_fen")
        table.add_row(*("" if name is None else str(name) for name in names), label, _yuan(old), _yuan(new),
                      _yuan(change, "+"))  # fmt: skip
    if frame.height > top:
        table.add_row(f"… {frame.height - top:,} more", *[""] * (len(keys) + 3))
    return table


def diff_view(diff: RunDiff, top: int = 20) -> list[RenderableType]:
    """What to print: why the runs differ, then their money changes (the largest `top` of each table)."""
    title = f"run {diff.old.id} → run {diff.new.id}"
    if diff.same:
        return [f"{title}: same kind, period, inputs and library version, and the same money"]
    shown: list[RenderableType] = []
    if diff.causes.is_empty():
        shown.append(f"{title}: same kind, period, inputs and library version")
    else:
        shown.append(_text_table(f"{title}: what differs", diff.causes, ("item", "old", "new")))
    if not diff.files.is_empty():
        shown.append(_text_table("changed input files (sha256)", diff.files, ("input", "file", "old", "new")))
    if not diff.parameters.is_empty():
        shown.append(_text_table("changed policy parameters", diff.parameters, ("key", "old", "new")))
    if diff.without_snapshot:
        runs = ", ".join(str(i) for i in diff.without_snapshot)
        shown.append(f"run {runs}: recorded before schema version 2, no policy text or file list to compare")
    old_value, new_value = diff.point_value
    if old_value != new_value:
        shown.append(f"点值 point value: {old_value} → {new_value} 元/点")
    for name in diff.held:
        frame, label = getattr(diff, name), MONEY_TABLES[name]
        shown.append(_money_table(label, frame, top) if not frame.is_empty() else f"{label}: no money changed")
    return shown
