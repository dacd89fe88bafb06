"""Comparing two runs (`yibao runs diff`): which money changed, per alliance, member, direct institution and region,
and why — the inputs, library version or period that differ, and the policy parameters changed key by key."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Engine

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
    """key (dotted, as in TOML), old, new (TOML values as text; null when absent): the policy's changed keys."""
    without_snapshot: tuple[int, ...]
    """Runs recorded before schema version 2: no policy text or file list to compare."""
    region: pl.DataFrame
    """item (region totals; the point method's as points.…), old_fen, new_fen, change_fen."""
    point_value: tuple[Decimal | None, Decimal | None]
    """The year's point value (元/点) of the old and the new run (None before schema version 2)."""
    alliances: pl.DataFrame
    """alliance_id, item, old_fen, new_fen, change_fen."""
    members: pl.DataFrame
    """institution_id, alliance_id (the new run's, else the old's), item, old_fen, new_fen, change_fen."""
    direct: pl.DataFrame
    """institution_id, item, old_fen, new_fen, change_fen."""

    @property
    def same(self) -> bool:
        """Nothing differs: same inputs, library and period, and the same money."""
        return all(f.is_empty() for f in (self.causes, self.files, self.region, self.alliances, self.members,
                                          self.direct))  # fmt: skip


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


def parameter_changes(old_text: str | None, new_text: str | None) -> pl.DataFrame:
    """key, old, new for every dotted key whose value differs between two policy files (TOML text), in the new
    file's order, then the keys only the old one has; none when a text is missing (a run without snapshot)."""
    rows = []
    if old_text is not None and new_text is not None:
        old, new = flatten(tomllib.loads(old_text)), flatten(tomllib.loads(new_text))
        keys = [*new, *(k for k in old if k not in new)]
        rows = [(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]
    return pl.DataFrame(rows, schema={"key": pl.String, **TEXT_CHANGE}, orient="row")


def _region(old: dict[str, pl.DataFrame], new: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The region totals and the point method's region money (items `points.…`); empty unless both runs have them."""
    if any(frames[name].is_empty() for frames in (old, new) for name in ("region", "points.region")):
        return pl.DataFrame(schema={c: pl.String if c == "item" else pl.Int64 for c in CHANGE_COLUMNS})
    totals = money_changes(old["region"], new["region"], [])
    points = money_changes(old["points.region"], new["points.region"], [])
    both = pl.concat([totals, points.with_columns(item=pl.lit("points.") + pl.col("item"))])
    return both.sort(pl.col("change_fen").abs(), descending=True, maintain_order=True)


def _point_value(frames: dict[str, pl.DataFrame]) -> Decimal | None:
    region = frames["points.region"]
    return None if region.is_empty() else region["point_value"][0]


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
    return RunDiff(
        old=old,
        new=new,
        causes=_causes(old, new),
        files=_files(old_inputs, new_inputs),
        parameters=parameter_changes(old_text, new_text),
        without_snapshot=tuple(i for i, text in ((old_id, old_text), (new_id, new_text)) if text is None),
        region=_region(old_frames, new_frames),
        point_value=(_point_value(old_frames), _point_value(new_frames)),
        alliances=money_changes(old_frames["alliances"], new_frames["alliances"], ["alliance_id"]),
        members=_members(old_frames["members"], new_frames["members"]),
        direct=money_changes(old_frames["direct"], new_frames["direct"], ["institution_id"]),
    )
