"""The `yibao` command: thin wrappers that parse arguments, call the library and print a summary.

The run store (SQLAlchemy) and the run report (matplotlib) are imported by the commands that use them: together
they took 0.65 s of the 1.2 s every command spent importing before it started."""

from __future__ import annotations

import csv
import functools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import polars as pl
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from yibao import progress
from yibao.alliance.case_dir import is_alliance_policy, load_year_case, write_year
from yibao.alliance.settle import YearCase, YearSettlement, settle_year
from yibao.defaults import DEFAULT_URL, DEMO_POLICY, DEMO_RULESET
from yibao.errors import InputError, YibaoError
from yibao.grouping import Grouper
from yibao.identity import PersonKeyMissingError
from yibao.io import LoadSummary, validate_file
from yibao.io.grouping_input import grouping_columns
from yibao.io.write import write_frame
from yibao.point_tables import advances_table, clearing_table, month_table
from yibao.report import write_workbook, year_sheets
from yibao.report.excel import month_sheets
from yibao.rules.records import GroupingRecord
from yibao.settlement import Policy, Settlement, SettlementCases
from yibao.settlement import settle as run_settlement
from yibao.settlement.case_dir import load_case, write_month, write_settlement
from yibao.settlement.money import fen_to_yuan
from yibao.settlement.monthly import MonthSettlement, month_of, parse_month
from yibao.settlement.policy import load_policy
from yibao.synth import CaseSummary, GenerationParams, generate_case

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from yibao.store import Run

app = typer.Typer(help="yibao: 医共体医保结算 — medical-insurance settlement for county medical alliances.")
runs_app = typer.Typer(help="结算记录 Settlement runs on record: list them, show one, compare two.")
app.add_typer(runs_app, name="runs")
console = Console()
errors = Console(stderr=True, soft_wrap=True)
P = ParamSpec("P")
R = TypeVar("R")
DEBUG = {"on": False}


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False) -> None:
    """Settle medical-insurance money for county medical alliances."""
    DEBUG["on"] = debug


