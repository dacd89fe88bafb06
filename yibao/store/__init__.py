"""The settlement-run store (sqlmodel): runs on record with their inputs' hashes and their statements.

`open_store(url)` gives the engine (SQLite `yibao.db` by default, any SQLAlchemy URL, e.g. PostgreSQL);
`record_year` records a year's settlement once per set of inputs; `list_runs`, `get_run` and `run_statements`
read them back.
"""

from yibao.store.read import get_run, list_runs, run_statements
from yibao.store.record import record_year
from yibao.store.schema import DEFAULT_URL, SCHEMA_VERSION, open_store
from yibao.store.tables import AllianceStatementRow, DirectRow, MemberRow, Run, SchemaVersion

__all__ = [
    "DEFAULT_URL",
    "SCHEMA_VERSION",
    "AllianceStatementRow",
    "DirectRow",
    "MemberRow",
    "Run",
    "SchemaVersion",
    "get_run",
    "list_runs",
    "open_store",
    "record_year",
    "run_statements",
]
