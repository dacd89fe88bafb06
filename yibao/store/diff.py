"""Comparing two runs (`yibao runs diff`): which money changed — per alliance, member, direct institution, the point
method's institutions, months and the alliances' advances, and the region — and why: the kind, period, inputs or
library version that differ, and the policy parameters changed key by key. Runs of any kind compare: a frame one
run lacks shows its rows as appeared or disappeared, and the region rows only when both runs have them."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine

from yibao.settlement.policy_text import policy_document, read_policy_text
from yibao.store.read import RunInputs, get_run, run_frames, run_inputs
from yibao.store.tables import Run

CAUSES = {
    "period": "period",
    "kind": "kind",
    "library_version": "library version",
    "claims_hash": "claims",
    "policy_hash": "policy",
    "tables_hash": "tables",
}
"""The run's facts a diff compares (column → item): what was read, by which library, for which year."""
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
CHANGE_COLUMNS = ("item", "old_fen", "new_fen", "change_fen")
TEXT_CHANGE = {"old": pl.String, "new": pl.String}
FILE_CHANGE = {"role": pl.String, "name": pl.String, "old_sha256": pl.String, "new_sha256": pl.String}
REGION_FRAMES = {"region": "", "points.region": "points.", "points.month_region": "month."}
"""The one-row region frames a diff compares, and the prefix of their items."""
KEYED_FRAMES = {
    "alliances": ("alliances", ["alliance_id"]),
    "direct": ("direct", ["institution_id"]),
    "institutions": ("points.institutions", ["institution_id"]),
    "months": ("points.months", ["institution_id", "month"]),
    "advances": ("advances", ["alliance_id", "month"]),
}
"""RunDiff money frame → (stored frame, its key), besides `members` and `region`."""
MONEY_ORDER = ("region", "alliances", "members", "direct", "institutions", "months", "advances")
"""The RunDiff money frames, in the order they are shown."""


@dataclass(frozen=True)
class RunDiff:
    """What changed from run `old` to run `new`, and why. Money frames are long — one row per (row, money column)
    whose value differs, or whose row appeared (old_fen null) or disappeared (new_fen null) — sorted by the
    absolute change, largest first."""

    old: Run
    new: Run
    causes: pl.DataFrame
    """item (period, kind, library version, claims, policy, tables), old, new: only those that differ."""
    files: pl.DataFrame
    """role, name, old_sha256, new_sha256: the input files whose content differs, appeared or disappeared."""
    parameters: pl.DataFrame
    """key (dotted, as in TOML), old, new (TOML values as text, defaults filled in; null when absent): the policy's
    changed keys."""
    without_snapshot: tuple[int, ...]
    """Runs recorded before schema version 2: no policy text or file list to compare."""
    region: pl.DataFrame
    """item (region totals; the point method's as points.…, a month's as month.…), old_fen, new_fen, change_fen."""
    point_value: tuple[Decimal | None, Decimal | None]
    """The point value (元/点) of the old and the new run: the year's, or a month's run's month (None when the run
    has neither: before schema version 2, or a month without cases)."""
    alliances: pl.DataFrame
    """alliance_id, item, old_fen, new_fen, change_fen."""
    members: pl.DataFrame
    """institution_id, alliance_id (the new run's, else the old's), item, old_fen, new_fen, change_fen."""
    direct: pl.DataFrame
    """institution_id, item, old_fen, new_fen, change_fen."""
    institutions: pl.DataFrame
    """The point method's clearing per institution: institution_id, item, old_fen, new_fen, change_fen."""
    months: pl.DataFrame
    """The point method's month rows: institution_id, month, item, old_fen, new_fen, change_fen."""
    advances: pl.DataFrame
    """Each alliance's monthly advance: alliance_id, month, item, old_fen, new_fen, change_fen."""
    held: tuple[str, ...]
    """The money frames above that either run has rows of (the others are not part of what was settled)."""

    @property
    def same(self) -> bool:
        """Nothing differs: same kind, period, inputs and library, and the same money."""
        frames = (self.causes, self.files, self.region, self.alliances, self.members, self.direct, self.institutions,
                  self.months, self.advances)  # fmt: skip
        return all(f.is_empty() for f in frames)