def _friendly(command: Callable[P, R]) -> Callable[P, R]:
    """Errors become one clear sentence and exit code 2, unless --debug."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (YibaoError, PersonKeyMissingError, ValidationError, FileNotFoundError) as error:
            if DEBUG["on"]:
                raise
            _print_error(error)
            raise typer.Exit(2) from None

    return run


def _print_error(error: Exception) -> None:
    """An error as one sentence on standard error."""
    errors.print(f"[red]error:[/red] {escape(str(error))}", highlight=False)


def _summary_table(summaries: list[LoadSummary]) -> Table:
    table = Table(title="校验结果 validation: read 读取 = accepted 接受 + rejected 拒绝")
    table.add_column("文件 file", no_wrap=True)
    for header in ("读取", "接受", "拒绝", "空行 blank", "拒绝明细 lines"):
        table.add_column(header, justify="right")
    for s in summaries:
        counts = (s.read, s.accepted, s.rejected, s.blank_rows, s.reject_lines)
        table.add_row(Path(s.source).name, *(f"{n:,}" for n in counts))
    return table


@app.command()
@_friendly
def validate(
    files: Annotated[list[Path], typer.Argument(help="Claim files: CSV (UTF-8 or GB18030), Parquet or Excel.")],
    out: Annotated[Path, typer.Option(help="Folder for <name>.accepted.parquet and <name>.rejects.csv.")] = Path("out"),
) -> None:
    """校验 Validate claim files: accepted rows to Parquet, rejects (row, field, reason) to CSV."""
    names = [path.stem for path in files]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(files[names.index(repeated[0])], "two input files share this name; their outputs would clash")
    summaries, refused = [], []
    for path in files:  # a file that cannot be read is reported; the others are still checked
        try:
            summaries.append(_validate(path, out))
        except InputError as error:
            if DEBUG["on"]:
                raise
            refused.append(error)
    if summaries:
        console.print(_summary_table(summaries))
        for s in summaries:
            if s.ignored_columns:
                console.print(f"{Path(s.source).name}: ignored columns {', '.join(s.ignored_columns)}")
        console.print(f"written to {out}/")
    for error in refused:
        _print_error(error)
    if refused:
        raise typer.Exit(2)


def _validate(path: Path, out: Path) -> LoadSummary:
    with progress.step(f"校验 validating {path.name}"):
        return validate_file(path, out)


def _parse_scale(scale: str) -> str | int:
    return int(float(scale)) if scale[0].isdigit() else scale


def _case_table(case: CaseSummary) -> Table:
    table = Table(title="合成数据 synthetic case")
    table.add_column("项目 item")
    table.add_column("数量 count", justify="right")
    for label, value in case.counts().items():
        table.add_row(label, f"{value:,}")
    return table


@app.command()
@_friendly
def synth(
    out: Annotated[Path, typer.Option(help="Folder for the case.")],
    scale: Annotated[
        str, typer.Option(help="county | prefecture | province | a number of inpatient claims")
    ] = "county",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same case.")] = 2025,
    ruleset: Annotated[Path, typer.Option(help="Ruleset folder whose code lists the claims use.")] = DEMO_RULESET,
) -> None:
    """合成 Write a synthetic region and one year of claims (a runnable case folder)."""
    with progress.step(f"合成 synthesising ({scale})"):
        case = generate_case(out, _parse_scale(scale), seed, ruleset)
    console.print(_case_table(case))
    console.print(f"written to {out}/")


@app.command()
@_friendly
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo case and its results.")] = Path("demo_out"),
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2025,
) -> None:
    """演示 The main job on the embedded default: synthesise the demo county, validate its claims, group its stays,
    settle the year by the point method and each alliance's package, and allocate it to the members."""
    with progress.step("合成 synthesising the demo county"):
        case = generate_case(out / "case", "county", seed, DEMO_RULESET)
    console.print(_case_table(case))
    claim_files = sorted((out / "case" / "claims").glob("*.parquet"))
    summaries = [_validate(path, out / "validated") for path in claim_files]
    console.print(_summary_table(summaries))
    read, accepted = sum(s.read for s in summaries), sum(s.accepted for s in summaries)
    console.print(f"{accepted:,} of {read:,} claims accepted")
    stays = pl.read_parquet([s.accepted_file for s in summaries if Path(s.source).name.startswith("inpatient")])
    with progress.step(f"分组 grouping {stays.height:,} stays"):
        grouper = Grouper.from_dir(DEMO_RULESET)
        grouped = grouper.group_frame(stays)
        write_frame(grouped, out / "grouped" / "inpatient.parquet")
    console.print(_groups_table(grouped))
    visits = [s.accepted_file for s in summaries if Path(s.source).name.startswith("outpatient")]
    with progress.step("准备 preparing the settlement folder (a grouped 2024 for base points)"):
        folder = _demo_settlement_folder(out, grouped, grouper, seed)
        write_frame(pl.read_parquet(visits), folder / "claims" / "outpatient.parquet")
    with progress.step("读取 loading the case"):
        year_case = load_year_case(folder)
    _settle_year_and_show(year_case, folder / "results")


def _demo_settlement_folder(out: Path, grouped: pl.DataFrame, grouper: Grouper, seed: int) -> Path:
    """The demo policy beside the grouped stays, the organisation, the residents and a grouped 2024 year for base
    points."""
    folder = out / "settlement"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEMO_POLICY, folder / "policy.toml")
    history = generate_case(out / "history-2024", "county", seed + 1, DEMO_RULESET,
                            GenerationParams(year=2024, outpatient_per_stay=0))  # fmt: skip
    past = grouper.group_frame(pl.read_parquet(list(history.inpatient_files)))
    write_frame(past.drop("diagnoses", "procedures"), folder / "history-2024.parquet")
    write_frame(grouped.drop("diagnoses", "procedures"), folder / "claims" / "inpatient.parquet")
    for name in ("institutions.csv", "alliances.csv", "residents.parquet"):
        shutil.copy(out / "case" / name, folder / name)
    return folder


