"""The demonstration subset rulesets/demo: format, closure, size, and that it groups sensibly.

Reads only rulesets/demo. The small grouper below follows the algorithm of the ruleset format literally;
it is a check of the data, not the project's grouper.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

import polars as pl
import pytest

from tests.conftest import DEMO_RULESET
from yibao.codes import DIAGNOSIS_PATTERN, PROCEDURE_PATTERN
from yibao.rules.load import ARG_PREDICATES, LIST_PREDICATES, PREDICATES, SPLITS
from yibao.rules.tables import TABLE_COLUMNS

DEMO = DEMO_RULESET
FILES = TABLE_COLUMNS
DX_RE = re.compile(f"^(?:{DIAGNOSIS_PATTERN})$")
PROC_RE = re.compile(f"^(?:{PROCEDURE_PATTERN})$")
DX_LIST_PREDICATES = {p for p, kind in LIST_PREDICATES.items() if kind == "diagnosis"}
PROC_LIST_PREDICATES = {p for p, kind in LIST_PREDICATES.items() if kind == "procedure"}


@cache
def table(name: str) -> pl.DataFrame:
    return pl.read_csv(DEMO / name, infer_schema=False)


def rows(name: str) -> list[dict[str, str | None]]:
    return table(name).to_dicts()


def test_every_file_has_exactly_the_format_columns() -> None:
    for name, columns in FILES.items():
        path = DEMO / name
        assert path.is_file(), name
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == columns, name
        assert table(name).height > 0, name


def test_readme_and_notice() -> None:
    readme = " ".join((DEMO / "README.md").read_text(encoding="utf-8").split())
    notice = " ".join((DEMO / "NOTICE").read_text(encoding="utf-8").split())
    assert "demonstration subset" in readme and "not fit for" in readme
    for text in (readme, notice):
        assert "OpenDRG" in text and "Apache License, Version 2.0" in text
        assert "National Healthcare Security Administration" in text


def dx_codes() -> set[str]:
    names = ("mdc_diagnoses.csv", "adrg_diagnoses.csv", "complications.csv", "principal_exclusions.csv")
    return {c for name in (*names, "diagnosis_names.csv") for c in table(name)["code"]}


def proc_codes() -> set[str]:
    return {
        c for name in ("adrg_procedures.csv", "or_procedures.csv", "procedure_names.csv") for c in table(name)["code"]
    }


def test_codes_match_the_code_patterns() -> None:
    assert not sorted(c for c in dx_codes() if not DX_RE.match(c))
    assert not sorted(c for c in proc_codes() if not PROC_RE.match(c))


def test_orders_are_unique_and_dense() -> None:
    mdc_orders = [int(o) for o in table("mdc.csv")["order"]]
    assert sorted(mdc_orders) == list(range(1, 27))
    assert table("mdc.csv")["mdc"].n_unique() == 26
    for name, owner, order in (
        ("adrg.csv", "mdc", "order"),
        ("drg.csv", "adrg", "order"),
        ("mdc_conditions.csv", "mdc", "seq"),
        ("adrg_conditions.csv", "adrg", "seq"),
    ):
        df = table(name)
        assert df.select(owner, order).is_duplicated().sum() == 0, name
    for (_mdc,), g in table("adrg.csv").group_by("mdc"):
        assert sorted(int(o) for o in g["order"]) == list(range(1, g.height + 1))
    assert table("adrg.csv")["adrg"].n_unique() == table("adrg.csv").height
    assert table("drg.csv")["drg"].n_unique() == table("drg.csv").height
    for name in (
        "complications.csv",
        "principal_exclusions.csv",
        "diagnosis_names.csv",
        "procedure_names.csv",
    ):
        assert table(name)["code"].n_unique() == table(name).height, name


def test_references_are_closed() -> None:
    mdcs = set(table("mdc.csv")["mdc"])
    adrgs = set(table("adrg.csv")["adrg"])
    assert set(table("adrg.csv")["mdc"]) <= mdcs
    assert set(table("drg.csv")["adrg"]) <= adrgs
    assert set(table("drg.csv")["adrg"]) == adrgs  # every ADRG has its DRGs
    assert set(table("mdc_conditions.csv")["mdc"]) == mdcs
    assert set(table("mdc_diagnoses.csv")["mdc"]) <= mdcs
    for name in (
        "adrg_conditions.csv",
        "adrg_diagnoses.csv",
        "adrg_procedures.csv",
        "adrg_procedure_combos.csv",
    ):
        assert set(table(name)["adrg"]) <= adrgs, name
    assert set(table("drg.csv")["split"]) <= SPLITS
    assert all(
        drg.startswith(adrg) for drg, adrg in zip(table("drg.csv")["drg"], table("drg.csv")["adrg"], strict=True)
    )

    mdc_lists = set(table("mdc_diagnoses.csv")["mdc"])
    dx_lists = set(table("adrg_diagnoses.csv").select("adrg", "list").iter_rows())
    proc_lists = set(table("adrg_procedures.csv").select("adrg", "list").iter_rows())
    conditions = [("mdc", r) for r in rows("mdc_conditions.csv")] + [("adrg", r) for r in rows("adrg_conditions.csv")]
    for kind, row in conditions:
        owner, predicate, lst, arg = row[kind], row["predicate"], row["list"], row["arg"]
        assert predicate in PREDICATES, row
        assert (arg is not None) == (predicate in ARG_PREDICATES), row
        if arg is not None:
            int(arg)
        if predicate not in DX_LIST_PREDICATES | PROC_LIST_PREDICATES:
            assert lst is None, row
        elif kind == "mdc":
            assert predicate in DX_LIST_PREDICATES and lst == "mdc" and owner in mdc_lists, row
        elif predicate in DX_LIST_PREDICATES:
            assert (owner, lst) in dx_lists, row
        else:
            assert (owner, lst) in proc_lists, row

    combo_adrgs = set(table("adrg_conditions.csv").filter(pl.col("predicate") == "proc_tag_combo")["adrg"])
    assert combo_adrgs and set(table("adrg_procedure_combos.csv")["adrg"]) == combo_adrgs
    tagged = table("adrg_procedures.csv").filter(pl.col("tag").is_not_null())
    assert set(tagged["adrg"]) == combo_adrgs
    tags = set(tagged.select("adrg", "tag").iter_rows())
    assert set(table("adrg_procedure_combos.csv").select("adrg", "tag").iter_rows()) <= tags

    # MDCZ codes carry a body region, the other MDCs' codes none.
    md = table("mdc_diagnoses.csv")
    assert md.filter((pl.col("mdc") == "MDCZ") != pl.col("trauma_region").is_not_null()).is_empty()


def test_side_tables_cover_every_code() -> None:
    listed_dx = set(table("mdc_diagnoses.csv")["code"]) | set(table("adrg_diagnoses.csv")["code"])
    all_dx = listed_dx | set(table("complications.csv")["code"]) | set(table("principal_exclusions.csv")["code"])
    assert all_dx == set(table("diagnosis_names.csv")["code"])
    listed_proc = set(table("adrg_procedures.csv")["code"])
    assert set(table("or_procedures.csv")["code"]) <= listed_proc
    assert listed_proc == set(table("procedure_names.csv")["code"])
    assert set(table("complications.csv")["level"]) == {"CC", "MCC"}
    assert all(name for name in table("diagnosis_names.csv")["name"])
    assert all(name for name in table("procedure_names.csv")["name"])


def test_size_and_coverage() -> None:
    assert sum(table(name).height for name in FILES) < 10_000
    per_mdc = table("adrg.csv").group_by("mdc").len()
    assert per_mdc.height == 26 and per_mdc["len"].min() >= 2
    splits = set(table("drg.csv")["split"])
    assert {"mcc", "mcc_or_cc"} <= splits
    assert table("mdc_diagnoses.csv").filter(pl.col("mdc") == "MDCZ")["trauma_region"].n_unique() >= 3
    assert set(table("adrg_procedures.csv")["list"]) == {"ss", "ss1"}
    predicates = set(table("adrg_conditions.csv")["predicate"])
    assert {
        "birth_weight_below",
        "birth_weight_at_least",
        "proc_tag_combo",
        "pproc_is_or",
        "no_or_proc",
    } <= predicates
    assert table("adrg.csv").filter(pl.col("mdc") == "MDCA").height >= 1


# --- a literal grouper over the demo tables ---


@dataclass
class Record:
    gender: int
    age: int
    diagnoses: list[str]
    procedures: list[str] = field(default_factory=list)
    age_days: int | None = None
    birth_weight_g: int | None = None


@dataclass
class Tables:
    mdcs: list[str]
    mdc_conditions: dict[str, list[tuple[str, str | None, str | None]]]
    adrgs: dict[str, list[str]]
    adrg_conditions: dict[str, list[tuple[str, str | None, str | None]]]
    lists: dict[tuple[str, str], list[str]]  # (owner, list) -> codes, in order
    tags: dict[tuple[str, str], dict[str, str]]  # (adrg, list) -> code -> first tag
    combos: dict[str, list[set[str]]]
    regions: dict[str, str]
    drgs: dict[str, list[tuple[str, str]]]
    complications: dict[str, tuple[str, str]]
    exclusions: dict[str, str]
    or_procedures: set[str]


@cache
def load() -> Tables:
    def conditions(name: str, owner: str) -> dict[str, list[tuple[str, str | None, str | None]]]:
        out: dict[str, list[tuple[str, str | None, str | None]]] = defaultdict(list)
        for r in sorted(rows(name), key=lambda r: int(r["seq"] or 0)):
            out[r[owner] or ""].append((r["predicate"] or "", r["list"], r["arg"]))
        return out

    lists: dict[tuple[str, str], list[str]] = defaultdict(list)
    tags: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    regions: dict[str, str] = {}
    for r in rows("mdc_diagnoses.csv"):
        lists[r["mdc"] or "", "mdc"].append(r["code"] or "")
        if r["trauma_region"]:
            regions[r["code"] or ""] = r["trauma_region"]
    for r in rows("adrg_diagnoses.csv"):
        lists[r["adrg"] or "", r["list"] or ""].append(r["code"] or "")
    for r in rows("adrg_procedures.csv"):
        key = (r["adrg"] or "", r["list"] or "")
        lists[key].append(r["code"] or "")
        if r["tag"] is not None:
            tags[key].setdefault(r["code"] or "", r["tag"])
    combos: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in rows("adrg_procedure_combos.csv"):
        combos[r["adrg"] or ""][r["alternative"] or ""].add(r["tag"] or "")
    adrgs: dict[str, list[str]] = defaultdict(list)
    for r in sorted(rows("adrg.csv"), key=lambda r: int(r["order"] or 0)):
        adrgs[r["mdc"] or ""].append(r["adrg"] or "")
    drgs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in sorted(rows("drg.csv"), key=lambda r: int(r["order"] or 0)):
        drgs[r["adrg"] or ""].append((r["drg"] or "", r["split"] or ""))
    return Tables(
        mdcs=[r["mdc"] or "" for r in sorted(rows("mdc.csv"), key=lambda r: int(r["order"] or 0))],
        mdc_conditions=conditions("mdc_conditions.csv", "mdc"),
        adrgs=adrgs,
        adrg_conditions=conditions("adrg_conditions.csv", "adrg"),
        lists=lists,
        tags=tags,
        combos={a: list(alts.values()) for a, alts in combos.items()},
        regions=regions,
        drgs=drgs,
        complications={
            r["code"] or "": (r["level"] or "", r["exclusion_table"] or "") for r in rows("complications.csv")
        },
        exclusions={r["code"] or "": r["exclusion_table"] or "" for r in rows("principal_exclusions.csv")},
        or_procedures=set(table("or_procedures.csv")["code"]),
    )


def holds(t: Tables, owner: str, predicate: str, lst: str | None, arg: str | None, rec: Record) -> bool:
    codes = set(t.lists.get((owner, lst or ""), []))
    n = int(arg) if arg is not None else 0
    weight = rec.birth_weight_g or 0
    match predicate:
        case "pdx_in_list":
            return rec.diagnoses[0] in codes
        case "any_dx_in_list":
            return any(d in codes for d in rec.diagnoses)
        case "pproc_in_list":
            return bool(rec.procedures) and rec.procedures[0] in codes
        case "any_proc_in_list":
            return any(p in codes for p in rec.procedures)
        case "pproc_is_or":
            return bool(rec.procedures) and rec.procedures[0] in t.or_procedures
        case "no_or_proc":
            return not any(p in t.or_procedures for p in rec.procedures)
        case "age_days_max":
            return rec.age_days is not None and rec.age_days <= n
        case "age_years_is":
            return rec.age == n
        case "sex_is":
            return rec.gender == n
        case "birth_weight_below":
            return weight > 0 and weight < n
        case "birth_weight_at_least":
            return weight > 0 and weight >= n
        case "trauma_regions_at_least":
            return len({t.regions[d] for d in rec.diagnoses if d in codes and d in t.regions}) >= n
        case "proc_tag_combo":
            tag_of = t.tags[owner, lst or ""]
            present = {tag_of[p] for p in rec.procedures if p in tag_of}
            return any(alt <= present for alt in t.combos[owner])
    raise AssertionError(predicate)


def counts(t: Tables, rec: Record, levels: set[str]) -> bool:
    excl = t.exclusions.get(rec.diagnoses[0])
    for x in rec.diagnoses[1:]:
        level, table_id = t.complications.get(x, ("", ""))
        if level in levels and (excl is None or excl != table_id):
            return True
    return False


def group(rec: Record) -> tuple[str, str, str]:
    t = load()
    for mdc in t.mdcs:
        if not all(holds(t, mdc, *c, rec) for c in t.mdc_conditions[mdc]):
            continue
        for adrg in t.adrgs[mdc]:
            if all(holds(t, adrg, *c, rec) for c in t.adrg_conditions.get(adrg, [])):
                for drg, split in t.drgs[adrg]:
                    if (
                        split == "always"
                        or (split == "mcc" and counts(t, rec, {"MCC"}))
                        or (split == "mcc_or_cc" and counts(t, rec, {"MCC", "CC"}))
                    ):
                        return mdc, adrg, drg
                return mdc, adrg, adrg
    return "0000", "00", "0000"


def codes_of(owner: str, lst: str) -> list[str]:
    return load().lists[owner, lst]


def test_newborn_birth_weights_reach_all_four_weight_adrgs() -> None:
    premature = codes_of("PS1", "zd")[0]
    principal = next(c for c in codes_of("MDCP", "mdc") if c not in codes_of("PU1", "zd"))
    got = {}
    for weight in (1000, 1700, 2200, 2800):
        rec = Record(gender=1, age=0, age_days=3, birth_weight_g=weight, diagnoses=[principal, premature])
        got[weight] = group(rec)[1]
    assert got == {1000: "PS1", 1700: "PS2", 2200: "PS3", 2800: "PS4"}
    # older than 28 days (no weight needed): past the newborn ADRGs to PV1, which has no conditions
    assert group(Record(gender=2, age=0, age_days=60, diagnoses=[principal, premature]))[1] == "PV1"


def test_multiple_trauma_enters_mdcz() -> None:
    by_region: dict[str, str] = {}
    for code in codes_of("MDCZ", "mdc"):
        by_region.setdefault(load().regions[code], code)
    three = list(by_region.values())[:3]
    assert len(three) == 3
    mdc, adrg, drg = group(Record(gender=1, age=40, diagnoses=three))
    assert (mdc, adrg) == ("MDCZ", "ZZ1") and drg.startswith("ZZ1")
    assert group(Record(gender=1, age=40, diagnoses=three[:1]))[0] != "MDCZ"


def test_every_medical_adrg_is_reachable() -> None:
    t = load()
    for mdc in t.mdcs:
        for adrg in t.adrgs[mdc]:
            if [c[0] for c in t.adrg_conditions.get(adrg, [])] != ["pdx_in_list"]:
                continue
            ok = any(
                group(Record(gender=g, age=a, age_days=a * 365 + 100, diagnoses=[code]))[1] == adrg
                for code in codes_of(adrg, "zd")
                for g in (1, 2)
                for a in (0, 40)
            )
            assert ok, adrg


def test_some_records_enter_an_mdc_but_match_no_adrg() -> None:
    t = load()
    listed = {c for (owner, lst), cs in t.lists.items() if lst == "zd" for c in cs}
    failing = [
        code
        for mdc in t.mdcs
        for code in t.lists.get((mdc, "mdc"), [])
        if code not in listed and group(Record(gender=1, age=40, diagnoses=[code]))[0] == "0000"
    ]
    assert len(failing) >= 10


@pytest.mark.parametrize("level", ["MCC", "CC"])
def test_exclusions_are_exercised(level: str) -> None:
    t = load()
    pairs = [
        (p, x)
        for p in sorted({c for (o, lst), cs in t.lists.items() if lst == "mdc" for c in cs})
        if p in t.exclusions
        for x, (lv, tid) in sorted(t.complications.items())
        if lv == level and tid == t.exclusions[p] and x != p
    ]
    assert pairs
    p, x = pairs[0]
    assert not counts(t, Record(gender=1, age=40, diagnoses=[p, x]), {level})
    other = next(c for c, (lv, tid) in sorted(t.complications.items()) if lv == level and tid != t.exclusions[p])
    assert counts(t, Record(gender=1, age=40, diagnoses=[p, other]), {level})


def test_mcc_splits_change_the_drg() -> None:
    t = load()
    adrg = "BR2"
    code = codes_of(adrg, "zd")[0]
    excl = t.exclusions.get(code)
    mcc = next(c for c, (lv, tid) in sorted(t.complications.items()) if lv == "MCC" and tid != excl)
    cc = next(c for c, (lv, tid) in sorted(t.complications.items()) if lv == "CC" and tid != excl)
    drgs = [d for d, _ in t.drgs[adrg]]
    assert group(Record(1, 60, [code, mcc])) == ("MDCB", adrg, drgs[0])
    assert group(Record(1, 60, [code, cc])) == ("MDCB", adrg, drgs[1])
    assert group(Record(1, 60, [code])) == ("MDCB", adrg, drgs[2])
