"""The UTF-8 check reads files in blocks: characters and lines that straddle blocks must not change its answer."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.io import encoding

LINES = st.lists(st.text(alphabet=st.sampled_from("ab,\n中医保\u3000é"), max_size=40), max_size=30)


@settings(max_examples=150, deadline=None)
@given(lines=LINES, block=st.integers(min_value=1, max_value=16), cut=st.integers(min_value=0, max_value=400))
def test_is_utf8_agrees_with_decoding(lines: list[str], block: int, cut: int) -> None:
    data = "\n".join(lines).encode()
    data = data[: cut % (len(data) + 1)]  # may end inside a character
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(encoding, "_BLOCK", block)
        path = Path(folder) / "claims.csv"
        path.write_bytes(data)
        try:
            data.decode("utf-8")
            decodes = True
        except UnicodeDecodeError:
            decodes = False
        assert encoding._is_utf8(path) is decodes


def test_gb18030_is_not_utf8_but_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes("清单流水号\n".encode("gb18030") * 1000)
    assert not encoding._is_utf8(path)
    assert encoding.detect_encoding(path) == "gb18030"