def _groups_table(grouped: pl.DataFrame) -> Table:
    """Stays by group status, and the most frequent DRGs with their share."""
    table = Table(title="CHS-DRG 分组 grouping (demo ruleset)")
    table.add_column("DRG / 状态 status")
    table.add_column("住院 stays", justify="right")
    table.add_column("占比 share", justify="right")
    total = grouped.height
    by_status = grouped.group_by("group_status").len().sort("len", descending=True)
    top = (
        grouped.filter(pl.col("group_status") == "SUCCESS")
        .group_by("drg")
        .len()
        .sort(["len", "drg"], descending=[True, False])
    )
    for label, n in [*by_status.iter_rows(), *top.head(8).iter_rows()]:
        table.add_row(label, f"{n:,}", f"{n / total:.1%}")
    return table


@app.command()
@_friendly
def group(
    claims: Annotated[
        Path, typer.Argument(help="Claims (CSV or Parquet); CHS-DRG reference columns work as they are.")
    ],
    ruleset: Annotated[Path, typer.Option(help="Ruleset folder (CHS-DRG table format).")],
    out: Annotated[Path, typer.Option(help="Output file: .parquet or .csv.")],
    engine: Annotated[str, typer.Option(help="bulk (compiled, fast) or rules (durable-rules, explains)")] = "bulk",
) -> None:
    """分组 Group claims by CHS-DRG: the input rows with mdc, adrg, drg and group_status added."""
    if engine not in ("bulk", "rules"):
        raise InputError(claims, f"unknown engine {engine!r}: bulk or rules")
    grouper = Grouper.from_dir(ruleset, engine=engine)  # type: ignore[arg-type]
    counts = grouper.group_file(claims, out)
    summary = ", ".join(f"{status} {n:,}" for status, n in sorted(counts.items()))
    console.print(f"{sum(counts.values()):,} claims grouped ({summary}); written to {out}")


def _settle_and_show(policy: Policy, cases: SettlementCases, out: Path) -> Settlement:
    """Settle, write one CSV per table into `out`, and print the clearing summary and the counts."""
    with progress.step("结算 settling"):
        result = run_settlement(cases, policy)
    with progress.step("写出 writing the results"):
        write_settlement(result, out)
    console.print(clearing_table(policy.name, result.region, result.institutions))
    console.print(f"{len(cases):,} stays settled, {cases.excluded.height:,} set aside (read {cases.read:,})")
    return result


STATEMENT_ROWS = {
    "residents": "覆盖人数",
    "budget_fen": "预算",
    "inside_fen": "医共体内",
    "county_fen": "县内其他",
    "out_of_county_fen": "县域外",
    "balance_fen": "结余/超支",
    "score": "考核得分",
    "retained_fen": "结余留用",
    "fund_share_fen": "基金分担",
    "borne_fen": "医共体承担",
    "package_fen": "包干资金",
    "clearing_fen": "年度清算",
}
"""The statement lines the summary shows, money in 万元."""


def _alliance_table(result: YearSettlement, shown: int = 5) -> Table:
    """The alliance statements side by side (the first `shown`, then the total), money in 万元."""
    alliances = result.alliances
    table = Table(title="医共体年度清算 alliance statements (万元; exact to the fen in alliances.csv)")
    table.add_column("", no_wrap=True)
    columns = [*alliances["alliance_id"].head(shown), "合计 total"]
    for name in columns:
        table.add_column(name, justify="right")

    def cell(column: str, values: list) -> str:
        if column == "score":
            return f"{values[0]}" if len(values) == 1 else ""
        total = sum(values)
        return f"{total:,}" if column == "residents" else f"{fen_to_yuan(total) / 10000:,.2f}"

    for column, label in STATEMENT_ROWS.items():
        values = alliances[column].to_list()
        table.add_row(label, *(cell(column, [v]) for v in values[:shown]), cell(column, values))
    return table


