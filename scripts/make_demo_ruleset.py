"""Cut a small, self-consistent demonstration subset out of the full CHS-DRG 1.1 tables.

    python scripts/make_demo_ruleset.py SOURCE_DIR OUTPUT_DIR

SOURCE_DIR holds the complete tables (mdc.csv, adrg.csv, ... in the ruleset format); OUTPUT_DIR receives
the same files, but with 2 to 4 hand-picked ADRGs per MDC (more for MDCP), all their DRGs, truncated code
lists and only the CC/MCC, exclusion, OR-procedure and name rows that the kept codes need, plus README.md and
NOTICE. The output is deterministic: same source, same files.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from yibao.rules.tables import TABLE_COLUMNS

# ADRGs kept per MDC, in the MDC's evaluation order. Each MDC keeps a surgical ADRG (procedure list) where
# it has one and a medical ADRG (principal-diagnosis list). MDCA keeps transplants (AC1 also uses an `ss1`
# list) and the ventilation/ECMO ADRG; MDCP keeps the newborn surgery, all four birth-weight ADRGs, the
# full-term ADRG and PV1 (no conditions: the MDCP catch-all); MDCN and MDCJ keep a `proc_tag_combo` ADRG.
SELECTED: dict[str, tuple[str, ...]] = {
    "MDCA": ("AC1", "AE1", "AH1"),
    "MDCP": ("PC1", "PS1", "PS2", "PS3", "PS4", "PU1", "PV1"),
    "MDCY": ("YC1", "YR1", "YR2"),
    "MDCZ": ("ZC1", "ZJ1", "ZZ1"),
    "MDCM": ("MB1", "MR1", "MS1"),
    "MDCN": ("NA1", "NC1", "NR1", "NZ1"),
    "MDCB": ("BB1", "BE2", "BR1", "BR2"),
    "MDCC": ("CB3", "CV1", "CW1"),
    "MDCD": ("DD2", "DE2", "DT1"),
    "MDCE": ("EB1", "ER1", "ES3", "ET2"),
    "MDCF": ("FM1", "FR2", "FR3", "FV2"),
    "MDCG": ("GD1", "GD2", "GE1", "GW1"),
    "MDCH": ("HC2", "HS2", "HT2", "HU1"),
    "MDCI": ("IC2", "IF3", "IR2", "IU2"),
    "MDCJ": ("JA2", "JJ1", "JR1", "JS2"),
    "MDCK": ("KD1", "KS1", "KT1"),
    "MDCL": ("LB1", "LR1", "LU1", "LX1"),
    "MDCO": ("OB1", "OR1", "OZ1"),
    "MDCQ": ("QB1", "QS1", "QT1"),
    "MDCR": ("RA2", "RE1", "RS1", "RT1"),
    "MDCS": ("SB1", "SR1", "SU1"),
    "MDCT": ("TB1", "TR1", "TS1"),
    "MDCU": ("UR1", "US1"),
    "MDCV": ("VJ1", "VR1", "VS2"),
    "MDCW": ("WC1", "WJ1", "WR1", "WZ1"),
    "MDCX": ("XJ1", "XR2", "XS1"),
}

N_DIAGNOSES = 10  # per ADRG `zd` list
N_PROCEDURES = 10  # per ADRG `ss` list without tags
N_SS1 = 6  # per ADRG `ss1` list
N_PER_TAG = 4  # per tag of a `proc_tag_combo` list
N_MDC_EXTRA = 5  # MDC principal diagnoses that no kept ADRG lists
N_PER_TRAUMA_REGION = 3  # MDCZ codes per body region

FILES = TABLE_COLUMNS

DX_EXTENSION = re.compile(r"\.[0-9x]{1,3}x[0-9]{3}")  # K80.000x004: a 医保版 extension of K80.000
PROC_EXTENSION = re.compile(r"x[0-9]{3,4}$")  # 96.0800x005: an extension of 96.0800


def plainness(code: str) -> tuple[bool, bool, int, str]:
    """Sort key: plain base codes first (no dagger/asterisk pair, no extension, short)."""
    extension = DX_EXTENSION if code[0].isalpha() else PROC_EXTENSION
    return ("+" in code, extension.search(code) is not None, len(code), code)


def pick(
    codes: Iterable[str],
    n: int,
    category_len: int,
    prefer: frozenset[str] = frozenset(),
    avoid: frozenset[str] = frozenset(),
) -> list[str]:
    """The `n` plainest codes, preferred ones first, spread over categories (code prefixes) round-robin."""
    ranked = sorted(set(codes), key=lambda c: (c not in prefer, c in avoid, plainness(c)))
    seen: Counter[str] = Counter()
    keyed: list[tuple[bool, bool, int, int, str]] = []
    for i, code in enumerate(ranked):
        category = code[:category_len]
        keyed.append((code not in prefer, code in avoid, seen[category], i, code))
        seen[category] += 1
    return [code for *_, code in sorted(keyed)[:n]]


def read(source: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(source / name, infer_schema=False).with_row_index("_row")


def keep_rows(table: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """Rows of `table` matching `keys`, in source order, exact duplicates dropped."""
    on = keys.columns
    kept = table.join(keys.unique(), on=on, how="semi").sort("_row").drop("_row")
    return kept.unique(maintain_order=True)


def codes_frame(codes: Iterable[str]) -> pl.DataFrame:
    return pl.DataFrame({"code": sorted(set(codes))}, schema={"code": pl.String})


def build(source: Path) -> dict[str, pl.DataFrame]:
    t = {name: read(source, name) for name in FILES}
    adrg_mdc = dict(zip(t["adrg.csv"]["adrg"], t["adrg.csv"]["mdc"], strict=True))
    for mdc, adrgs in SELECTED.items():
        wrong = [a for a in adrgs if adrg_mdc.get(a) != mdc]
        if wrong:
            raise SystemExit(f"{mdc}: {wrong} are not ADRGs of this MDC in the source")
    if set(SELECTED) != set(t["mdc.csv"]["mdc"]):
        raise SystemExit("SELECTED must name every MDC of mdc.csv")
    selected = [a for adrgs in SELECTED.values() for a in adrgs]
    is_sel = pl.col("adrg").is_in(selected)
    named_dx = frozenset(t["diagnosis_names.csv"]["code"])
    named_proc = frozenset(t["procedure_names.csv"]["code"])
    mdc_lists = {k[0]: frozenset(g["code"]) & named_dx for k, g in t["mdc_diagnoses.csv"].group_by("mdc")}

    out: dict[str, pl.DataFrame] = {
        "mdc.csv": t["mdc.csv"].drop("_row"),
        "mdc_conditions.csv": t["mdc_conditions.csv"].drop("_row"),
        "adrg_conditions.csv": t["adrg_conditions.csv"].filter(is_sel).drop("_row"),
        "adrg_procedure_combos.csv": t["adrg_procedure_combos.csv"].filter(is_sel).drop("_row"),
        "drg.csv": t["drg.csv"].filter(is_sel).drop("_row"),
        "adrg.csv": t["adrg.csv"]
        .filter(is_sel)
        .with_columns(pl.col("order").cast(pl.Int64).rank("ordinal").over("mdc").cast(pl.String))
        .drop("_row"),
    }

    # ADRG diagnosis lists: plain codes that are also in the MDC's list (so that they can be principal), and,
    # within an MDC, codes that earlier kept ADRGs do not already claim.
    dx_keys: list[tuple[str, str, str]] = []
    for mdc, adrgs in SELECTED.items():
        claimed: set[str] = set()
        for adrg in adrgs:
            for (lst,), g in (
                t["adrg_diagnoses.csv"].filter(pl.col("adrg") == adrg).group_by("list", maintain_order=True)
            ):
                candidates = frozenset(g["code"]) & named_dx
                chosen = pick(candidates, N_DIAGNOSES, 3, mdc_lists.get(mdc, frozenset()), frozenset(claimed))
                claimed.update(chosen)
                dx_keys += [(adrg, lst, c) for c in chosen]
    dx_key_frame = pl.DataFrame(dx_keys, schema=["adrg", "list", "code"], orient="row")
    out["adrg_diagnoses.csv"] = keep_rows(t["adrg_diagnoses.csv"], dx_key_frame)

    proc_keys: list[tuple[str, str, str]] = []
    for (adrg, lst, tag), g in (
        t["adrg_procedures.csv"].filter(is_sel).group_by("adrg", "list", "tag", maintain_order=True)
    ):
        n = N_PER_TAG if tag is not None else N_SS1 if lst == "ss1" else N_PROCEDURES
        proc_keys += [(adrg, lst, c) for c in pick(frozenset(g["code"]) & named_proc, n, 5)]
    proc_key_frame = pl.DataFrame(proc_keys, schema=["adrg", "list", "code"], orient="row")
    out["adrg_procedures.csv"] = keep_rows(t["adrg_procedures.csv"], proc_key_frame)

    # MDC principal-diagnosis lists: the kept ADRGs' codes, plus a few that no kept ADRG lists; MDCZ keeps a
    # few codes of every body region.
    listed = frozenset(out["adrg_diagnoses.csv"]["code"])
    mdc_keys: list[tuple[str, str]] = []
    for mdc, adrgs in SELECTED.items():
        g = t["mdc_diagnoses.csv"].filter(pl.col("mdc") == mdc)
        if g.is_empty():
            continue
        if mdc == "MDCZ":
            for (_region,), rg in g.group_by("trauma_region", maintain_order=True):
                chosen = pick(frozenset(rg["code"]) & named_dx, N_PER_TRAUMA_REGION, 3)
                mdc_keys += [(mdc, c) for c in chosen]
            continue
        own = out["adrg_diagnoses.csv"].filter(pl.col("adrg").is_in(adrgs))["code"]
        mdc_keys += [(mdc, c) for c in frozenset(own) & mdc_lists[mdc]]
        mdc_keys += [(mdc, c) for c in pick(mdc_lists[mdc] - listed, N_MDC_EXTRA, 3)]
    mdc_key_frame = pl.DataFrame(mdc_keys, schema=["mdc", "code"], orient="row")
    out["mdc_diagnoses.csv"] = keep_rows(t["mdc_diagnoses.csv"], mdc_key_frame)

    # CC/MCC rows of the kept diagnoses, plus, for every exclusion table of a kept principal diagnosis that no
    # kept complication shares, the plainest complication of that table, so that exclusions are exercised.
    diagnoses = listed | frozenset(out["mdc_diagnoses.csv"]["code"])
    compl = t["complications.csv"].filter(pl.col("code").is_in(named_dx))
    kept_compl = compl.filter(pl.col("code").is_in(diagnoses))
    excl = t["principal_exclusions.csv"]
    principal_tables = set(
        excl.filter(pl.col("code").is_in(out["mdc_diagnoses.csv"]["code"].to_list()))["exclusion_table"]
    )
    missing = sorted(principal_tables - set(kept_compl["exclusion_table"]), key=int)
    extra = [
        pick(compl.filter(pl.col("exclusion_table") == table)["code"], 1, 3)[0]
        for table in missing
        if not compl.filter(pl.col("exclusion_table") == table).is_empty()
    ]
    diagnoses |= frozenset(extra)
    out["complications.csv"] = keep_rows(compl, codes_frame(diagnoses))
    out["principal_exclusions.csv"] = keep_rows(excl, codes_frame(diagnoses))
    out["diagnosis_names.csv"] = keep_rows(t["diagnosis_names.csv"], codes_frame(diagnoses))

    procedures = frozenset(out["adrg_procedures.csv"]["code"])
    out["or_procedures.csv"] = keep_rows(t["or_procedures.csv"], codes_frame(procedures))
    out["procedure_names.csv"] = keep_rows(t["procedure_names.csv"], codes_frame(procedures))
    return {name: out[name].select(columns) for name, columns in FILES.items()}


def readme(tables: dict[str, pl.DataFrame]) -> str:
    adrg = tables["adrg.csv"]
    dx = set(tables["diagnosis_names.csv"]["code"])
    proc = set(tables["procedure_names.csv"]["code"])
    rows = "\n".join(f"| `{name}` | {df.height} |" for name, df in tables.items())
    picks = "\n".join(
        f"| {mdc} | {', '.join(adrg.filter(pl.col('mdc') == mdc)['adrg'])} |" for mdc in tables["mdc.csv"]["mdc"]
    )
    return f"""# `rulesets/demo` — demonstration subset of CHS-DRG 1.1

