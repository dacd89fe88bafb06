"""Messy claim files: encodings, Chinese headers, blank lines, full-width text and bad rows, with exact rejects."""

from __future__ import annotations

import codecs
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
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
    summary = validate_file(path, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["claims.accepted.parquet", "claims.rejects.csv"]
    accepted = pl.read_parquet(summary.accepted_file)
    lists = accepted.with_columns(pl.col("diagnoses", "procedures").list.join("|"))
    text = Path(summary.rejects_file).read_text(encoding="utf-8") + lists.write_csv()
    secrets = [f"33078119900101123{i}" for i in range(4, 9)] + ["张三", "李四", "王五", "赵六", "钱七"]
    assert accepted.height == 1 and "A4" in text
    for secret in secrets:
        assert secret not in text


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


def test_amounts_too_large_for_the_type(tmp_path: Path, claim_row: dict[str, object]) -> None:
    """A Decimal column (Parquet) holds amounts beyond the model's 16 digits: 10**14 or more either way is refused."""
    from yibao.models import Claim
    from yibao.models.schema import MONEY_DTYPE, to_frame

    totals = ["99999999999999.99", "-99999999999999.99", "100000000000000.00", "-100000000000000.00"]
    frame = to_frame([Claim(**{**claim_row, "claim_id": f"C{i}"}) for i in range(len(totals))])
    large = frame.with_columns(pl.Series("total_cost", totals).cast(MONEY_DTYPE))
    path = tmp_path / "claims.parquet"
    large.write_parquet(path)
    rejects = load_claims(path).rejects
    too_large = rejects.filter(pl.col("reason").str.contains("金额过大"))
    assert too_large.select("claim_id", "field").rows() == [("C2", "total_cost"), ("C3", "total_cost")]


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


SPLIT_HEADER = "清单流水号,人员标识,定点医疗机构代码,就诊类型,入院时间,出院时间,实际住院天数,性别,年龄,离院方式,主要诊断代码,其他诊断代码,主要手术及操作代码,其他手术及操作代码,医疗费总额,甲类费用,乙类费用,个人自费,个人自付,参保地"  # noqa: E501
KEY = "0123456789abcdef0123"


def test_principal_codes_kept_when_other_columns_are_empty(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    rows = [
        f"B1,{KEY},H001,住院,2025-01-03,2025-01-08,5,1,61,1,I63.900,,51.2300,,9800,6000,3000,500,1800,330781",
        f"B2,{KEY},H001,住院,2025-01-03,2025-01-08,5,1,61,1,I63.900,I10.x05|E11.900,51.2300,96.0800x005,9800,6000,3000,500,1800,330781",
        f"B3,{KEY},H001,住院,2025-01-03,2025-01-08,5,1,61,1,,I10.x05,,,9800,6000,3000,500,1800,330781",
    ]
    path.write_text("\n".join([SPLIT_HEADER, *rows]) + "\n", encoding="utf-8")
    load = load_claims(path)
    codes = {r["claim_id"]: (r["diagnoses"], r["procedures"]) for r in load.accepted.iter_rows(named=True)}
    assert codes == {
        "B1": (["I63.900"], ["51.2300"]),
        "B2": (["I63.900", "I10.x05", "E11.900"], ["51.2300", "96.0800x005"]),
    }
    assert load.rejects.select("row", "field").rows() == [(4, "principal_diagnosis")]


@pytest.mark.parametrize(
    ("codes", "outcome"),
    [
        (["", "I10.x05"], "principal_diagnosis"),
        (["I63.900", None], ["I63.900"]),
        (["I63.900", "i10x05"], ["I63.900", "I10.x05"]),
        (["I63.900", "ABC"], "diagnoses"),
    ],
)
def test_one_irregular_code_part(tmp_path: Path, claim_row: dict[str, object], codes: list, outcome: object) -> None:
    """Code lists are kept as they are only when every part is clean: one blank, null, unnormalised or invalid
    part among clean ones is still found (a null part is dropped; the others are normalised or rejected)."""
    from yibao.models import Claim
    from yibao.models.schema import to_frame

    frame = to_frame([Claim(**{**claim_row, "claim_id": f"C{i}"}) for i in range(3)])
    load = load_claims(frame.with_columns(pl.Series("diagnoses", [["I63.900"], ["I63.900", "I10.x05"], codes])))
    if isinstance(outcome, str):
        assert load.summary.accepted == 2 and load.rejects["field"].to_list() == [outcome]
    else:
        assert load.summary.accepted == 3 and load.accepted["diagnoses"].to_list()[2] == outcome


def test_list_and_split_code_columns_together_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(SPLIT_HEADER.replace("其他诊断代码", "诊断编码") + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="give diagnoses"):
        load_claims(path)


def test_whitespace_lines_are_blank(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(TEXT.replace("\n\n", "\n  \n ,, ,\n"), encoding="utf-8")
    s = load_claims(path).summary
    assert (s.read, s.blank_rows) == (5, 2)


@pytest.mark.parametrize(
    ("national_id", "accepted"),
    [("330781199001011234", True), ("33078119900101123x", True), ("无", False), ("3.30781199001012e+17", False)],
)
def test_national_id_form(tmp_path: Path, national_id: str, accepted: bool) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(TEXT.replace("330781199001011238", national_id), encoding="utf-8")
    load = load_claims(path)
    assert ("A4" in load.accepted["claim_id"].to_list()) is accepted
    leaked = load.rejects.filter(pl.col("field") == "national_id")
    assert leaked["value"].null_count() == leaked.height  # the ID itself is never shown


def test_raw_ids_in_the_person_key_column_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(TEXT.replace("身份证号", "人员标识"), encoding="utf-8")
    load = load_claims(path)
    assert load.summary.accepted == 0
    assert set(load.rejects.filter(pl.col("field") == "person_key")["row"]) == {2, 3, 5, 6, 7}


@pytest.mark.parametrize("damage", [(",张三,", ',"张三,'), (",张三,", ",张,三,")], ids=["open-quote", "extra-field"])
def test_unparseable_csv_is_one_sentence_without_personal_data(tmp_path: Path, damage: tuple[str, str]) -> None:
    from typer.testing import CliRunner

    from yibao.cli import app

    path = tmp_path / "claims.csv"
    path.write_text(TEXT.replace(*damage), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "cannot be parsed" in result.output and "Traceback" not in result.output
    for secret in ("330781199001011234", "330781199001011235", "张", "李四"):
        assert secret not in result.output


def test_excel_with_typed_cells(tmp_path: Path) -> None:
    from datetime import datetime

    path = tmp_path / "claims.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet, day = book.add_worksheet(), book.add_format({"num_format": "yyyy-mm-dd"})
    header = SPLIT_HEADER.split(",")
    values = [
        "E1", KEY, "H001", "住院", datetime(2025, 1, 3), datetime(2025, 1, 8), 5, 1, 61, 1,
        "I63.900", "I10.x05", "51.2300", None, 9800.5, 6000, 3000, 500, 1800, "330781",
    ]  # fmt: skip
    sheet.write_row(0, 0, header)
    for column, value in enumerate(values):
        if isinstance(value, datetime):
            sheet.write_datetime(1, column, value, day)
        elif value is not None:
            sheet.write(1, column, value)
    book.close()
    load = load_claims(path)
    assert load.summary.accepted == 1, load.rejects
    row = load.accepted.row(0, named=True)
    assert (row["admission_date"].isoformat(), str(row["total_cost"]), row["los_days"]) == ("2025-01-03", "9800.50", 5)


def test_excel_with_several_sheets_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "claims.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("一月").write_row(0, 0, HEADER.split(","))
    book.add_worksheet("二月").write_row(0, 0, HEADER.split(","))
    book.close()
    with pytest.raises(InputError, match="has 2 sheets"):
        load_claims(path)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_batches_give_the_same_result_as_one_pass(tmp_path: Path, encoding: str) -> None:
    """Two rows per batch: the duplicate pair (rows 2 and 6) falls in different batches and is still caught."""
    path = tmp_path / "claims.csv"
    path.write_text(TEXT, encoding=encoding)
    whole = load_claims(path)
    summary = validate_file(path, tmp_path / "out", batch_rows=2)
    assert (summary.read, summary.accepted, summary.rejected, summary.blank_rows) == (5, 1, 4, 1)
    assert pl.read_parquet(summary.accepted_file).equals(whole.accepted)
    rejects = pl.read_csv(summary.rejects_file, infer_schema=False).with_columns(pl.col("row").cast(pl.UInt32))
    _check(rejects)


def test_duplicates_taken_out_in_a_folder_with_brackets(tmp_path: Path) -> None:
    """The duplicate pair falls in different batches: the results are rewritten (paths read as they are, not as
    patterns)."""
    path = tmp_path / "claims.csv"
    path.write_text(TEXT, encoding="utf-8")
    summary = validate_file(path, tmp_path / "out[2025]", batch_rows=2)
    assert (summary.read, summary.accepted, summary.rejected, summary.reject_lines) == (5, 1, 4, 9)
    assert pl.read_parquet(summary.accepted_file, glob=False)["claim_id"].to_list() == ["A4"]
    assert pq.ParquetFile(summary.accepted_file).metadata.row_group(0).column(0).compression == "LZ4"  # rewritten
    rejects = pl.read_csv(summary.rejects_file, infer_schema=False, glob=False)
    _check(rejects.with_columns(pl.col("row").cast(pl.UInt32)))


def test_a_failed_rewrite_leaves_no_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills while the rejects file is rewritten with the duplicates' lines: no result, no stray file."""

    def disk_full(rows: pl.LazyFrame, target: object, *args: object, **kwargs: object) -> object:
        if not isinstance(target, Path):  # a batch's lines written to the open rejects file
            return sink_csv(rows, target, *args, **kwargs)
        target.write_text("source,row,claim_id", encoding="utf-8")  # part written
        raise OSError(28, "No space left on device")

    sink_csv = pl.LazyFrame.sink_csv
    monkeypatch.setattr(pl.LazyFrame, "sink_csv", disk_full)
    path, out = tmp_path / "claims.csv", tmp_path / "out"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(OSError, match="No space left"):
        validate_file(path, out, batch_rows=2)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("damage", [None, (",张三,", ",张,三,")], ids=["clean", "extra-field"])
def test_csv_read_in_pieces_gives_the_same_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: tuple[str, str] | None
) -> None:
    """Two rows a piece: row numbers, rejects (the duplicate pair, rows 2 and 6, in different pieces) and accepted
    rows as from one piece; a ragged row still refused."""
    import yibao.io.read as read

    path = tmp_path / "claims.csv"
    path.write_text(TEXT if damage is None else TEXT.replace(*damage), encoding="utf-8")
    if damage is not None:
        monkeypatch.setattr(read, "CSV_PIECE_ROWS", 2)
        with pytest.raises(InputError, match="cannot be parsed"):
            load_claims(path)
        return
    whole = load_claims(path)
    monkeypatch.setattr(read, "CSV_PIECE_ROWS", 2)
    pieces_read = list(read.open_claims(path, tmp_path).pieces())
    assert [(p.first_row, p.read().height) for p in pieces_read] == [(2, 2), (4, 2), (6, 2)]
    pieces = load_claims(path)
    assert pieces.summary == whole.summary
    assert pieces.accepted.equals(whole.accepted) and pieces.rejects.equals(whole.rejects)
    _check(pieces.rejects)


def test_a_ragged_row_leaves_no_results(tmp_path: Path) -> None:
    """The last row has an extra field: the file is refused before any result is written, in batches or not."""
    path, out = tmp_path / "claims.csv", tmp_path / "out"
    path.write_text(TEXT.replace(",钱七,", ",钱,七,"), encoding="utf-8")
    with pytest.raises(InputError, match="cannot be parsed"):
        validate_file(path, out, batch_rows=2)
    assert list(out.iterdir()) == []


def test_a_batch_that_fails_leaves_no_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second batch fails after the first was written: neither output file is left behind."""
    import yibao.io.load as load

    checked = []

    def check_then_fail(*args: object) -> object:
        if checked:
            raise RuntimeError("batch failed")
        checked.append(True)
        return real_check(*args)

    real_check = load._check
    monkeypatch.setattr(load, "_check", check_then_fail)
    path, out = tmp_path / "claims.csv", tmp_path / "out"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(RuntimeError, match="batch failed"):
        validate_file(path, out, batch_rows=2)
    assert checked and list(out.iterdir()) == []


def test_quoted_empty_fields_are_empty(tmp_path: Path) -> None:
    """`""` (how CSV writers put empty text) reads as an empty field: the same load as the unquoted file."""
    plain, quoted = tmp_path / "plain.csv", tmp_path / "quoted.csv"
    plain.write_text(TEXT, encoding="utf-8")
    quoted.write_text(TEXT.replace(",,", ',"",').replace(",\n", ',""\n'), encoding="utf-8")
    assert quoted.read_text(encoding="utf-8").count('""') >= 8
    expected, got = load_claims(plain), load_claims(quoted)
    assert got.summary.model_dump(exclude={"source"}) == expected.summary.model_dump(exclude={"source"})
    assert got.accepted.equals(expected.accepted)
    assert got.rejects.drop("source").equals(expected.rejects.drop("source"))


def test_a_file_with_only_a_header(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + "\n", encoding="utf-8")
    summary = validate_file(path, tmp_path / "out")
    assert (summary.read, summary.accepted, summary.rejected) == (0, 0, 0)
    assert pl.read_parquet(summary.accepted_file).height == 0
    assert load_claims(path).summary.read == 0


def test_repeated_integer_claim_ids(tmp_path: Path, claim_row: dict[str, object]) -> None:
    """A Parquet file whose claim ids are integers: a repeated one rejects both rows (the ids are text once read)."""
    from yibao.models import Claim
    from yibao.models.schema import to_frame

    frame = to_frame([Claim(**{**claim_row, "claim_id": "X"}) for _ in range(3)])
    path = tmp_path / "claims.parquet"
    frame.with_columns(claim_id=pl.Series([7, 8, 7])).write_parquet(path)
    load = load_claims(path)
    summary = validate_file(path, tmp_path / "out", batch_rows=1)
    for counts in (load.summary, summary):
        assert (counts.read, counts.accepted, counts.rejected, counts.reject_lines) == (3, 1, 2, 2)
    assert load.accepted["claim_id"].to_list() == ["8"] == pl.read_parquet(summary.accepted_file)["claim_id"].to_list()
    assert load.rejects.select("row", "value").rows() == [(1, "7"), (3, "7")]


@pytest.mark.parametrize(
    ("ids", "repeated"),
    [
        (["C1", "C2", "C3"], set()),  # ascending: no duplicates, found without hashing
        (["C1", "C2", "C2", "C3"], {"C2"}),  # ascending but for one repeat
        (["C1", None, "C1", "C2"], {"C1"}),  # a missing id between two equal ones
        (["C3", "C2", "C1", "C3"], {"C3"}),
    ],
)
def test_duplicate_ids_in_any_order(
    tmp_path: Path, claim_row: dict[str, object], ids: list[str | None], repeated: set[str]
) -> None:
    from yibao.models import Claim
    from yibao.models.schema import to_frame

    frame = to_frame([Claim(**{**claim_row, "claim_id": "X"}) for _ in ids])
    path = tmp_path / "claims.parquet"
    frame.with_columns(claim_id=pl.Series(ids, dtype=pl.String)).write_parquet(path)
    streamed = pl.read_csv(validate_file(path, tmp_path / "out").rejects_file or "", infer_schema=False)
    for rejects in (load_claims(path).rejects, streamed):
        duplicate = rejects.filter(pl.col("reason").str.contains("duplicate claim id"))
        assert set(duplicate["value"]) == repeated
        assert duplicate.height == sum(ids.count(i) for i in repeated)