def _settle_year_and_show(case: YearCase, out: Path, claims_dir: Path | None = None) -> YearSettlement:
    """Settle a year with its alliances, write the results and the workbook, print the summaries and counts; the
    per-claim results go to `claims_dir` batch by batch when given."""
    with progress.step("结算 settling"):
        result = settle_year(case, claims_dir=claims_dir)
    with progress.step("写出 writing the results"):
        write_year(result, out, claims=claims_dir is None)
        write_workbook(year_sheets(result), out / "settlement.xlsx")
    console.print(clearing_table(result.points.policy.name, result.points.region, result.points.institutions))
    console.print(_alliance_table(result))
    region = result.region.row(0, named=True)
    console.print(f"{region['claims_charged']:,} claims charged, {region['claims_excluded']:,} set aside "
                  f"(read {region['claims_read']:,}); results in {out}/")  # fmt: skip
    return result


def _settle_month_and_show(year: Settlement | YearSettlement, month: int, out: Path) -> MonthSettlement:
    """A month's pre-settlement from the year so far: write its tables and workbook, print its rows and counts."""
    result = month_of(year, month)
    with progress.step("写出 writing the results"):
        write_month(result, out)
        write_workbook(month_sheets(result), out / "settlement.xlsx")
    console.print(month_table(result.points.policy.name, result.months, result.region))
    if result.alliances is None:
        stays, aside = result.points.cases.height, result.points.excluded.height
        console.print(f"{stays:,} stays discharged through {result.period} settled, {aside:,} set aside "
                      f"(read {stays + aside:,}); results in {out}/")  # fmt: skip
    else:
        console.print(advances_table(result.advances))
        region = result.alliances.region.row(0, named=True)
        console.print(
            f"{region['claims_charged']:,} claims through {result.period} charged, "
            f"{region['claims_excluded']:,} set aside (read {region['claims_read']:,}); results in {out}/"
        )
    return result


def _record(
    engine: Engine, case: Path, result: YearSettlement | Settlement | MonthSettlement, out: Path, what_if: bool,
    files: tuple[Path | None, Path | None, Path | None],
) -> None:  # fmt: skip
    """Record the run (a what-if when asked) and say so."""
    from yibao.store import record_month, record_year

    with progress.step("记录 recording the run"):
        if isinstance(result, MonthSettlement):
            run, new = record_month(engine, case, result, out, *files, kind="what-if" if what_if else "monthly")
        else:
            run, new = record_year(engine, case, result, out, *files, kind="what-if" if what_if else "annual")
    console.print(f"run {run.id} recorded ({run.kind} {run.period})" if new
                  else f"run {run.id} already on record (same inputs)")  # fmt: skip


@app.command()
@_friendly
def settle(
    case: Annotated[
        Path, typer.Argument(help="Case folder: policy.toml, claims, institutions (and alliances, residents)")
    ],
    out: Annotated[Path, typer.Option(help="Folder for the results: CSV/Parquet tables and settlement.xlsx.")],
    policy: Annotated[Path | None, typer.Option(help="Policy file, instead of the folder's policy.toml.")] = None,
    claims: Annotated[Path | None, typer.Option(help="Grouped claims, instead of the folder's.")] = None,
    institutions: Annotated[Path | None, typer.Option(help="Institutions, instead of the folder's.")] = None,
    month: Annotated[
        str | None, typer.Option(help="月度预结算 of this month (YYYY-MM), from the claims discharged through it.")
    ] = None,
    what_if: Annotated[
        bool, typer.Option("--what-if", help="测算: record the run as a what-if, never the official run.")
    ] = False,
    batches: Annotated[
        bool,
        typer.Option(
            "--batches",
            help="大区域 A prefecture or province: read the claims and residents from their files one batch of "
            "residence counties at a time; the per-claim results go to OUT/claims/.",
        ),
    ] = False,
    db: Annotated[
        str | None, typer.Option(help=f"Record the run in this store (e.g. {DEFAULT_URL} or a PostgreSQL URL).")
    ] = None,
) -> None:
    """结算 Settle a year — or, with --month, a month's pre-settlement: by the point method, and — when the policy has
    the alliance sections — each alliance's budget, spending, surplus or overspend and its members' money."""
    loaded = load_policy(policy or case / "policy.toml")
    month_number = None if month is None else parse_month(month, loaded.year)
    engine = None if db is None else _open_store(db)
    result: YearSettlement | Settlement | MonthSettlement
    if is_alliance_policy(loaded):
        with progress.step("读取 loading the case"):
            year_case = load_year_case(case, policy, claims, institutions, lazy=batches, month=month_number)
        claims_dir = out / "claims" if batches else None
        if month_number is None:
            result = _settle_year_and_show(year_case, out, claims_dir)
        else:
            with progress.step("结算 settling"):
                so_far = settle_year(year_case, claims_dir=claims_dir)
            result = _settle_month_and_show(so_far, month_number, out)
    elif batches:
        raise InputError(policy or case / "policy.toml", "--batches settles alliance years; this policy has none")
    else:
        with progress.step("读取 loading the case"):
            point_policy, cases = load_case(case, policy, claims, institutions, month=month_number)
        if month_number is None:
            result = _settle_and_show(point_policy, cases, out)
            with progress.step("写出 writing the workbook"):
                write_workbook(result, out / "settlement.xlsx")
            console.print(f"results in {out}/")
        else:
            with progress.step("结算 settling"):
                points_so_far = run_settlement(cases, point_policy)
            result = _settle_month_and_show(points_so_far, month_number, out)
    if engine is not None:
        _record(engine, case, result, out, what_if, (policy, claims, institutions))


