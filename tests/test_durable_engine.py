"""The durable-rules engine: the CHS-DRG 1.1 oracle, the demo ruleset, the explanation trail, isolation of records."""

from __future__ import annotations

import csv
import gc
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest

from tests.conftest import CHS_DRG_11, DEMO_RULESET
from yibao.rules.durable import RulesEngine
from yibao.rules.load import RulesetTables, load_ruleset
from yibao.rules.records import UNGROUPED, GroupingRecord, GroupResult, GroupStatus

ORACLE = CHS_DRG_11 / "oracle_dev.csv"

needs_chs = pytest.mark.skipif(
    not ORACLE.is_file(),
    reason=f"the CHS-DRG 1.1 tables are not at {CHS_DRG_11} (in CI and here they sit beside the checkout)",
)


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _codes(value: str) -> list[str]:
    return value.split("|") if value else []


def oracle_record(row: dict[str, str], **changes: int) -> GroupingRecord:
    """An oracle_dev.csv row as a grouping record (a field that does not parse as an integer is missing)."""
    fields = {
        "sex": _int(row["gender"]),
        "age": _int(row["age"]),
        "age_days": _int(row["age_days"]),
        "birth_weight_g": _int(row["birth_weight_g"]),
        "los_days": _int(row["los_days"]),
        "discharge_mode": _int(row["leaving_type"]),
        "diagnoses": _codes(row["diagnoses"]),
        "procedures": _codes(row["procedures"]),
    }
    return GroupingRecord(**(fields | changes))


def expected(row: dict[str, str]) -> tuple[str, str, str, str]:
    return row["mdc"], row["adrg"], row["drg"], row["status"]


def got(result: GroupResult) -> tuple[str, str, str, str]:
    return result.mdc, result.adrg, result.drg, result.status.value


@pytest.fixture(scope="module")
def oracle_rows() -> list[dict[str, str]]:
    with ORACLE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def chs() -> RulesetTables:
    return load_ruleset(CHS_DRG_11)


@pytest.fixture(scope="module")
def chs_engine(chs: RulesetTables) -> RulesEngine:
    return RulesEngine(chs)


@pytest.fixture(scope="module")
def demo() -> RulesetTables:
    return load_ruleset(DEMO_RULESET)


@pytest.fixture(scope="module")
def demo_engine(demo: RulesetTables) -> RulesEngine:
    return RulesEngine(demo)


def zh(result: GroupResult, step: str | None = None) -> str:
    """The trail's Chinese text (of one kind of step), one line per step."""
    return "\n".join(s.zh for s in result.trail if step is None or s.step == step)


# --- CHS-DRG 1.1: the oracle ------------------------------------------------------------------------------------


@needs_chs
def test_oracle_dev_is_reproduced_exactly(chs_engine: RulesEngine, oracle_rows: list[dict[str, str]]) -> None:
    assert len(oracle_rows) == 5000
    mismatches = [
        (row["id"], expected(row), got(result))
        for row in oracle_rows
        if expected(row) != got(result := chs_engine.group(oracle_record(row)))
    ]
    assert not mismatches, f"{len(mismatches)} of 5000 differ, first: {mismatches[:5]}"
    assert {row["status"] for row in oracle_rows} == {"SUCCESS", "FAIL", "CHECK_FAILED"}


@needs_chs
def test_every_result_has_a_trail(chs_engine: RulesEngine, oracle_rows: list[dict[str, str]]) -> None:
    for row in oracle_rows[:300]:
        result = chs_engine.group(oracle_record(row))
        assert result.trail[0].step == "check"
        assert all(s.zh and s.en for s in result.trail)
        if result.status is GroupStatus.SUCCESS:
            assert [s.step for s in result.trail if s.step in ("adrg", "drg")][-2:] == ["adrg", "drg"]
            assert result.drg in result.trail[-1].zh


# --- CHS-DRG 1.1: the trail on a worked case ---------------------------------------------------------------------


def _table(chs: RulesetTables, name: str, code: str) -> dict[str, str]:
    return chs[name].filter(pl.col("code") == code).row(0, named=True)


@needs_chs
def test_trail_names_the_secondary_that_counts_as_cc(chs: RulesetTables, chs_engine: RulesEngine) -> None:
    # the premise, from the tables: K11.901 is a CC whose exclusion table differs from K22.301's
    principal = _table(chs, "principal_exclusions", "K22.301")["exclusion_table"]
    cc = _table(chs, "complications", "K11.901")
    assert (cc["level"], cc["exclusion_table"], principal) == ("CC", "110", "111")

    result = chs_engine.group(GroupingRecord(sex=1, age=45, diagnoses=["K22.301", "K11.901"]))
    assert got(result) == ("MDCG", "GZ1", "GZ13", "SUCCESS")
    assert "主要诊断 K22.301 属于 MDCG 诊断表" in zh(result, "mdc")
    cc_text = zh(result, "cc")
    assert "次要诊断 K11.901 为CC" in cc_text and "排除表 110" in cc_text and "排除表 111" in cc_text
    assert "不同" in cc_text and "计为并发症" in cc_text
    name = chs["drg"].filter(pl.col("drg") == "GZ13")["name"].item()
    assert "GZ13" in zh(result, "drg") and name in zh(result, "drg")
    english = " ".join(s.en for s in result.trail if s.step == "cc")
    assert "K11.901" in english and "110" in english and "111" in english


