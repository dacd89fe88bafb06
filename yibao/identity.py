"""Person identity: national IDs (身份证号) and names become a keyed hash at once and are never kept.

The key comes from configuration: the environment variable ``YIBAO_PERSON_KEY``. Without a key, raw IDs are refused
rather than hashed with a guessable default.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata

import polars as pl

PERSON_KEY_ENV = "YIBAO_PERSON_KEY"


class PersonKeyMissingError(RuntimeError):
    """Raw personal IDs were given but no hashing key is configured."""


def _key() -> bytes:
    key = os.environ.get(PERSON_KEY_ENV, "")
    if not key:
        raise PersonKeyMissingError(
            f"身份证号需要加密密钥 raw national IDs need a hashing key: set the environment variable {PERSON_KEY_ENV}"
        )
    return key.encode()


def person_key(national_id: str) -> str:
    """The person key (人员标识) of one national ID: HMAC-SHA256 under the configured key, 20 hex digits."""
    normalised = unicodedata.normalize("NFKC", national_id).strip().upper()
    return hmac.new(_key(), normalised.encode(), hashlib.sha256).hexdigest()[:20]


def person_key_expr(national_ids: pl.Expr) -> pl.Expr:
    """`person_key` over a column; each distinct ID is hashed once."""
    _key()  # fail before any work when no key is configured

    def hash_batch(ids: pl.Series) -> pl.Series:
        distinct = ids.drop_nulls().unique()
        mapping = dict(zip(distinct.to_list(), [person_key(i) for i in distinct.to_list()], strict=True))
        return ids.replace_strict(mapping, default=None, return_dtype=pl.String)

    return national_ids.map_batches(hash_batch, return_dtype=pl.String)