def money_changes(old: pl.DataFrame, new: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """key, item, old_fen, new_fen, change_fen for every `*_fen` column of a row that differs, appeared or
    disappeared between two frames of the same kind; largest absolute change first."""
    money = [c for c in new.columns if c.endswith("_fen") and c in old.columns]

    def long(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.select(*key, *money).unpivot(index=key, on=money, variable_name="item", value_name=name)

    joined = long(old, "old_fen").join(long(new, "new_fen"), on=[*key, "item"], how="full", coalesce=True)
    change = pl.col("new_fen").fill_null(0) - pl.col("old_fen").fill_null(0)
    return (
        joined.filter(pl.col("old_fen").ne_missing(pl.col("new_fen")))
        .with_columns(change_fen=change)
        .sort(change.abs(), *key, "item", descending=[True, *[False] * (len(key) + 1)])
        .select(*key, *CHANGE_COLUMNS)
    )


def _causes(old: Run, new: Run) -> pl.DataFrame:
    rows = [
        (item, getattr(old, c), getattr(new, c)) for c, item in CAUSES.items() if getattr(old, c) != getattr(new, c)
    ]
    return pl.DataFrame(rows, schema={"item": pl.String, **TEXT_CHANGE}, orient="row")


def _files(old: RunInputs, new: RunInputs) -> pl.DataFrame:
    """Input files (by role and name) whose sha256 differs, or which only one run read; none when a run has no
    snapshot."""
    if old.policy_text is None or new.policy_text is None:
        return pl.DataFrame(schema=FILE_CHANGE)
    key = ["role", "name"]
    joined = old.files.select(*key, old_sha256="sha256").join(
        new.files.select(*key, new_sha256="sha256"), on=key, how="full", coalesce=True
    )
    return joined.filter(pl.col("old_sha256").ne_missing(pl.col("new_sha256"))).sort(key)


def _toml_text(value: Any) -> str:
    """A TOML value written back as TOML text (strings quoted, so "2315.00" and 2315.0 read differently)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key_part(k)} = {_toml_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def _key_part(part: str) -> str:
    return part if BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)


def flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A parsed TOML document as dotted keys → TOML value text; arrays of tables by index (`bands[0].up_to`),
    other arrays whole."""
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{_key_part(name)}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{key}."))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                flat.update(flatten(item, f"{key}[{i}]."))
        else:
            flat[key] = _toml_text(value)
    return flat


def _policy_keys(text: str) -> dict[str, str]:
    """A policy's dotted keys → TOML value text: the whole policy with its defaults when the text reads as a policy
    (so that a key left out and the same default written, or 0.85 and "0.85", are the same), else the text's own."""
    try:
        return flatten(policy_document(read_policy_text(text, Path())))
    except ValueError:  # not a policy this library reads (pydantic's ValidationError is a ValueError)
        return flatten(tomllib.loads(text))


def parameter_changes(old_text: str | None, new_text: str | None) -> pl.DataFrame:
    """key, old, new for every dotted key whose value differs between two policies (TOML text), in the policy's
    order, then the keys only the old one has; none when a text is missing (a run without snapshot)."""
    rows = []
    if old_text is not None and new_text is not None:
        old, new = _policy_keys(old_text), _policy_keys(new_text)
        keys = [*new, *(k for k in old if k not in new)]
        rows = [(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]
    return pl.DataFrame(rows, schema={"key": pl.String, **TEXT_CHANGE}, orient="row")


def _region(old: dict[str, pl.DataFrame], new: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The money of the region rows both runs have: totals, the point method's (items `points.…`) and a month's
    (`month.…`)."""
    parts = [
        money_changes(old[name], new[name], []).with_columns(item=pl.lit(prefix) + pl.col("item"))
        for name, prefix in REGION_FRAMES.items()
        if not (old[name].is_empty() or new[name].is_empty())
    ]
    if not parts:
        return pl.DataFrame(schema={c: pl.String if c == "item" else pl.Int64 for c in CHANGE_COLUMNS})
    return pl.concat(parts).sort(pl.col("change_fen").abs(), descending=True, maintain_order=True)


def _point_value(frames: dict[str, pl.DataFrame]) -> Decimal | None:
    for name in ("points.region", "points.month_region"):
        if not frames[name].is_empty():
            return frames[name]["point_value"][0]
    return None


def _held(old: dict[str, pl.DataFrame], new: dict[str, pl.DataFrame]) -> tuple[str, ...]:
    """The RunDiff money frames either run has rows of; the region when both have one of its rows."""
    region = any(not (old[name].is_empty() or new[name].is_empty()) for name in REGION_FRAMES)
    stored = {"members": "members"} | {name: frame for name, (frame, _) in KEYED_FRAMES.items()}
    held = [name for name, frame in stored.items() if not (old[frame].is_empty() and new[frame].is_empty())]
    return ("region",) * region + tuple(sorted(held, key=MONEY_ORDER.index))


def _members(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    changes = money_changes(old, new, ["institution_id"])
    alliance = new.select("institution_id", "alliance_id").join(
        old.select("institution_id", old_alliance="alliance_id"), on="institution_id", how="full", coalesce=True
    )
    return changes.join(alliance, on="institution_id", how="left", maintain_order="left").select(
        "institution_id", pl.coalesce("alliance_id", "old_alliance").alias("alliance_id"), *CHANGE_COLUMNS
    )


def diff_runs(engine: Engine, old_id: int, new_id: int) -> RunDiff:
    """What changed from run `old_id` to run `new_id`, and why (an unknown run is a StoreError)."""
    old, new = get_run(engine, old_id), get_run(engine, new_id)
    old_frames, new_frames = run_frames(engine, old_id), run_frames(engine, new_id)
    old_inputs, new_inputs = run_inputs(engine, old_id), run_inputs(engine, new_id)
    old_text, new_text = old_inputs.policy_text, new_inputs.policy_text
    keyed = {
        name: money_changes(old_frames[frame], new_frames[frame], key) for name, (frame, key) in KEYED_FRAMES.items()
    }
    return RunDiff(
        old=old,
        new=new,
        causes=_causes(old, new),
        files=_files(old_inputs, new_inputs),
        parameters=parameter_changes(old_text, new_text),
        without_snapshot=tuple(i for i, text in ((old_id, old_text), (new_id, new_text)) if text is None),
        region=_region(old_frames, new_frames),
        point_value=(_point_value(old_frames), _point_value(new_frames)),
        members=_members(old_frames["members"], new_frames["members"]),
        held=_held(old_frames, new_frames),
        **keyed,
    )