**This is a small demonstration subset of the CHS-DRG 1.1 grouping tables. It is not CHS-DRG 1.1 and
is not fit for real settlement:** most ADRGs are missing and every code list is cut down to a handful of
codes, so real records will mostly group differently from the national grouper (or not group at all).

It is derived from the full CHS-DRG 1.1 grouping tables (the ruleset format described in the project's
docs: same files, same columns, same predicates and algorithm). Those tables come from the CHS-DRG 1.1
grouper of the OpenDRG project (DRG_Python, `drg_group/chs_drg_11`), whose software is licensed under the
Apache License, Version 2.0. The grouping scheme itself — code lists, MDC / ADRG / DRG rules, CC / MCC /
exclusion tables — is the national CHS-DRG 1.1 scheme of China's National Healthcare Security
Administration (国家医疗保障局), and its rights stay with their holders. See `NOTICE`.

Use it for examples, documentation and tests of the grouping machinery; for anything else load the full
tables by path (they are not shipped with the project).

## Contents

- {tables["mdc.csv"].height} MDCs (all of them, with their entry conditions unchanged),
  {adrg.height} ADRGs, {tables["drg.csv"].height} DRGs (every DRG of a kept ADRG, with its split and name).
- {len(dx)} diagnosis codes (ICD-10 医保版 2.0) and {len(proc)} procedure codes
  (ICD-9-CM-3 医保版 2.0), all real codes of the source tables.

