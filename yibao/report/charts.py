"""The HTML report's charts as inline SVG (matplotlib): budget and spending, surplus or overspend, the point value by
month, and the members' allocation.

The SVG keeps its text as text (`svg.fonttype = none`), so the page's CJK fonts draw the Chinese labels; matplotlib
only measures them, with a CJK font where one is installed.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Callable, Sequence
from typing import ParamSpec

import matplotlib
import polars as pl
from matplotlib import font_manager, ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from yibao.models.enums import Level

CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
             "SimHei")  # fmt: skip
"""CJK fonts, preferred first; the page asks for the same ones."""
COLOURS = {
    "budget": "#9DB9D8", "actual": "#2F5D8A", "retained": "#3C9D5D", "returned": "#A6D6B4",
    "fund_share": "#E8A23A", "borne": "#C8453B", "point_value": "#2F5D8A",
}  # fmt: skip
LEVEL_COLOURS = dict(zip(Level, ("#1F3B5C", "#2F5D8A", "#5B8DB8", "#8FBF6A", "#E3C567"), strict=True))
WIDTH = 6.4
"""Figure width, inches."""
P = ParamSpec("P")
NO_METADATA = dict.fromkeys(("Creator", "Date", "Format", "Type"))
"""No <metadata> block: the page says what made it, once."""


@functools.cache
def _fonts() -> list[str]:
    """The CJK fonts installed here (matplotlib measures text with the first), then matplotlib's own."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [*(name for name in CJK_FONTS if name in installed), "DejaVu Sans"]


def _style(name: str) -> dict[str, object]:
    return {
        "svg.fonttype": "none",
        "svg.hashsalt": name,  # ids unique to each chart of the page, and the same on every run
        "text.parse_math": False,  # a `$` in a name is text
        "font.family": _fonts(),
        "font.size": 11,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": "#888888",
        "axes.titlesize": 12,
        "legend.frameon": False,
    }


def _chart(name: str) -> Callable[[Callable[P, Figure]], Callable[P, str]]:
    """Draw the figure under the report's style and give it as an `<svg>` element (no XML prolog), its ids salted
    with `name`."""

    def wrap(draw: Callable[P, Figure]) -> Callable[P, str]:
        @functools.wraps(draw)
        def svg(*args: P.args, **kwargs: P.kwargs) -> str:
            buffer = io.StringIO()
            with matplotlib.rc_context(_style(name)), warnings.catch_warnings():
                # Without a CJK font here only the measured widths are off: the browser draws the text.
                warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
                draw(*args, **kwargs).savefig(buffer, format="svg", bbox_inches="tight", metadata=NO_METADATA)
            text = buffer.getvalue()
            return text[text.index("<svg") :]

        return svg

    return wrap


def _bars(rows: int) -> tuple[Figure, Axes]:
    """A figure for horizontal bars, one row per alliance."""
    figure = Figure(figsize=(WIDTH, 1.4 + 0.55 * max(rows, 1)))
    return figure, figure.subplots()


def money_unit(largest_fen: int) -> tuple[int, str]:
    """Fen per unit shown, and the unit: 元, 万元 or 亿元, by the largest amount."""
    if largest_fen >= 10**10:
        return 10**10, "亿元"
    return (10**6, "万元") if largest_fen >= 10**7 else (100, "元")


def _money_axis(ax: Axes, unit: str) -> None:
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: f"{x:,.6g}"))
    ax.set_xlabel(unit)
    ax.grid(axis="x", color="#E5E5E5")
    ax.set_axisbelow(True)


def _alliance_axis(ax: Axes, labels: Sequence[str]) -> None:
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.axvline(0, color="#888888", linewidth=0.8)


def labels(alliances: pl.DataFrame) -> list[str]:
    """Each alliance as the charts name it: its name, else its id."""
    return [name or alliance for alliance, name in alliances.select("alliance_id", "name").iter_rows()]


@_chart("budget")
def budget_chart(alliances: pl.DataFrame) -> Figure:
    """预算与实际支出: each alliance's budget beside the fund's actual spending on its residents."""
    figure, ax = _bars(alliances.height)
    per, unit = money_unit(max([0, *alliances["budget_fen"], *alliances["actual_fen"]]))
    rows = range(alliances.height)
    for offset, column, label in ((-0.2, "budget_fen", "预算 budget"), (0.2, "actual_fen", "实际支出 spending")):
        values = [v / per for v in alliances[column]]
        bars = ax.barh([r + offset for r in rows], values, height=0.38, label=label, color=COLOURS[column[:-4]])
        ax.bar_label(bars, fmt="{:,.2f}", padding=3, fontsize=9)
    _alliance_axis(ax, labels(alliances))
    _money_axis(ax, unit)
    ax.margins(x=0.18)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
    return figure