REFERENCE_COLUMNS = "id,gender,age,age_days,birth_weight_g,los_days,leaving_type,diagnoses,procedures"
"""The columns of a record in the CHS-DRG reference format (oracle_dev.csv), the form `yibao explain` reads."""


@app.command()
@_friendly
def explain(
    record: Annotated[str, typer.Argument(help=f"One record as a CSV line: {REFERENCE_COLUMNS}[,…]")],
    ruleset: Annotated[Path, typer.Option(help="Ruleset folder (CHS-DRG table format).")],
) -> None:
    """解释 Group one record on the rules engine and print the trail: which rule decided what, and why."""
    header = REFERENCE_COLUMNS.split(",")
    values = next(csv.reader([record]))[: len(header)]
    if len(values) < len(header):
        raise InputError("record", f"expected {len(header)} comma-separated values: {REFERENCE_COLUMNS}")
    table = pl.DataFrame([values], schema=dict.fromkeys(header, pl.String), orient="row")
    row = grouping_columns(table, "record").row(0, named=True)
    result = Grouper.from_dir(ruleset, engine="rules").explain(GroupingRecord(**row))
    steps = Table(title=f"{result.mdc} / {result.adrg} / {result.drg}  {result.status.value}")
    for header_text in ("步骤 step", "说明", "explanation"):
        steps.add_column(header_text)
    for step in result.trail:
        steps.add_row(step.step, step.zh, step.en)
    console.print(steps)


DB_OPTION = typer.Option("--db", help=f"The store's database URL (default {DEFAULT_URL}).")


def _open_store(url: str) -> Engine:
    from yibao.store import open_store

    return open_store(url)


def _created(run: Run) -> str:
    return run.created_at.strftime("%Y-%m-%d %H:%M UTC")


@runs_app.command("list")
@_friendly
def runs_list(db: Annotated[str, DB_OPTION] = DEFAULT_URL) -> None:
    """列表 The runs on record: when, what kind (annual, monthly, what-if), which year or month, and the claims read,
    charged and set aside."""
    from yibao.store import list_runs

    table = Table(title="结算记录 settlement runs")
    for header in ("编号 run", "时间 created", "类型 kind", "期间 period", "状态 status"):
        table.add_column(header, no_wrap=True)
    for header in ("读取 read", "结算 charged", "剔除 set aside"):
        table.add_column(header, justify="right")
    for run in list_runs(_open_store(db)):
        table.add_row(str(run.id), _created(run), run.kind, run.period, run.status,
                      *(f"{n:,}" for n in (run.rows_read, run.rows_accepted, run.rows_rejected)))  # fmt: skip
    console.print(table)


