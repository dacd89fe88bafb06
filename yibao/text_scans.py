"""The compiled (numba) passes over Arrow string views, with every helper and constant they use.

They live in one module on purpose: numba's cache checks only the file of the function it compiled, so a helper
changed in another file would silently keep its old machine code. The Python side is in `text_views` (the
buffers), `yibao.io.tidy`, and `yibao.models` `amount_text`, `date_text` and `word_text` (what each pass means).

A view is 16 bytes: the value's length (int32), then the value itself when it has at most INLINE bytes, else its
first 4 bytes, the data buffer it lives in and its offset there. Only the trimming check reads long values; the
other passes leave them to polars.
"""

from __future__ import annotations

from collections.abc import Callable

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

INLINE = 12
"""Arrow keeps a string of up to 12 bytes inside its 16-byte view; longer ones live in a data buffer."""
INLINE_START = 4
"""Where an inline value starts in its view (after its 4-byte length)."""


@intrinsic
def _byte_at(typing_context: object, address: types.Integer) -> tuple[types.Type, Callable[..., ir.Value]]:
    """The byte at a memory address: inside a data buffer that the caller keeps alive (a long value's bytes)."""

    def load(context: object, builder: ir.IRBuilder, signature: object, arguments: list[ir.Value]) -> ir.Value:
        return builder.load(builder.inttoptr(arguments[0], ir.PointerType(ir.IntType(8))))

    return types.uint8(address), load


@nb.njit(cache=True, inline="always")
def _long_value_address(views: np.ndarray, addresses: np.ndarray, i: int) -> int:
    """Where long value `i`'s bytes are: its data buffer's address (`addresses`, by number) plus its offset."""
    return addresses[views[i, 2]] + views[i, 3]


@nb.njit(cache=True, inline="always")
def _is_valid(validity: np.ndarray, offset: int, i: int) -> bool:
    """Whether value `i` is not null (`validity` is empty when nothing is)."""
    if len(validity) == 0:
        return True
    bit = offset + i
    return bool((validity[bit >> 3] >> (bit & 7)) & 1)


# Trimming check ----------------------------------------------------------------------------------------------


@nb.njit(cache=True, inline="always")
def _is_ascii_space(byte: np.uint8) -> bool:
    return byte == 0x20 or 0x09 <= byte <= 0x0D


@nb.njit(cache=True, inline="always")
def _three_byte_space(lead: np.uint8, second: np.uint8, third: np.uint8) -> bool:
    """U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 in UTF-8."""
    if lead == 0xE1:
        return second == 0x9A and third == 0x80
    if lead == 0xE2:
        if second == 0x80:
            return third <= 0x8A or third == 0xA8 or third == 0xA9 or third == 0xAF
        return second == 0x81 and third == 0x9F
    return lead == 0xE3 and second == 0x80 and third == 0x80


@nb.njit(cache=True, inline="always")
def _space_at_start(length: int, b0: np.uint8, b1: np.uint8, b2: np.uint8) -> bool:
    """Whether a value starting with bytes b0 b1 b2 (as many as it has) starts with white space."""
    if _is_ascii_space(b0):
        return True
    if b0 == 0xC2 and length >= 2:  # U+0085, U+00A0
        return b1 == 0x85 or b1 == 0xA0
    return length >= 3 and _three_byte_space(b0, b1, b2)


@nb.njit(cache=True, inline="always")
def _space_at_end(length: int, b0: np.uint8, b1: np.uint8, b2: np.uint8) -> bool:
    """Whether a value ending with bytes b0 b1 b2 (b2 last; as many as it has) ends with white space."""
    if _is_ascii_space(b2):
        return True
    if length >= 2 and b1 == 0xC2 and (b2 == 0x85 or b2 == 0xA0):
        return True
    return length >= 3 and _three_byte_space(b0, b1, b2)


TIDY, EMPTY_VALUES, SPACE_AROUND = 0, 1, 2
"""What the trimming check finds in a column: nothing to tidy; empty values but no white space around any value;
white space around a value (what it finds first of that, it stops at)."""


