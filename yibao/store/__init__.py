"""The settlement-run store (sqlmodel): runs on record with their inputs' hashes, their frames and a snapshot of
their inputs.

`open_store(url)` gives the engine (SQLite `yibao.db` by default, or PostgreSQL through psycopg, the `postgres`
extra); `record_year` records a year's settlement (alliance or point method; annual or what-if) and `record_month` a
month's pre-settlement (monthly or what-if), once per kind, period and set of inputs; `list_runs`, `get_run`,
`run_statements`, `run_frames` and `run_inputs` read them back; `diff_runs` compares two runs.
"""

from yibao.store.diff import RunDiff, diff_runs
from yibao.store.read import RunInputs, get_run, list_runs, run_frames, run_inputs, run_statements
from yibao.store.record import record_month, record_year
from yibao.store.schema import DEFAULT_URL, SCHEMA_VERSION, open_store
from yibao.store.tables import AllianceStatementRow, DirectRow, MemberRow, Run, SchemaVersion

__all__ = [
    "DEFAULT_URL",
    "SCHEMA_VERSION",
    "AllianceStatementRow",
    "DirectRow",
    "MemberRow",
    "Run",
    "RunDiff",
    "RunInputs",
    "SchemaVersion",
    "diff_runs",
    "get_run",
    "list_runs",
    "open_store",
    "record_month",
    "record_year",
    "run_frames",
    "run_inputs",
    "run_statements",
]
