"""Text encoding of claim CSV files: UTF-8 (with or without BOM) or GB18030, detected from the bytes."""

from __future__ import annotations

import codecs
import shutil
import struct
from pathlib import Path
from typing import Literal

import pyarrow as pa

from yibao.errors import InputError

Encoding = Literal["utf-8", "utf-8-sig", "gb18030"]
_BLOCK = 1 << 22


def _decodes(path: Path, encoding: str) -> int | None:
    """None when the whole file decodes; else the 1-based line of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                return line + block[: error.start].count(b"\n")
            line += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line
    return None


def _is_utf8(path: Path) -> bool:
    """Whether the whole file is UTF-8, checked by Arrow's validator (several times faster than decoding it).

    Each block is checked up to its last line break (which never falls inside a UTF-8 character); the rest is
    moved to the front of the buffer and read on with the next block."""
    buffer, kept = bytearray(_BLOCK), 0
    with path.open("rb") as handle:
        while True:
            if kept == len(buffer):  # a line longer than the buffer
                buffer.extend(bytes(len(buffer)))
            with memoryview(buffer) as view:
                filled = kept + handle.readinto(view[kept:])
                end = buffer.rfind(b"\n", 0, filled) + 1 if filled > kept else filled
                if not _valid_utf8(view[:end]):
                    return False
            if filled == kept:
                return True
            buffer[: filled - end], kept = buffer[end:filled], filled - end


def _valid_utf8(block: memoryview) -> bool:
    offsets = pa.py_buffer(struct.pack("<2q", 0, len(block)))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(block)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def detect_encoding(path: Path) -> Encoding:
    """UTF-8 with BOM, UTF-8, or GB18030: the first that decodes the whole file strictly."""
    with path.open("rb") as handle:
        if handle.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
    if _is_utf8(path):
        return "utf-8"
    gb_bad_line = _decodes(path, "gb18030")
    if gb_bad_line is None:
        return "gb18030"
    utf8_bad_line = _decodes(path, "utf-8") or 1
    raise InputError(path, "neither UTF-8 nor GB18030 text (文件编码无法识别)", row=max(utf8_bad_line, gb_bad_line))


def as_utf8(path: Path, workdir: Path) -> Path:
    """The file itself when it is UTF-8, else a UTF-8 copy in `workdir` (streamed, bounded memory)."""
    encoding = detect_encoding(path)
    if encoding == "utf-8":
        return path
    target = workdir / f"{path.stem}.utf8.csv"
    with path.open("r", encoding=encoding, newline="") as src, target.open("w", encoding="utf-8", newline="") as dst:
        shutil.copyfileobj(src, dst, _BLOCK)
    return target
