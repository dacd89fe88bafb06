"""Opening the store: the engine for a database URL, the schema created and migrated by the library.

The schema version is one row of `schema_version`. `MIGRATIONS` lists, in order, the step that brings the schema
to each version; opening a store runs the steps above its version in one transaction. A store written by a newer
library is refused rather than misread.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import URL, Connection, Engine, create_engine, func, inspect, make_url, select
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlmodel import SQLModel

from yibao.defaults import DEFAULT_URL
from yibao.errors import StoreError
from yibao.store.detail_tables import VERSION_2_TABLES, VERSION_3_TABLES
from yibao.store.tables import VERSION_1_TABLES, SchemaVersion

SQLITE_BUSY_SECONDS = 30
"""How long a SQLite writer waits for another one's lock before giving up."""
POSTGRES_DRIVER = "postgresql+psycopg"
"""PostgreSQL URLs that name no driver (`postgresql://…`, `postgres://…`) use psycopg 3 (`yibao[postgres]`)."""
MIGRATION_LOCK = int.from_bytes(b"yibao", "big")
"""The PostgreSQL advisory lock under which a store is created or migrated, so that concurrent openers take turns."""


def _create(connection: Connection, models: list[type[SQLModel]]) -> None:
    SQLModel.metadata.create_all(connection, tables=[model.__table__ for model in models])  # type: ignore[attr-defined]


def _create_version_1(connection: Connection) -> None:
    """Version 1: the run, statement, member and direct-payment tables."""
    _create(connection, VERSION_1_TABLES)


def _create_version_2(connection: Connection) -> None:
    """Version 2: region totals, the point method's region, month and institution rows, advances, indicators and
    the inputs' snapshot (policy text, every input file's sha256). Runs recorded before have none of these rows."""
    _create(connection, VERSION_2_TABLES)


def _create_version_3(connection: Connection) -> None:
    """Version 3: the region row of a month's run (kinds monthly and what-if of a month)."""
    _create(connection, VERSION_3_TABLES)


MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [
    (1, _create_version_1),
    (2, _create_version_2),
    (3, _create_version_3),
]
"""(version, step): each step brings the schema from the version before to its own, in order."""
SCHEMA_VERSION = MIGRATIONS[-1][0]
"""The schema version this library writes."""
STORE_TABLES = [*VERSION_1_TABLES, *VERSION_2_TABLES, *VERSION_3_TABLES]
"""Every table of the store, parents first."""


def stored_version(connection: Connection) -> int:
    """The schema version of a database: 0 when it has no store yet."""
    if not inspect(connection).has_table(SchemaVersion.__tablename__):
        return 0
    found = connection.execute(select(SchemaVersion.version).where(SchemaVersion.id == 1)).scalar_one_or_none()  # type: ignore[arg-type]
    return found or 0


def migrate(connection: Connection) -> int:
    """Run the migration steps above the stored version; the version the store is now at.

    On PostgreSQL the transaction first takes `MIGRATION_LOCK`: a second opener waits for the first to commit and
    then finds the schema in place (on SQLite, `open_store` takes the database's write lock for the same end)."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
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


def store_url(url: str) -> URL:
    """The SQLAlchemy URL of a store; a PostgreSQL URL that names no driver gets psycopg's."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError(
            "the database URL is not one SQLAlchemy reads: dialect+driver://user:password@host:port/database, "
            "e.g. sqlite:///yibao.db or postgresql://user:password@host/yibao"
        ) from None
    return parsed.set(drivername=POSTGRES_DRIVER) if parsed.drivername in ("postgresql", "postgres") else parsed


def shown(url: URL) -> str:
    """A URL as messages show it: the password masked."""
    return url.render_as_string(hide_password=True)


def reason(error: DBAPIError) -> str:
    """The database's own message, first line (drivers add hints on further lines)."""
    return str(error.orig).strip().splitlines()[0]


def _engine(url: URL) -> Engine:
    try:
        if url.get_backend_name() == "sqlite":
            return create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        hint = "pip install 'yibao[postgres]'" if url.drivername == POSTGRES_DRIVER else str(error)
        raise StoreError(f"cannot use the database URL {shown(url)}: its driver is not installed ({hint})") from None


def _migrate_store(engine: Engine) -> None:
    """`migrate` in one transaction. On SQLite it takes the write lock first (`BEGIN IMMEDIATE`, with pysqlite's
    own transaction handling off, which would run the DDL outside the transaction): a second opener waits for the
    first to commit and then finds the schema in place, however slow the first is."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            migrate(connection)
        return
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            migrate(connection)
        except BaseException:
            connection.exec_driver_sql("ROLLBACK")
            raise
        connection.exec_driver_sql("COMMIT")


def open_store(url: str | None = None) -> Engine:
    """The engine of the store at `url` (default `sqlite:///yibao.db`; `postgresql://…` uses psycopg), its schema
    created or migrated."""
    parsed = store_url(url or DEFAULT_URL)
    engine = _engine(parsed)
    for attempt in (1, 2):
        try:
            _migrate_store(engine)
            return engine
        except (IntegrityError, OperationalError) as error:
            # Another process held the database longer than the busy timeout: look again once.
            if attempt == 2:
                engine.dispose()
                raise StoreError(f"cannot open the store {shown(parsed)}: {reason(error)}") from None
        except SQLAlchemyError as error:
            engine.dispose()
            why = reason(error) if isinstance(error, DBAPIError) else error
            raise StoreError(f"cannot open the store {shown(parsed)}: {why}") from None
    raise AssertionError("unreachable")