@needs_chs
def test_trail_says_which_secondary_was_excluded(chs: RulesetTables, chs_engine: RulesEngine) -> None:
    excluded = _table(chs, "complications", "K22.000")
    assert (excluded["level"], excluded["exclusion_table"]) == ("CC", "111")  # K22.301's own exclusion table

    result = chs_engine.group(GroupingRecord(sex=2, age=60, diagnoses=["K22.301", "K22.000"]))
    assert got(result) == ("MDCG", "GZ1", "GZ15", "SUCCESS")
    cc_text = zh(result, "cc")
    assert "次要诊断 K22.000 为CC" in cc_text and "排除表 111" in cc_text and "被排除" in cc_text
    assert "excluded" in " ".join(s.en for s in result.trail if s.step == "cc")
    assert "GZ13 的条件不满足" in zh(result, "drg")

    both = chs_engine.group(GroupingRecord(sex=2, age=60, diagnoses=["K22.301", "K22.000", "K11.901"]))
    assert both.drg == "GZ13"
    assert "被排除" in zh(both, "cc") and "K11.901" in zh(both, "drg")


# --- the demo ruleset: hand-made records -------------------------------------------------------------------------


def _list(ruleset: RulesetTables, owner: str, lst: str) -> list[str]:
    if lst == "mdc":
        return ruleset["mdc_diagnoses"].filter(pl.col("mdc") == owner)["code"].to_list()
    return ruleset["adrg_diagnoses"].filter((pl.col("adrg") == owner) & (pl.col("list") == lst))["code"].to_list()


def test_demo_newborns_group_by_birth_weight(demo: RulesetTables, demo_engine: RulesEngine) -> None:
    premature = _list(demo, "PS1", "zd")[0]
    principal = next(c for c in _list(demo, "MDCP", "mdc") if c not in _list(demo, "PU1", "zd"))
    adrgs = {}
    for weight in (1000, 1700, 2200, 2800):
        record = GroupingRecord(sex=1, age=0, age_days=3, birth_weight_g=weight, diagnoses=[principal, premature])
        result = demo_engine.group(record)
        assert result.status is GroupStatus.SUCCESS and result.mdc == "MDCP"
        assert f"出生体重 {weight} 克" in zh(result, "adrg")
        adrgs[weight] = result.adrg
    assert adrgs == {1000: "PS1", 1700: "PS2", 2200: "PS3", 2800: "PS4"}


def test_demo_multiple_trauma_enters_mdcz(demo: RulesetTables, demo_engine: RulesEngine) -> None:
    by_region: dict[str, str] = {}
    for code, region in demo["mdc_diagnoses"].filter(pl.col("mdc") == "MDCZ").select("code", "trauma_region").rows():
        by_region.setdefault(region, code)
    three = list(by_region.values())[:3]
    result = demo_engine.group(GroupingRecord(sex=1, age=40, diagnoses=three))
    assert (result.mdc, result.adrg, result.status) == ("MDCZ", "ZZ1", GroupStatus.SUCCESS)
    assert result.drg.startswith("ZZ1")
    assert "3 个不同创伤部位" in zh(result, "mdc")
    assert demo_engine.group(GroupingRecord(sex=1, age=40, diagnoses=three[:1])).mdc != "MDCZ"


def test_demo_sex_specific_mdc(demo: RulesetTables, demo_engine: RulesEngine) -> None:
    code = next(c for c in _list(demo, "MR1", "zd") if c in _list(demo, "MDCM", "mdc"))
    male = demo_engine.group(GroupingRecord(sex=1, age=50, diagnoses=[code]))
    assert (male.mdc, male.adrg, male.status) == ("MDCM", "MR1", GroupStatus.SUCCESS)
    assert "性别为男" in zh(male, "mdc")
    female = demo_engine.group(GroupingRecord(sex=2, age=50, diagnoses=[code]))
    assert female.mdc != "MDCM"


def _fails_after_entering(demo: RulesetTables) -> tuple[str, str]:
    """A principal diagnosis in exactly one MDC's list and in no ADRG list, of an MDC whose every ADRG needs a
    listed code or a procedure: alone, it enters that MDC and groups nowhere."""
    needs_code = {"pdx_in_list", "any_dx_in_list", "pproc_in_list", "any_proc_in_list", "pproc_is_or", "proc_tag_combo"}
    conditions = demo["adrg_conditions"].group_by("adrg").agg(pl.col("predicate"))
    blocked = {a for a, predicates in conditions.rows() if needs_code & set(predicates)}
    adrgs = demo["adrg"].group_by("mdc").agg(pl.col("adrg"))
    mdc_conditions = demo["mdc_conditions"].group_by("mdc").agg(pl.col("predicate"))
    plain_mdcs = {mdc for mdc, predicates in mdc_conditions.rows() if predicates == ["pdx_in_list"]}
    mdcs = {mdc for mdc, members in adrgs.rows() if mdc in plain_mdcs and set(members) <= blocked}
    listed = set(demo["adrg_diagnoses"]["code"])
    counts = demo["mdc_diagnoses"].group_by("code").agg(pl.col("mdc"))
    return next(
        (mdc_list[0], code)
        for code, mdc_list in sorted(counts.rows())
        if len(mdc_list) == 1 and mdc_list[0] in mdcs and code not in listed
    )