@nb.njit(cache=True, nogil=True)
def find_untidy(views: np.ndarray, view_bytes: np.ndarray, validity: np.ndarray, offset: int,
                addresses: np.ndarray) -> int:  # fmt: skip
    """TIDY, EMPTY_VALUES or SPACE_AROUND: whether values are empty or have white space (Unicode White_Space) at
    either end; `addresses` are those of the data buffers."""
    found = TIDY
    for i in range(views.shape[0]):
        if not _is_valid(validity, offset, i):
            continue
        length = views[i, 0]
        if length == 0:
            found = EMPTY_VALUES
            continue
        first = view_bytes[i, INLINE_START]  # the inline value, or the prefix of a long one
        if length <= INLINE and 0x21 <= first <= 0x7E and 0x21 <= view_bytes[i, INLINE_START + length - 1] <= 0x7E:
            continue  # the common case: short, printable ASCII at both ends
        second, third = view_bytes[i, INLINE_START + 1], view_bytes[i, INLINE_START + 2]
        if length <= INLINE:
            end = INLINE_START + length
            last, before, before2 = (
                view_bytes[i, end - 1],
                view_bytes[i, max(end - 2, INLINE_START)],
                view_bytes[i, max(end - 3, INLINE_START)],
            )
        else:
            end = _long_value_address(views, addresses, i) + length
            last, before, before2 = _byte_at(end - 1), _byte_at(end - 2), _byte_at(end - 3)
        if _space_at_start(length, first, second, third) or _space_at_end(length, before2, before, last):
            return SPACE_AROUND
    return found


# Amounts ----------------------------------------------------------------------------------------------------

NULL, PLAIN, EXCESS, OTHER = 0, 1, 2, 3
"""What the amount pass finds in a value: null; a plain decimal read exactly; a plain decimal with non-zero digits
beyond the allowed places; anything else. The date pass finds NULL, PLAIN (a real YYYY-MM-DD date) or OTHER."""
_HYPHEN, _POINT, _ZERO, _NINE = 0x2D, 0x2E, 0x30, 0x39
_POWERS_OF_TEN = 10 ** np.arange(19, dtype=np.int64)
"""A table, not a loop or `**`: either makes the pass ten times slower."""


@nb.njit(cache=True, nogil=True)
def scan_amounts(views: np.ndarray, view_bytes: np.ndarray, validity: np.ndarray, offset: int, places: int,
                 max_integer_digits: int, units: np.ndarray, kinds: np.ndarray) -> None:  # fmt: skip
    """Each value's kind and, for PLAIN ones (`-`? digits, `.` digits?; at most `max_integer_digits` before the
    point, only zeros beyond `places` after it; inline), its amount in units of 10**-places as a 128-bit integer:
    `units` is n × 2 int64, low half then the sign-extended high half (Arrow's decimal128), zero where not PLAIN.
    One loop over each value's bytes: a loop per part, integer and decimals, is three times slower."""
    for i in range(views.shape[0]):
        if not _is_valid(validity, offset, i):
            kinds[i] = NULL
            units[i, 0], units[i, 1] = 0, 0
            continue
        length = views[i, 0]
        value, digits, decimals, point, negative, kind = 0, 0, 0, False, False, PLAIN
        if length > INLINE:
            kind = OTHER
            length = 0
        for j in range(length):
            byte = view_bytes[i, INLINE_START + j]
            if _ZERO <= byte <= _NINE:
                if not point:
                    value = value * 10 + (byte - _ZERO)
                    digits += 1
                elif decimals < places:
                    value = value * 10 + (byte - _ZERO)
                    decimals += 1
                elif byte != _ZERO and kind == PLAIN:
                    kind = EXCESS
            elif byte == _POINT and not point:
                point = True
            elif byte == _HYPHEN and j == 0:
                negative = True
            else:
                kind = OTHER
        if digits == 0 or digits > max_integer_digits:
            kind = OTHER
        kinds[i] = kind
        if kind == PLAIN:
            value *= _POWERS_OF_TEN[places - decimals]
            value = -value if negative else value
            units[i, 0], units[i, 1] = value, value >> 63
        else:
            units[i, 0], units[i, 1] = 0, 0


# Dates ------------------------------------------------------------------------------------------------------

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