| file | rows |
|---|---|
{rows}
| total | {sum(df.height for df in tables.values())} |

ADRGs kept per MDC (in evaluation order; `order` is renumbered densely per MDC, DRG `order` is as in
the source):

| MDC | ADRGs |
|---|---|
{picks}

## How it was made

`scripts/make_demo_ruleset.py SOURCE_DIR rulesets/demo` (deterministic) does this:

1. Keeps all MDC rows and MDC conditions; the hand-picked ADRGs listed in the script (common ones; per
   MDC a surgical ADRG on a procedure list where the MDC has one and a medical ADRG on a
   principal-diagnosis list; for MDCP the four birth-weight ADRGs PS1–PS4; for MDCA transplants and
   ventilation/ECMO) with their condition rows, `proc_tag_combo` alternatives and DRG rows, unchanged.
2. Cuts each kept ADRG list to at most {N_DIAGNOSES} codes (`zd`, `ss`), {N_SS1} (`ss1`) or {N_PER_TAG}
   per tag (`proc_tag_combo` lists), preferring plain base codes (no extension, short), spread over code
   categories; diagnosis codes that are also in the MDC's principal-diagnosis list come first, and codes
   that an earlier kept ADRG of the MDC already lists come last.
3. Keeps in each MDC's principal-diagnosis list the kept ADRGs' diagnosis codes plus {N_MDC_EXTRA} codes
   that no kept ADRG lists (records with these enter the MDC but may match no ADRG there); MDCZ keeps
   {N_PER_TRAUMA_REGION} codes for each of its body regions.