def test_demo_ungroupable_record_fails(demo: RulesetTables, demo_engine: RulesEngine) -> None:
    mdc, code = _fails_after_entering(demo)
    result = demo_engine.group(GroupingRecord(sex=1, age=40, diagnoses=[code]))
    assert (result.mdc, result.adrg, result.drg) == UNGROUPED
    assert result.status is GroupStatus.FAIL
    text = zh(result)
    assert f"进入 {mdc}" in text and "继续下一个 MDC" in text and "未入组" in text


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"sex": 3, "age": 40}, "性别 3"),
        ({"sex": None, "age": 40}, "性别 None"),
        ({"sex": 1, "age": None}, "缺少年龄"),
        ({"sex": 2, "age": 0}, "缺少年龄(天)"),
        ({"sex": 2, "age": 0, "age_days": 5}, "缺少出生体重"),
        ({"sex": 1, "age": 40, "diagnoses": []}, "没有诊断"),
    ],
)
def test_check_failures(demo_engine: RulesEngine, fields: dict[str, object], reason: str) -> None:
    record = GroupingRecord(**({"diagnoses": ["K22.301"]} | fields))  # type: ignore[arg-type]
    result = demo_engine.group(record)
    assert (result.mdc, result.adrg, result.drg, result.status) == (*UNGROUPED, GroupStatus.CHECK_FAILED)
    assert [s.step for s in result.trail] == ["check"] and reason in result.trail[0].zh


def test_newborn_past_28_days_needs_no_weight(demo: RulesetTables, demo_engine: RulesEngine) -> None:
    principal = next(c for c in _list(demo, "MDCP", "mdc") if c not in _list(demo, "PU1", "zd"))
    result = demo_engine.group(GroupingRecord(sex=2, age=0, age_days=60, diagnoses=[principal]))
    assert result.status is not GroupStatus.CHECK_FAILED


# --- isolation: engines, repeated records, volume ----------------------------------------------------------------


def _demo_records(demo: RulesetTables) -> list[GroupingRecord]:
    codes = demo["mdc_diagnoses"]["code"].to_list()
    secondaries = demo["complications"]["code"].to_list()
    procedures = demo["adrg_procedures"]["code"].to_list()
    return [
        GroupingRecord(
            sex=1 + i % 2,
            age=20 + i % 60,
            diagnoses=[codes[i % len(codes)], secondaries[(7 * i) % len(secondaries)]],
            procedures=[procedures[(3 * i) % len(procedures)]] if i % 3 == 0 else [],
        )
        for i in range(600)
    ]


def test_two_engines_do_not_interfere(demo: RulesetTables, demo_engine: RulesEngine) -> None:
    records = _demo_records(demo)
    alone = [demo_engine.group(r) for r in records]
    other = RulesEngine(demo)
    interleaved = [(demo_engine.group(r), other.group(r)) for r in records]
    assert [a for a, _ in interleaved] == alone
    assert [b for _, b in interleaved] == alone
    assert {r.status for r in alone} >= {GroupStatus.SUCCESS, GroupStatus.FAIL}
    del other
    gc.collect()  # its durable-rules rulesets are deleted; the first engine goes on
    assert [demo_engine.group(r) for r in records[:50]] == alone[:50]


def test_same_record_twice_gives_the_same_result(demo: RulesetTables, demo_engine: RulesEngine) -> None:
    records = _demo_records(demo)[:200]
    first = [demo_engine.group(r) for r in records]
    second = [demo_engine.group(r) for r in reversed(records)]
    assert first == second[::-1]
    assert demo_engine._pending_events() == 0


def test_threads_share_an_engine(demo: RulesetTables, demo_engine: RulesEngine) -> None:
    records = _demo_records(demo)[:300]
    alone = [demo_engine.group(r) for r in records]
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(demo_engine.group, records)) == alone


@needs_chs
def test_twenty_thousand_records_in_twenty_thousand_results_out(
    chs_engine: RulesEngine, oracle_rows: list[dict[str, str]]
) -> None:
    # four distinct copies of each oracle row: length of stay and discharge mode are carried, not used by 1.1
    records = [
        (row, oracle_record(row, los_days=1000 + copy, discharge_mode=copy)) for copy in range(4) for row in oracle_rows
    ]
    assert len({record.model_dump_json() for _, record in records}) == 20_000
    results = [chs_engine.group(record) for _, record in records]
    assert len(results) == 20_000
    assert [got(result) for result in results] == [expected(row) for row, _ in records]
    assert chs_engine._pending_events() == 0
