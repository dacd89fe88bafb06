"""Person identity: national IDs (身份证号) and names become a keyed hash at once and are never kept.

The key comes from configuration: the environment variable ``YIBAO_PERSON_KEY``. Without a key, raw IDs are refused
rather than hashed with a guessable default.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata

import polars as pl

PERSON_KEY_ENV = "YIBAO_PERSON_KEY"
PERSON_KEY_PATTERN = r"^[0-9a-f]{20}$"
"""人员标识 as `person_key` makes it; any other value may be a raw ID and is refused."""
NATIONAL_ID_PATTERN = r"\d{17}[\dX]|\d{15}"
"""身份证号: 18 characters (the last may be X) or the old 15 digits, after normalisation."""
NATIONAL_ID_MALFORMED = "身份证号格式错误 national ID malformed (15 or 18 characters)"


class PersonKeyMissingError(RuntimeError):
    """Raw personal IDs were given but no hashing key is configured."""


def _key() -> bytes:
    key = os.environ.get(PERSON_KEY_ENV, "")
    if not key:
        raise PersonKeyMissingError(
            f"身份证号需要加密密钥 raw national IDs need a hashing key: set the environment variable {PERSON_KEY_ENV}"
        )
    return key.encode()


def normalise_national_id(national_id: str) -> str:
    """Half-width, trimmed, upper case (a final `x` becomes `X`)."""
    return unicodedata.normalize("NFKC", national_id).strip().upper()


def normalise_national_id_expr(national_ids: pl.Expr) -> pl.Expr:
    """`normalise_national_id` as a polars expression."""
    return national_ids.str.normalize("NFKC").str.strip_chars().str.to_uppercase()


def is_national_id(normalised: str) -> bool:
    """Whether a normalised ID has the form of a 身份证号."""
    return re.fullmatch(NATIONAL_ID_PATTERN, normalised) is not None


def is_national_id_expr(normalised: pl.Expr) -> pl.Expr:
    """`is_national_id` as a polars expression."""
    return normalised.str.contains(f"^(?:{NATIONAL_ID_PATTERN})$")


def person_key(national_id: str) -> str:
    """The person key (人员标识) of one national ID: HMAC-SHA256 under the configured key, 20 hex digits."""
    return hmac.new(_key(), normalise_national_id(national_id).encode(), hashlib.sha256).hexdigest()[:20]


def person_key_expr(national_ids: pl.Expr) -> pl.Expr:
    """`person_key` over a column; each distinct ID is hashed once."""
    _key()  # fail before any work when no key is configured

    def hash_batch(ids: pl.Series) -> pl.Series:
        distinct = ids.drop_nulls().unique()
        mapping = dict(zip(distinct.to_list(), [person_key(i) for i in distinct.to_list()], strict=True))
        return ids.replace_strict(mapping, default=None, return_dtype=pl.String)

    return national_ids.map_batches(hash_batch, return_dtype=pl.String)