OUTCOME_PARTS = (
    ("retained_fen", 1, "结余留用 retained"),
    ("returned_fen", 1, "结余返还基金 returned"),
    ("fund_share_fen", -1, "超支基金分担 fund share"),
    ("borne_fen", -1, "超支医共体承担 borne"),
)
"""The parts of a surplus (shown right of zero) and of an overspend (left of zero)."""


@_chart("outcome")
def outcome_chart(alliances: pl.DataFrame) -> Figure:
    """结余与超支: a surplus split into retained and returned, an overspend into the fund's and the alliance's share."""
    figure, ax = _bars(alliances.height)
    per, unit = money_unit(max([0, *(abs(v) for v in alliances["balance_fen"])]))
    rows = list(range(alliances.height))
    right, left = [0.0] * len(rows), [0.0] * len(rows)
    for column, sign, label in OUTCOME_PARTS:
        values = [sign * v / per for v in alliances[column]]
        start = right if sign > 0 else left
        ax.barh(rows, values, left=start, height=0.5, label=label, color=COLOURS[column[:-4]])
        for i, value in enumerate(values):
            start[i] += value
    _alliance_axis(ax, labels(alliances))
    _money_axis(ax, f"超支(−) / 结余(+) {unit}")
    limit = max([1.0, *right, *(-v for v in left)]) * 1.1
    ax.set_xlim(-limit, limit)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
    return figure


@_chart("point-value")
def point_value_chart(months: pl.DataFrame, year_value: float | None) -> Figure:
    """点值: each month's provisional point value (months without cases have none) and the year's."""
    by_month = (
        months.filter(pl.col("point_value").is_not_null())
        .group_by("month")
        .agg(pl.col("point_value").first())
        .sort("month")
    )
    figure = Figure(figsize=(WIDTH, 2.8))
    ax = figure.subplots()
    values = [float(v) for v in by_month["point_value"]]
    ax.plot(by_month["month"].to_list(), values, marker="o", color=COLOURS["point_value"], label="月度点值 by month")
    for month, value in zip(by_month["month"], values, strict=True):
        ax.annotate(f"{value:,.2f}", (month, value), textcoords="offset points", xytext=(0, 6), ha="center",
                    fontsize=9)  # fmt: skip
    if year_value is not None:
        ax.axhline(year_value, color="#C8453B", linestyle="--", linewidth=1, label=f"年度点值 year {year_value:,.4f}")
    ax.set_xticks(range(1, 13), [f"{m}月" for m in range(1, 13)])
    ax.set_xlim(0.5, 12.5)
    ax.set_ylim(bottom=0, top=max([1.0, *values, year_value or 0]) * 1.2)
    ax.set_ylabel("元/点")
    ax.grid(axis="y", color="#E5E5E5")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
    return figure


@_chart("allocation")
def allocation_chart(alliances: pl.DataFrame, members: pl.DataFrame) -> Figure:
    """成员单位分配: each alliance's package as its members receive it, stacked by level."""
    figure, ax = _bars(alliances.height)
    per, unit = money_unit(max([0, *alliances["package_fen"]]))
    ids = alliances["alliance_id"].to_list()
    by_level = members.group_by("alliance_id", "level").agg(pl.col("allocation_fen").sum())
    start = [0.0] * len(ids)
    for level in Level:
        got = dict(by_level.filter(pl.col("level") == level.value).select("alliance_id", "allocation_fen").iter_rows())
        if not got:
            continue
        values = [got.get(alliance, 0) / per for alliance in ids]
        ax.barh(range(len(ids)), values, left=start, height=0.5, label=level.label, color=LEVEL_COLOURS[level])
        start = [s + v for s, v in zip(start, values, strict=True)]
    for row, total in enumerate(start):
        ax.annotate(f"{total:,.2f}", (total, row), textcoords="offset points", xytext=(3, 0), va="center", fontsize=9)
    _alliance_axis(ax, labels(alliances))
    _money_axis(ax, unit)
    ax.margins(x=0.15)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(Level))
    return figure
