"""Opening the store: the engine for a database URL, the schema created and migrated by the library.

The schema version is one row of `schema_version`. `MIGRATIONS` lists, in order, the step that brings the schema
to each version; opening a store runs the steps above its version in one transaction. A store written by a newer
library is refused rather than misread.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, create_engine, inspect, select
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlmodel import SQLModel

from yibao.errors import StoreError
from yibao.store.detail_tables import VERSION_2_TABLES
from yibao.store.tables import VERSION_1_TABLES, SchemaVersion

DEFAULT_URL = "sqlite:///yibao.db"
"""The store when no URL is given: `yibao.db` in the working directory."""
SQLITE_BUSY_SECONDS = 30
"""How long a SQLite writer waits for another one's lock before giving up."""


def _create(connection: Connection, models: list[type[SQLModel]]) -> None:
    SQLModel.metadata.create_all(connection, tables=[model.__table__ for model in models])  # type: ignore[attr-defined]


def _create_version_1(connection: Connection) -> None:
    """Version 1: the run, statement, member and direct-payment tables."""
    _create(connection, VERSION_1_TABLES)


def _create_version_2(connection: Connection) -> None:
    """Version 2: region totals, the point method's region, month and institution rows, advances, indicators and
    the inputs' snapshot (policy text, every input file's sha256). Runs recorded before have none of these rows."""
    _create(connection, VERSION_2_TABLES)


MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [
    (1, _create_version_1),
    (2, _create_version_2),
]
"""(version, step): each step brings the schema from the version before to its own, in order."""
SCHEMA_VERSION = MIGRATIONS[-1][0]
"""The schema version this library writes."""
STORE_TABLES = [*VERSION_1_TABLES, *VERSION_2_TABLES]
"""Every table of the store, parents first."""


def stored_version(connection: Connection) -> int:
    """The schema version of a database: 0 when it has no store yet."""
    if not inspect(connection).has_table(SchemaVersion.__tablename__):
        return 0
    found = connection.execute(select(SchemaVersion.version).where(SchemaVersion.id == 1)).scalar_one_or_none()  # type: ignore[arg-type]
    return found or 0


def migrate(connection: Connection) -> int:
    """Run the migration steps above the stored version; the version the store is now at."""
    current = stored_version(connection)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"the store is at schema version {current}, newer than this library's ({SCHEMA_VERSION}): "
            "upgrade yibao to read it"
        )
    for version, step in MIGRATIONS:
        if version > current:
            step(connection)
    if current < SCHEMA_VERSION:
        table = SchemaVersion.__table__  # type: ignore[attr-defined]
        if current == 0:
            connection.execute(table.insert().values(id=1, version=SCHEMA_VERSION))
        else:
            connection.execute(table.update().where(table.c.id == 1).values(version=SCHEMA_VERSION))
    return SCHEMA_VERSION


def _engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            return create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise StoreError(f"cannot use the database URL {url!r}: {error}") from None


def open_store(url: str | None = None) -> Engine:
    """The engine of the store at `url` (default `sqlite:///yibao.db`), its schema created or migrated."""
    url = url or DEFAULT_URL
    engine = _engine(url)
    for attempt in (1, 2):
        try:
            with engine.begin() as connection:
                migrate(connection)
            return engine
        except (IntegrityError, OperationalError) as error:
            # Another process created the schema at the same moment: look again once.
            if attempt == 2:
                engine.dispose()
                raise StoreError(f"cannot open the store {url!r}: {error.orig}") from None
        except SQLAlchemyError as error:
            engine.dispose()
            raise StoreError(f"cannot open the store {url!r}: {error}") from None
    raise AssertionError("unreachable")
