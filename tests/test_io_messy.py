"""Messy claim files: encodings, Chinese headers, blank lines, full-width text and bad rows, with exact rejects."""

from __future__ import annotations

import codecs
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from yibao.errors import InputError
from yibao.identity import person_key
from yibao.io import load_claims, validate_file

HEADER = (
    "清单流水号,身份证号,姓名,定点医疗机构代码,就诊类型,入院时间,出院时间,实际住院天数,性别,年龄,年龄（天）,"
    "新生儿出生体重,离院方式,主要诊断代码,其他诊断代码1,其他诊断代码2,主要手术及操作代码,医疗费总额,甲类费用,"
    "乙类费用,个人自费,个人自付,参保地,转诊方向,家庭医生签约"
)
ROWS = [
    # line 2: good, with full-width code, datetime, thousands separator
    "A1,330781199001011234,张三,H001,住院,2025-01-01 08:00:00,2025/01/05,4,男,40,,,1,ｋ80.000X004,I10.x05,,512300,"
    '"1,000.50",500,300,100.5,200,330781,上转,是',
    # line 3: discharge before admission and a negative total
    "A2,330781199001011235,李四,H001,住院,2025-01-05,2025-01-01,4,女,30,,,1,K80.000x004,,,,-5,0,0,0,0,330781,,否",
    # line 4: blank
    "",
    # line 5: bad date and no principal diagnosis while another is given
    "A3,330781199001011236,王五,H001,住院,2025-13-45,2025-01-05,4,2,30,,,1,,I10.x05,,,100,0,0,0,0,330781,,0",
    # line 6: duplicate id of line 2, three decimals, newborn without weight
    "A1,330781199001011237,赵六,H002,门诊,2025-02-01,,,1,0,10,,,J06.900,,,,50.123,20,10,0,5,330781,,1",
    # line 7: good outpatient visit
    "A4,330781199001011238,钱七,H002,门诊,20250203,,,2,7,,,,J06.900,,,,80,50,20,0,10,330781,,",
]
EXPECTED_REJECTS = [
    (2, "A1", "claim_id", "A1", "duplicate claim id"),
    (3, "A2", "total_cost", "-5", "below 0"),
    (3, "A2", "discharge_date", "2025-01-01", "discharge date before admission"),
    (3, "A2", "total_cost", "-5", "exceed the total cost"),
    (5, "A3", "admission_date", "2025-13-45", "not a date"),
    (5, "A3", "principal_diagnosis", None, "principal code missing"),
    (6, "A1", "total_cost", "50.123", "more than 2 decimals"),
    (6, "A1", "birth_weight_g", None, "need a birth weight"),
    (6, "A1", "claim_id", "A1", "duplicate claim id"),
]
TEXT = "\n".join([HEADER, *ROWS]) + "\n"


def _check(load_rejects: pl.DataFrame) -> None:
    got = [
        (row, cid, fld, val, next(r for *_, r in EXPECTED_REJECTS if r in reason))
        for row, cid, fld, val, reason in load_rejects.select("row", "claim_id", "field", "value", "reason").iter_rows()
    ]
    assert got == EXPECTED_REJECTS


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
        lambda t: t.encode("gb18030"),
        lambda t: t.replace("\n", "\r\n").encode("gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "gb18030-crlf"],
)
def test_messy_csv(tmp_path: Path, encode) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes(encode(TEXT))
    load = load_claims(path)
    s = load.summary
    assert (s.read, s.accepted, s.rejected, s.blank_rows, s.reject_lines) == (5, 1, 4, 1, 9)
    _check(load.rejects)
    accepted = load.accepted.row(0, named=True)
    assert accepted["claim_id"] == "A4"
    assert accepted["person_key"] == person_key("330781199001011238")
    assert accepted["admission_date"].isoformat() == "2025-02-03"


def test_person_ids_and_names_never_reach_outputs(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(TEXT, encoding="utf-8")
    validate_file(path, tmp_path / "out")
    written = b"".join(p.read_bytes() for p in (tmp_path / "out").iterdir())
    for secret in ("330781199001011234", "330781199001011238", "张三", "钱七"):
        assert secret.encode() not in written


def test_good_row_values(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    good = TEXT.replace(",A1,", ",A1x,").replace("\nA1,", "\nA0,", 1)
    path.write_text(good, encoding="utf-8")
    row = load_claims(path).accepted.filter(pl.col("claim_id") == "A0").row(0, named=True)
    assert row["diagnoses"] == ["K80.000x004", "I10.x05"]
    assert row["procedures"] == ["51.2300"]
    assert str(row["total_cost"]) == "1000.50"
    assert (row["sex"], row["referral"], row["signed_family_doctor"]) == (1, "up", True)
    assert row["los_days"] == 4 and row["visit_type"] == "inpatient"


def test_streaming_file_outputs_match_memory(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(TEXT, encoding="gb18030")
    summary = validate_file(path, tmp_path / "out")
    assert (summary.read, summary.accepted, summary.rejected) == (5, 1, 4)
    rejects = pl.read_csv(summary.rejects_file, infer_schema=False).with_columns(pl.col("row").cast(pl.UInt32))
    _check(rejects)
    assert pl.read_parquet(summary.accepted_file).equals(load_claims(path).accepted)


def test_excel_keeps_sheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "claims.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("结算清单")
    for r, line in enumerate([HEADER, *ROWS]):
        if line:
            sheet.write_row(r, 0, next(iter(pl.read_csv(line.encode(), has_header=False, infer_schema=False).rows())))
    book.close()
    load = load_claims(path)
    assert (load.summary.read, load.summary.accepted, load.summary.blank_rows) == (5, 1, 1)
    _check(load.rejects)


def test_parquet_typed_input(tmp_path: Path, claim_row: dict[str, object]) -> None:
    from yibao.models import Claim
    from yibao.models.schema import to_frame

    claims = [Claim(**{**claim_row, "claim_id": f"C{i}"}) for i in range(3)]
    path = tmp_path / "claims.parquet"
    to_frame(claims).write_parquet(path)
    load = load_claims(path)
    assert load.summary.accepted == 3 and load.accepted.equals(to_frame(claims))


def test_missing_required_column_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(TEXT.replace("医疗费总额", "备注"), encoding="utf-8")
    with pytest.raises(InputError, match=r"claims.csv, field total_cost: required column missing"):
        load_claims(path)


def test_two_headers_for_one_field(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(TEXT.replace("姓名", "清单流水号"), encoding="utf-8")
    with pytest.raises(InputError, match=r"清单流水号.* appears more than once"):
        load_claims(path)


def test_undecodable_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes(TEXT.encode("utf-8") + b"\xff\xff\xff,\n")
    with pytest.raises(InputError, match=r"row 8: neither UTF-8 nor GB18030"):
        load_claims(path)


def test_unknown_file_type(tmp_path: Path) -> None:
    path = tmp_path / "claims.json"
    path.write_text("{}")
    with pytest.raises(InputError, match="unknown file type"):
        load_claims(path)