@nb.njit(cache=True, inline="always")
def _days_since_1970(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil)."""
    year -= 1 if month <= 2 else 0
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


@nb.njit(cache=True, inline="always")
def _number(view_bytes: np.ndarray, i: int, first: int, count: int) -> int:
    """The decimal number in bytes `first`… of an inline value `i`, or -1 when one of them is not a digit."""
    number = 0
    for j in range(first, first + count):
        byte = view_bytes[i, INLINE_START + j]
        if byte < _ZERO or byte > _NINE:
            return -1
        number = number * 10 + (byte - _ZERO)
    return number


@nb.njit(cache=True, nogil=True)
def scan_dates(views: np.ndarray, view_bytes: np.ndarray, validity: np.ndarray, offset: int, days: np.ndarray,
               kinds: np.ndarray) -> None:  # fmt: skip
    """Each value's kind: NULL, PLAIN (a real date written YYYY-MM-DD, 10 bytes: inline) or OTHER; and for PLAIN
    ones their days since 1970-01-01."""
    for i in range(views.shape[0]):
        if not _is_valid(validity, offset, i):
            kinds[i] = NULL
            continue
        kinds[i] = OTHER
        if views[i, 0] != 10:
            continue
        if view_bytes[i, INLINE_START + 4] != _HYPHEN or view_bytes[i, INLINE_START + 7] != _HYPHEN:
            continue
        year, month, day = _number(view_bytes, i, 0, 4), _number(view_bytes, i, 5, 2), _number(view_bytes, i, 8, 2)
        if year < 0 or month < 1 or month > 12 or day < 1:
            continue
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        if day > _DAYS_IN_MONTH[month] + (1 if month == 2 and leap else 0):
            continue
        days[i] = _days_since_1970(year, month, day)
        kinds[i] = PLAIN


# Words ------------------------------------------------------------------------------------------------------

NO_VALUE, UNMATCHED = -1, -2
"""What the word pass finds in a value besides a meaning's number: null; not exactly one of the short words."""


_SLOT_FACTORS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)
"""Odd 64-bit factors mixing a view's four parts into a slot of the word table (multiplicative hashing)."""


@nb.njit(cache=True, inline="always")
def word_slot(length: int, first: int, second: int, third: int, bits: int) -> int:
    """The slot of a short text's view (its length and three masked 32-bit parts) in a table of 2**bits slots."""
    mixed = (
        np.uint64(np.uint32(length)) * np.uint64(_SLOT_FACTORS[0])
        ^ np.uint64(np.uint32(first)) * np.uint64(_SLOT_FACTORS[1])
        ^ np.uint64(np.uint32(second)) * np.uint64(_SLOT_FACTORS[2])
        ^ np.uint64(np.uint32(third)) * np.uint64(_SLOT_FACTORS[3])
    )
    return int(mixed >> np.uint64(64 - bits))


@nb.njit(cache=True, nogil=True)
def scan_words(views: np.ndarray, view_bytes: np.ndarray, validity: np.ndarray, offset: int, length_masks: np.ndarray,
               slot_views: np.ndarray, slot_meanings: np.ndarray, bits: int, found: np.ndarray) -> None:  # fmt: skip
    """Each value's meaning (the number of the word whose view it equals), NO_VALUE or UNMATCHED. The words'
    inline views (int32 × 4, like `views`) lie in `slot_views` at their `word_slot`, no two in one; an empty slot
    has length -1. `length_masks[n]` keeps the length and the first `n` bytes of a view (whatever lies after
    them is not compared). One slot is looked at per value, without branches: values fall at random."""
    for i in range(views.shape[0]):
        if not _is_valid(validity, offset, i):
            found[i] = NO_VALUE
            continue
        length = views[i, 0]
        if length > INLINE:
            found[i] = UNMATCHED
            continue
        first, second, third = (
            views[i, 1] & length_masks[length, 1],
            views[i, 2] & length_masks[length, 2],
            views[i, 3] & length_masks[length, 3],
        )
        slot = word_slot(length, first, second, third, bits)
        same = (
            (slot_views[slot, 0] == length)
            & (slot_views[slot, 1] == first)
            & (slot_views[slot, 2] == second)
            & (slot_views[slot, 3] == third)
        )
        found[i] = slot_meanings[slot] if same else UNMATCHED


# Patterns ---------------------------------------------------------------------------------------------------


NO_MATCH, MATCH = 0, 1
"""What the class-run pass finds in a value besides NO_VALUE."""