4. Keeps the CC/MCC rows of the kept diagnosis codes and, for every exclusion table of a kept principal
   diagnosis that none of them shares, the plainest CC/MCC code of that table (so that exclusions occur);
   levels and exclusion-table ids are the real ones. Then the principal-exclusion rows, OR-procedure rows
   and names of every kept code. Codes without a name in the source are left out; exact duplicate rows of
   the source are dropped.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="directory with the full CHS-DRG 1.1 tables")
    parser.add_argument("output", type=Path, help="directory to write the demo subset to")
    args = parser.parse_args()
    tables = build(args.source)
    args.output.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.write_csv(args.output / name)
    (args.output / "README.md").write_text(readme(tables), encoding="utf-8")
    notice = (args.source / "NOTICE").read_text(encoding="utf-8")
    header = (
        "rulesets/demo is a small demonstration subset (a cut-down excerpt, not the whole scheme) of the\n"
        "CHS-DRG 1.1 tables described below, made by scripts/make_demo_ruleset.py. Unlike the full tables,\n"
        "this excerpt is shipped with the project, as example and test data only; it is not fit for real\n"
        "settlement. The notice of the source tables, verbatim:\n\n"
    )
    (args.output / "NOTICE").write_text(header + notice, encoding="utf-8")
    for name, df in tables.items():
        print(f"{name:28} {df.height:6}")
    print(f"{'total':28} {sum(df.height for df in tables.values()):6}")


if __name__ == "__main__":
    main()
