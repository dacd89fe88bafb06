"""Code normalisation: examples, agreement of the string and polars forms, and the official code lists."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ruleset_dirs
from yibao import codes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("K80.000x004", "K80.000x004"),
        ("k80.000X004", "K80.000x004"),
        ("K80000x004", "K80.000x004"),
        (" I10.X05 ", "I10.x05"),
        ("ｋ８０．０００ｘ００４", "K80.000x004"),
        ("a18.300X009+k93.0*", "A18.300x009+K93.0*"),
        ("A18.300x009 † K930*", "A18.300x009+K93.0*"),
        ("Ａ１８．３００ｘ００９＋Ｋ９３．０＊", "A18.300x009+K93.0*"),
        ("X59.900", "X59.900"),
        ("x59900", "X59.900"),
    ],
)
def test_normalise_diagnosis(raw: str, expected: str) -> None:
    assert codes.normalise_diagnosis(raw) == expected
    assert codes.is_diagnosis(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("51.2300", "51.2300"),
        ("512300", "51.2300"),
        ("96.0800X005", "96.0800x005"),
        ("５１．２３００", "51.2300"),
        ("86.700x0013", "86.700x0013"),
        ("17.927d0", "17.927D0"),
    ],
)
def test_normalise_procedure(raw: str, expected: str) -> None:
    assert codes.normalise_procedure(raw) == expected
    assert codes.is_procedure(expected)


@pytest.mark.parametrize("bad", ["", "K8", "80.000", "K80.000x04", "KK0.1", "K80.0+", "A18.3+K93.0", "K80.000 x004 y"])
def test_bad_diagnoses(bad: str) -> None:
    assert not codes.is_diagnosis(codes.normalise_diagnosis(bad))


@pytest.mark.parametrize("bad", ["", "5", "A1.23", "51.23000000", "51.2300x05"])
def test_bad_procedures(bad: str) -> None:
    assert not codes.is_procedure(codes.normalise_procedure(bad))


CODE_CHARS = st.sampled_from(list("AKXZakxz0123456789.+*† ") + list("ＡＫｘ０９．＋＊　"))
code_text = st.text(CODE_CHARS, max_size=20)


@settings(max_examples=300, deadline=None)
@given(st.lists(code_text, min_size=1, max_size=20))
def test_string_and_polars_forms_agree(raw: list[str]) -> None:
    series = pl.Series("c", raw, dtype=pl.String)
    frame = pl.DataFrame(series).select(
        dx=codes.normalise_diagnosis_expr(pl.col("c")),
        px=codes.normalise_procedure_expr(pl.col("c")),
    )
    dx, px = frame["dx"].to_list(), frame["px"].to_list()
    assert dx == [codes.normalise_diagnosis(r) for r in raw]
    assert px == [codes.normalise_procedure(r) for r in raw]
    valid = pl.DataFrame({"dx": dx, "px": px}).select(
        dx=codes.is_diagnosis_expr(pl.col("dx")), px=codes.is_procedure_expr(pl.col("px"))
    )
    assert valid["dx"].to_list() == [codes.is_diagnosis(c) for c in dx]
    assert valid["px"].to_list() == [codes.is_procedure(c) for c in px]


@settings(max_examples=300, deadline=None)
@given(code_text)
def test_normalisation_is_idempotent(raw: str) -> None:
    once_dx, once_px = codes.normalise_diagnosis(raw), codes.normalise_procedure(raw)
    assert codes.normalise_diagnosis(once_dx) == once_dx
    assert codes.normalise_procedure(once_px) == once_px


@pytest.mark.parametrize("ruleset", ruleset_dirs(), ids=lambda p: p.name)
def test_official_codes_are_fixed_points(ruleset) -> None:
    """Every code of a ruleset's tables is already normal and well-formed."""
    dx_files = ["diagnosis_names.csv", "complications.csv", "principal_exclusions.csv", "mdc_diagnoses.csv"]
    px_files = ["procedure_names.csv", "or_procedures.csv", "adrg_procedures.csv"]
    for files, normalise, valid in (
        (dx_files, codes.normalise_diagnosis_expr, codes.is_diagnosis_expr),
        (px_files, codes.normalise_procedure_expr, codes.is_procedure_expr),
    ):
        table = pl.concat([pl.read_csv(ruleset / f, infer_schema=False).select("code") for f in files]).unique()
        checked = table.select(same=normalise(pl.col("code")) == pl.col("code"), valid=valid(pl.col("code")))
        assert table.height > 50
        assert checked["same"].all() and checked["valid"].all()