@nb.njit(cache=True, nogil=True)
def scan_class_runs(views: np.ndarray, view_bytes: np.ndarray, validity: np.ndarray, offset: int,
                    addresses: np.ndarray, allowed: np.ndarray, min_length: int, max_length: int,
                    found: np.ndarray) -> None:  # fmt: skip
    """Whether each value is `min_length`…`max_length` bytes, every one allowed (`allowed`: one flag per byte
    value): MATCH, NO_MATCH or NO_VALUE; `addresses` are those of the data buffers."""
    for i in range(views.shape[0]):
        if not _is_valid(validity, offset, i):
            found[i] = NO_VALUE
            continue
        length = views[i, 0]
        found[i] = NO_MATCH
        if length < min_length or length > max_length:
            continue
        if length <= INLINE:
            for j in range(length):
                if not allowed[view_bytes[i, INLINE_START + j]]:
                    break
            else:
                found[i] = MATCH
            continue
        start = _long_value_address(views, addresses, i)
        for address in range(start, start + length):
            if not allowed[_byte_at(address)]:
                break
        else:
            found[i] = MATCH


# Splitting --------------------------------------------------------------------------------------------------


@nb.njit(cache=True, inline="always")
def _value_byte(view_bytes: np.ndarray, i: int, start: int, j: int) -> np.uint8:
    """Byte `j` of value `i`: inline in its view when `start` < 0, else at address `start` + `j`."""
    if start < 0:
        return view_bytes[i, INLINE_START + j]
    return _byte_at(start + j)


@nb.njit(cache=True, inline="always")
def _value_start(views: np.ndarray, addresses: np.ndarray, i: int) -> int:
    """The address of a long value's bytes; -1 for an inline value."""
    if views[i, 0] <= INLINE:
        return -1
    return _long_value_address(views, addresses, i)


@nb.njit(cache=True, nogil=True)
def count_parts(views: np.ndarray, view_bytes: np.ndarray, validity: np.ndarray, offset: int,
                addresses: np.ndarray, separator: int) -> int:  # fmt: skip
    """How many parts `split_parts` makes of all values: none of a null or empty value."""
    parts = 0
    for i in range(views.shape[0]):
        length = views[i, 0]
        if length == 0 or not _is_valid(validity, offset, i):
            continue
        start = _value_start(views, addresses, i)
        parts += 1
        for j in range(length):
            if _value_byte(view_bytes, i, start, j) == separator:
                parts += 1
    return parts


@nb.njit(cache=True, nogil=True)
def split_parts(views: np.ndarray, view_bytes: np.ndarray, validity: np.ndarray, offset: int, addresses: np.ndarray,
                separator: int, list_offsets: np.ndarray, part_views: np.ndarray,
                part_bytes: np.ndarray) -> None:  # fmt: skip
    """Each value split at `separator` (every part kept, empty ones too; an empty value has none): the parts' views
    (`part_views` as int32 × 4, `part_bytes` the same as bytes) and where each value's parts start. A long part
    stays in the value's data buffer (same number, same buffers); a short one is copied into its view."""
    part = 0
    for i in range(views.shape[0]):
        list_offsets[i] = part
        length = views[i, 0]
        if length == 0 or not _is_valid(validity, offset, i):
            continue
        start = _value_start(views, addresses, i)
        begin = 0
        for j in range(length + 1):
            if j < length and _value_byte(view_bytes, i, start, j) != separator:
                continue
            size = j - begin
            part_views[part, 0] = size
            part_views[part, 1], part_views[part, 2], part_views[part, 3] = 0, 0, 0
            for k in range(min(size, INLINE)):
                part_bytes[part, INLINE_START + k] = _value_byte(view_bytes, i, start, begin + k)
            if size > INLINE:  # only parts of long values: the prefix is written, then buffer and offset
                part_views[part, 2], part_views[part, 3] = views[i, 2], views[i, 3] + begin
            part += 1
            begin = j + 1
    list_offsets[views.shape[0]] = part


@nb.njit(cache=True, nogil=True)
def null_encloses_parts(list_offsets: np.ndarray, validity: np.ndarray, offset: int) -> bool:
    """Whether any null list (a clear bit of `validity`, from bit `offset`) spans parts: its offsets differ.
    Without branches: nulls fall at random, and a mispredicted branch per list cost more than the test."""
    if len(validity) == 0:
        return False
    found = False
    for i in range(len(list_offsets) - 1):
        found |= (list_offsets[i + 1] != list_offsets[i]) & (not _is_valid(validity, offset, i))
    return found