SHOWN_STATEMENT = {
    "budget_fen": "预算 budget",
    "actual_fen": "实际 spending",
    "balance_fen": "结余/超支 balance",
    "score": "考核得分 score",
    "retained_fen": "结余留用 retained",
    "fund_share_fen": "基金分担 fund share",
    "borne_fen": "医共体承担 borne",
    "package_fen": "包干资金 package",
    "advance_fen": "已预付 advanced",
    "clearing_fen": "年度清算 clearing",
}
"""The statement lines `runs show` prints, money in 元."""


@runs_app.command("show")
@_friendly
def runs_show(
    run_id: Annotated[int, typer.Argument(metavar="RUN", help="The run's number (see `yibao runs list`).")],
    db: Annotated[str, DB_OPTION] = DEFAULT_URL,
) -> None:
    """查看 One run: what it read (content hashes), which library settled it, and its money (元): the alliance
    statements, the point method's clearing, or a month's pre-settlement."""
    from yibao.store import get_run, run_frames

    engine = _open_store(db)
    run = get_run(engine, run_id)
    facts = Table(title=f"结算记录 run {run.id}", show_header=False)
    facts.add_column("", no_wrap=True)
    facts.add_column("")
    for label, value in (
        ("时间 created", _created(run)), ("类型 kind", run.kind), ("期间 period", run.period),
        ("状态 status", run.status), ("yibao", run.library_version),
        ("读取 / 结算 / 剔除", f"{run.rows_read:,} / {run.rows_accepted:,} / {run.rows_rejected:,}"),
        ("claims sha256", run.claims_hash), ("policy sha256", run.policy_hash),
        ("tables sha256", run.tables_hash), ("逐单结果 per claim", run.claims_file),
    ):  # fmt: skip
        facts.add_row(label, value)
    console.print(facts)
    frames = run_frames(engine, run_id)
    if not frames["points.month_region"].is_empty():
        console.print(month_table(f"run {run.id}", frames["points.months"], frames["points.month_region"]))
    elif frames["alliances"].is_empty() and not frames["points.region"].is_empty():
        console.print(clearing_table(f"run {run.id}", frames["points.region"], frames["points.institutions"]))
    if not frames["alliances"].is_empty():
        console.print(_statements_table(frames["alliances"]))
    if frames["alliances"].is_empty() and not frames["advances"].is_empty():
        console.print(advances_table(frames["advances"]))


def _statements_table(alliances: pl.DataFrame) -> Table:
    """The alliance statements of a run, one column per alliance (元)."""
    table = Table(title="医共体年度清算 alliance statements (元)")
    table.add_column("", no_wrap=True)
    for alliance in alliances["alliance_id"]:
        table.add_column(alliance, justify="right")
    for column, label in SHOWN_STATEMENT.items():
        values = alliances[column].to_list()
        cells = [("" if v is None else str(v)) if column == "score" else f"{fen_to_yuan(v):,}" for v in values]
        table.add_row(label, *cells)
    return table


@runs_app.command("diff")
@_friendly
def runs_diff(
    old: Annotated[int, typer.Argument(metavar="A", help="The earlier run's number.")],
    new: Annotated[int, typer.Argument(metavar="B", help="The later run's number.")],
    db: Annotated[str, DB_OPTION] = DEFAULT_URL,
    top: Annotated[int, typer.Option(min=1, help="Rows shown per money table, largest change first.")] = 20,
) -> None:
    """比较 What changed from run A to run B and why: the inputs, files and policy parameters that differ, then the
    money per alliance, member and direct institution (元), largest change first."""
    from yibao.store import diff_runs
    from yibao.store.diff_view import diff_view

    for shown in diff_view(diff_runs(_open_store(db), old, new), top):
        console.print(shown)


@app.command()
@_friendly
def report(
    run_id: Annotated[int, typer.Argument(metavar="RUN", help="The run's number (see `yibao runs list`).")],
    out: Annotated[Path, typer.Option(help="The report file: .xlsx (Excel) or .html (a page with charts).")],
    db: Annotated[str, DB_OPTION] = DEFAULT_URL,
) -> None:
    """报告 A run's report for bureau staff: region, alliances and institutions, money in 元."""
    from yibao.report import write_run_report

    console.print(f"written to {write_run_report(_open_store(db), run_id, out)}")
