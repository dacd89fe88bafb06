"""Databases for the store tests: a fresh PostgreSQL database per test when `YIBAO_TEST_PG_URL` names a server.

Without it the PostgreSQL cases are skipped, except under CI (`CI` set), where that is a failure: CI starts a
server (`.ci/run`) and must not pass by skipping. Each database is created with an ICU collation and a time zone
east of UTC, so that results which depended on SQLite's byte order or on UTC sessions would show.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from yibao.store.schema import store_url

PG_URL_VARIABLE = "YIBAO_TEST_PG_URL"
SESSION_TIME_ZONE = "Asia/Shanghai"
DATABASES = ("sqlite", "postgresql")
"""The databases a store test runs on (the `kind` of `store_database`)."""


def in_ci() -> bool:
    """True when the environment says CI (`CI=true`, as CI services set it)."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def postgres_admin_url() -> str:
    """The server the PostgreSQL cases run on (a role that may create databases); skip, or fail under CI, without."""
    url = os.environ.get(PG_URL_VARIABLE, "")
    if url:
        return url
    why = f"{PG_URL_VARIABLE} is not set (postgresql://user:password@host:port/database of a role with CREATEDB)"
    if in_ci():
        pytest.fail(f"CI must test the store on PostgreSQL, but {why}")
    pytest.skip(f"no PostgreSQL server: {why}")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the test server (its URL, password included), dropped afterwards."""
    admin_url = store_url(postgres_admin_url())
    name = f"yibao_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        icu = connection.dialect.server_version_info >= (15,)
        collation = " LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C'" if icu else ""
        connection.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'{collation}"))
        connection.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO '{SESSION_TIME_ZONE}'"))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def store_database(kind: str, folder: Path) -> Iterator[str]:
    """An empty store's database URL: a SQLite file in `folder`, or ("postgresql") a new PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'runs.db'}"
        return
    with postgres_database() as url:
        yield url
