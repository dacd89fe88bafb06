"""The rules path of the grouper: CHS-DRG grouping of one record on durable-rules, with an explanation trail.

Layout. `RulesEngine.__init__` turns the ruleset's tables into plain Python lookups (code → the facts it yields)
and into one durable-rules ruleset of three stages, one rule per table entry, told apart by the event's `stage`:

- `mdc`: one rule per MDC, priority = its order, constraints = its conditions and `after < order`; a catch-all
  ends the record as FAIL.
- `adrg`: one rule per ADRG, constraints = `mdc == <its MDC>` and its conditions; a catch-all (the MDC's
  conditions held but none of its ADRGs) posts the `mdc` event again with `after` = that MDC's order.
- `drg`: one rule per DRG, constraints = `adrg == <its ADRG>` and its split; a catch-all takes the ADRG code.

Per record, plain Python (the check of FORMAT.md step 1, then `_Facts`) reads its codes into facts: the list
conditions that hold as strings in the event's `facts` array (`"pdx_in_list GB1.zd"`, `"any_proc_in_list
AC1.ss"`, `"proc_tag_combo NA1.ss"`, …), and numbers (`sex`, `age`, `age_days`, `weight` (only when > 0),
`pproc_or`, `any_or`, trauma-region counts, `mcc`, `cc`). The record is posted once, as an event with a unique
id; each stage's action posts the next stage's event, so one `post` walks MDC → ADRG → DRG inside the engine. The
actions only note the decision; the trail is written from those decisions afterwards.

durable-rules is used through a private `engine.Host` without the background dispatch threads that
`durable.lang.post` starts (they can run an action on another thread while `post` is between its two engine
calls), and the rulesets are registered on it directly, named per instance.
"""

from __future__ import annotations

import itertools
import threading
import uuid
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import durable_rules_engine
from durable import engine
from durable.lang import item, m, pri, when_all

from yibao.models.checks import NEWBORN_MAX_AGE_DAYS
from yibao.rules.load import RulesetTables
from yibao.rules.records import UNGROUPED, GroupingRecord, GroupResult, GroupStatus, TrailStep

Action = Callable[[engine.Closure], None]
Decide = Callable[["_Run", Any], "dict[str, Any] | None"]
"""A rule's decision: note it on the run, and give the next stage's event (None when the record is done)."""
Constraint = Any
"""A durable-rules condition expression (`durable.lang.value`; the library has no type hints)."""

FACT_PREDICATES = ("pdx_in_list", "any_dx_in_list", "pproc_in_list", "any_proc_in_list", "proc_tag_combo")
"""Predicates that hold by a string in the event's `facts` array."""
CATCH_ALL = 1_000_000
"""Priority of a stage's catch-all rule: after every table rule (durable-rules fires the lowest first)."""
UNHANDLED = 2_000_000
"""Priority of the last resort rule for an event that no stage knows."""
SEX_ZH = {1: "男", 2: "女"}
SEX_EN = {1: "male", 2: "female"}
LEVEL_ZH = {"MCC": "严重并发症或合并症", "CC": "并发症或合并症"}
LEVEL_EN = {"MCC": "major complication", "CC": "complication"}
SPLIT_ZH = {"always": "不区分并发症", "mcc": "伴严重并发症或合并症 (MCC)", "mcc_or_cc": "伴并发症或合并症 (MCC/CC)"}
SPLIT_EN = {"always": "unconditional", "mcc": "with an MCC", "mcc_or_cc": "with an MCC or CC"}


@dataclass(frozen=True)
class _Condition:
    """One row of mdc_conditions.csv or adrg_conditions.csv."""

    owner: str
    predicate: str
    list: str | None
    arg: int | None

    @property
    def key(self) -> str:
        """The fact a list predicate is matched on, e.g. `pdx_in_list GB1.zd`."""
        return f"{self.predicate} {self.owner}.{self.list}"

    @property
    def count_property(self) -> str:
        """The numeric event property of a trauma-region count, e.g. `regions_MDCZ_mdc`."""
        return f"regions_{self.owner}_{self.list}"


@dataclass(frozen=True)
class _Assessed:
    """A secondary diagnosis found in complications.csv, judged against the principal's exclusion table."""

    code: str
    level: str
    table: str
    principal_table: str | None

    @property
    def counts(self) -> bool:
        return self.principal_table is None or self.principal_table != self.table


@dataclass
class _Facts:
    """What the Python lookups found for one record: the events' facts and the evidence for the trail."""

    numbers: dict[str, int]
    mdc_facts: list[str]
    adrg_facts: dict[str, list[str]]
    assessed: list[_Assessed]
    mcc: bool
    cc: bool


@dataclass
class _Run:
    """One record in flight through the rules: the facts it was posted with and the decisions the rules took."""

    rid: str
    facts: _Facts
    events: int = 0
    entered: list[str] = field(default_factory=list)
    mdc: str | None = None
    adrg: str | None = None
    drg: str | None = None
    outcomes: int = 0
    error: BaseException | None = None

    def event(self, stage: str, **fields: Any) -> dict[str, Any]:
        """A new event of this record, with a unique id."""
        self.events += 1
        return {"id": f"{self.rid}.{self.events}", "rid": self.rid, "stage": stage, **fields}


class _Host(engine.Host):
    """A durable-rules host whose actions run only inside `post`, on the caller's thread.

    `engine.Host` starts timer threads that dispatch pending actions every 0.2 s; one of them can take an action
    that `post` has just queued and run it on its own thread (seen once in 100,000 posts)."""

    def _run(self) -> None:
        pass


def _frame(ruleset: RulesetTables, name: str) -> list[dict[str, Any]]:
    return ruleset[name].to_dicts()


def _sorted(rows: Iterable[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: int(r[column]))


def _exclusion(table: str | None) -> str:
    return f"排除表 {table}" if table is not None else "无排除表"


class RulesEngine:
    """Groups one record at a time with the ruleset's tables as durable rules, and explains the result."""

    def __init__(self, ruleset: RulesetTables) -> None:
        self.ruleset = ruleset
        self._load_tables(ruleset)
        self._index_facts(ruleset)
        self._name = f"yibao_drg_{uuid.uuid4().hex}"
        self._runs: dict[str, _Run] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._host = _Host()
        self._host.register_rulesets({self._name: self._definition()})
        handle = self._host.get_ruleset(self._name)._handle
        weakref.finalize(self, durable_rules_engine.delete_ruleset, handle)

    # --- tables as Python lookups -------------------------------------------------------------------------------

    def _load_tables(self, ruleset: RulesetTables) -> None:
        self._mdcs = [r["mdc"] for r in _sorted(_frame(ruleset, "mdc"), "order")]
        self._mdc_rank = {mdc: i for i, mdc in enumerate(self._mdcs, start=1)}
        self._adrgs: dict[str, list[str]] = defaultdict(list)
        self._adrg_mdc: dict[str, str] = {}
        for r in _sorted(_frame(ruleset, "adrg"), "order"):
            self._adrgs[r["mdc"]].append(r["adrg"])
            self._adrg_mdc[r["adrg"]] = r["mdc"]
        self._drgs: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._drg_names: dict[str, str] = {}
        for r in _sorted(_frame(ruleset, "drg"), "order"):
            self._drgs[r["adrg"]].append((r["drg"], r["split"]))
            self._drg_names[r["drg"]] = r["name"] or ""
        self._conditions: dict[str, list[_Condition]] = defaultdict(list)
        for table, owner in (("mdc_conditions", "mdc"), ("adrg_conditions", "adrg")):
            for r in _sorted(_frame(ruleset, table), "seq"):
                arg = int(r["arg"]) if r["arg"] is not None else None
                self._conditions[r[owner]].append(_Condition(r[owner], r["predicate"], r["list"], arg))
        lists: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._regions: dict[str, str] = {}
        for mdc, code, region in ruleset["mdc_diagnoses"].select("mdc", "code", "trauma_region").iter_rows():
            lists[mdc, "mdc"].add(code)
            if region is not None:
                self._regions.setdefault(code, region)
        for adrg, lst, code in ruleset["adrg_diagnoses"].select("adrg", "list", "code").iter_rows():
            lists[adrg, lst].add(code)
        self._tags: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        for adrg, lst, code, tag in ruleset["adrg_procedures"].select("adrg", "list", "code", "tag").iter_rows():
            lists[adrg, lst].add(code)
            if tag is not None:
                self._tags[adrg, lst].setdefault(code, tag)
        self._lists = {key: frozenset(codes) for key, codes in lists.items()}
        alternatives: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for adrg, alternative, tag in ruleset["adrg_procedure_combos"].select("adrg", "alternative", "tag").iter_rows():
            alternatives[adrg][alternative].add(tag)
        self._alternatives = {a: [frozenset(tags) for tags in alts.values()] for a, alts in alternatives.items()}
        self._or = frozenset(ruleset["or_procedures"]["code"].to_list())
        self._complications = {
            code: (level, table)
            for code, level, table in ruleset["complications"].select("code", "level", "exclusion_table").iter_rows()
        }
        self._principal_tables = dict(ruleset["principal_exclusions"].select("code", "exclusion_table").iter_rows())

    def _index_facts(self, ruleset: RulesetTables) -> None:
        """Code → the facts it yields, for every list condition of the tables (and nothing else)."""
        index: dict[str, dict[str, list[tuple[str, str]]]] = {p: defaultdict(list) for p in FACT_PREDICATES}
        self._trauma_codes: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._trauma_properties: list[str] = []
        self._combo_codes: dict[str, list[tuple[_Condition, str]]] = defaultdict(list)
        for conditions in self._conditions.values():
            for c in conditions:
                group = "" if c.owner in self._mdc_rank else self._adrg_mdc[c.owner]
                codes = self._lists.get((c.owner, c.list or ""), frozenset())
                if c.predicate == "trauma_regions_at_least":
                    self._trauma_properties.append(c.count_property)
                    for code in codes:
                        if code in self._regions:
                            self._trauma_codes[code].append((c.count_property, self._regions[code]))
                elif c.predicate == "proc_tag_combo":
                    for code, tag in self._tags[c.owner, c.list or ""].items():
                        self._combo_codes[code].append((c, tag))
                elif c.predicate in index:
                    for code in codes:
                        index[c.predicate][code].append((group, c.key))

        def freeze(d: dict[str, list[tuple[str, str]]]) -> dict[str, tuple[tuple[str, str], ...]]:
            return {code: tuple(dict.fromkeys(v)) for code, v in d.items()}

        self._pdx_facts = freeze(index["pdx_in_list"])
        self._dx_facts = freeze(index["any_dx_in_list"])
        self._pproc_facts = freeze(index["pproc_in_list"])
        self._proc_facts = freeze(index["any_proc_in_list"])

    def _facts(self, record: GroupingRecord) -> _Facts:
        """The facts the rules match on, from dictionary lookups of the record's codes."""
        dx, px = record.diagnoses, record.procedures
        found: set[tuple[str, str]] = set()
        found.update(self._pdx_facts.get(dx[0], ()))
        for code in set(dx):
            found.update(self._dx_facts.get(code, ()))
        if px:
            found.update(self._pproc_facts.get(px[0], ()))
        tags: dict[_Condition, set[str]] = defaultdict(set)
        for code in set(px):
            found.update(self._proc_facts.get(code, ()))
            for condition, tag in self._combo_codes.get(code, ()):
                tags[condition].add(tag)
        for condition, present in tags.items():
            if any(alternative <= present for alternative in self._alternatives.get(condition.owner, ())):
                found.add((self._adrg_mdc[condition.owner], condition.key))
        regions: dict[str, set[str]] = defaultdict(set)
        for code in set(dx):
            for prop, region in self._trauma_codes.get(code, ()):
                regions[prop].add(region)
        numbers = {"sex": record.sex or 0, "age": record.age or 0}
        if record.age_days is not None:
            numbers["age_days"] = record.age_days
        if record.birth_weight_g:
            numbers["weight"] = record.birth_weight_g
        numbers["pproc_or"] = int(bool(px) and px[0] in self._or)
        numbers["any_or"] = int(any(code in self._or for code in px))
        for prop in self._trauma_properties:
            numbers[prop] = len(regions.get(prop, ()))
        mdc_facts: list[str] = []
        adrg_facts: dict[str, list[str]] = defaultdict(list)
        for group, key in found:
            (adrg_facts[group] if group else mdc_facts).append(key)
        principal_table = self._principal_tables.get(dx[0])
        assessed = [
            _Assessed(code, *self._complications[code], principal_table)
            for code in dict.fromkeys(dx[1:])
            if code in self._complications
        ]
        mcc = any(a.counts and a.level == "MCC" for a in assessed)
        cc = any(a.counts and a.level == "CC" for a in assessed)
        return _Facts(numbers, mdc_facts, adrg_facts, assessed, mcc, cc)

    # --- the rules ----------------------------------------------------------------------------------------------

    @staticmethod
    def _constraint(c: _Condition) -> Constraint:
        """A table condition as a durable-rules constraint on the event."""
        arg = c.arg if c.arg is not None else 0
        match c.predicate:
            case "pdx_in_list" | "any_dx_in_list" | "pproc_in_list" | "any_proc_in_list" | "proc_tag_combo":
                return m.facts.anyItem(item == c.key)
            case "pproc_is_or":
                return m.pproc_or == 1
            case "no_or_proc":
                return m.any_or == 0
            case "age_days_max":
                return m.age_days <= arg  # no rule matches an absent property
            case "age_years_is":
                return m.age == arg
            case "sex_is":
                return m.sex == arg
            case "birth_weight_below":
                return m.weight < arg  # `weight` is present only when non-zero
            case "birth_weight_at_least":
                return m.weight >= arg
            case "trauma_regions_at_least":
                return getattr(m, c.count_property) >= arg
        raise ValueError(f"unknown predicate {c.predicate!r}")

    def _all(self, first: Constraint, conditions: Iterable[_Condition]) -> Constraint:
        expression = first
        for c in conditions:
            expression = expression & self._constraint(c)
        return expression

    def _definition(self) -> dict[str, Any]:
        """The ruleset: one rule per MDC, ADRG and DRG of the tables, and a catch-all per stage."""
        rules: dict[str, Any] = {}

        def add(name: str, priority: int, expression: Constraint, decide: Decide) -> None:
            rules[name] = when_all(pri(priority), expression)(self._action(decide)).define()

        priority = itertools.count(1)
        for mdc in self._mdcs:
            first = (m.stage == "mdc") & (m.after < self._mdc_rank[mdc])
            add(f"mdc_{mdc}", next(priority), self._all(first, self._conditions[mdc]), self._enter_mdc(mdc))
            for adrg in self._adrgs[mdc]:
                first = (m.stage == "adrg") & (m.mdc == mdc)
                add(f"adrg_{adrg}", next(priority), self._all(first, self._conditions[adrg]), self._take_adrg(adrg))
                for drg, split in self._drgs[adrg]:
                    expression = (m.stage == "drg") & (m.adrg == adrg)
                    if split == "mcc":
                        expression = expression & (m.mcc == 1)
                    elif split == "mcc_or_cc":
                        expression = expression & ((m.mcc == 1) | (m.cc == 1))
                    add(f"drg_{drg}", next(priority), expression, self._take_drg(drg))
        add("mdc_none", CATCH_ALL, m.stage == "mdc", self._fail)
        add("adrg_none", CATCH_ALL, m.stage == "adrg", self._next_mdc)
        add("drg_none", CATCH_ALL, m.stage == "drg", self._adrg_as_drg)
        add("unhandled", UNHANDLED, +m.rid, self._unhandled)  # `+m.id` would hang the engine
        return rules

    def _action(self, decide: Decide) -> Action:
        """A rule's action: find the record's run and let `decide` note the decision and post the next event.

        durable-rules would swallow an exception into the ruleset's shared state; it is kept on the run instead
        and raised by `group`. (An action must take exactly one argument: with two, durable-rules calls it
        asynchronously with a callback.)"""

        def action(c: engine.Closure) -> None:
            message = c.m
            run = self._runs.get(message.rid)
            if run is None:
                return
            try:
                event = decide(run, message)
                if event is not None:
                    c.post(event)
            except Exception as error:
                run.error = error

        return action

    def _enter_mdc(self, mdc: str) -> Decide:
        def decide(run: _Run, _: Any) -> dict[str, Any]:
            run.entered.append(mdc)
            return run.event("adrg", mdc=mdc, facts=run.facts.adrg_facts.get(mdc, []), **run.facts.numbers)

        return decide

    def _take_adrg(self, adrg: str) -> Decide:
        def decide(run: _Run, message: Any) -> dict[str, Any]:
            run.mdc, run.adrg = message.mdc, adrg
            return run.event("drg", adrg=adrg, mcc=int(run.facts.mcc), cc=int(run.facts.cc))

        return decide

    def _take_drg(self, drg: str) -> Decide:
        def decide(run: _Run, _: Any) -> None:
            run.drg = drg
            run.outcomes += 1

        return decide

    def _next_mdc(self, run: _Run, message: Any) -> dict[str, Any]:
        return self._mdc_event(run, after=self._mdc_rank[message.mdc])

    def _adrg_as_drg(self, run: _Run, message: Any) -> None:
        run.drg = message.adrg
        run.outcomes += 1

    def _fail(self, run: _Run, _: Any) -> None:
        run.mdc = run.adrg = run.drg = None
        run.outcomes += 1

    def _unhandled(self, run: _Run, message: Any) -> None:
        raise RuntimeError(f"no rule handled event {message.id} of stage {message.stage!r}")

    def _mdc_event(self, run: _Run, after: int) -> dict[str, Any]:
        return run.event("mdc", after=after, facts=run.facts.mdc_facts, **run.facts.numbers)

    # --- grouping -----------------------------------------------------------------------------------------------

    def group(self, record: GroupingRecord) -> GroupResult:
        """Group one record: the check, then the durable rules MDC → ADRG → DRG; the trail explains each step."""
        problems = _check_problems(record)
        if problems:
            zh = "入组检查未通过：" + "；".join(p[0] for p in problems)
            en = "input check failed: " + "; ".join(p[1] for p in problems)
            return GroupResult(
                mdc=UNGROUPED[0], adrg=UNGROUPED[1], drg=UNGROUPED[2], status=GroupStatus.CHECK_FAILED,
                trail=[TrailStep(step="check", zh=zh, en=en)],
            )  # fmt: skip
        facts = self._facts(record)
        with self._lock:
            run = _Run(rid=f"r{next(self._ids)}", facts=facts)
            self._runs[run.rid] = run
            try:
                self._host.post(self._name, self._mdc_event(run, after=0))
            finally:
                del self._runs[run.rid]
        if run.error is not None:
            raise RuntimeError(f"durable-rules action failed for record {run.rid}") from run.error
        if run.outcomes != 1:
            raise RuntimeError(f"durable-rules gave {run.outcomes} results for record {run.rid}, expected exactly 1")
        return self._result(record, run)

    def _result(self, record: GroupingRecord, run: _Run) -> GroupResult:
        trail = [TrailStep(step="check", zh="入组检查通过", en="input check passed")]
        for mdc in run.entered:
            zh, en = self._why(mdc, record)
            trail.append(TrailStep(step="mdc", zh=f"进入 {mdc}：{zh}", en=f"entered {mdc}: {en}"))
            if mdc != run.mdc:
                tried = "、".join(self._adrgs[mdc]) or "无"
                trail.append(
                    TrailStep(
                        step="adrg",
                        zh=f"{mdc} 的 ADRG（{tried}）均不满足条件，继续下一个 MDC",
                        en=f"none of {mdc}'s ADRGs ({', '.join(self._adrgs[mdc]) or 'none'}) holds; next MDC",
                    )
                )
        if run.mdc is None or run.adrg is None or run.drg is None:
            trail.append(
                TrailStep(
                    step="mdc",
                    zh="没有任何 MDC 的 ADRG 满足条件，未入组 (0000)",
                    en="no MDC yields an ADRG: ungrouped (0000)",
                )
            )
            return GroupResult(
                mdc=UNGROUPED[0], adrg=UNGROUPED[1], drg=UNGROUPED[2], status=GroupStatus.FAIL, trail=trail
            )
        trail.append(self._adrg_step(run.mdc, run.adrg, record))
        splits = self._drgs[run.adrg]
        if any(split != "always" for _, split in splits):
            trail += self._complication_steps(run.facts)
        trail.append(self._drg_step(run.adrg, run.drg, run.facts))
        return GroupResult(mdc=run.mdc, adrg=run.adrg, drg=run.drg, status=GroupStatus.SUCCESS, trail=trail)

    # --- the trail ----------------------------------------------------------------------------------------------

    def _why(self, owner: str, record: GroupingRecord) -> tuple[str, str]:
        """Why an MDC or ADRG's conditions hold, in Chinese and English."""
        reasons = [self._describe(c, record) for c in self._conditions.get(owner, [])]
        if not reasons:
            return "无附加条件", "no conditions"
        return "；".join(r[0] for r in reasons), "; ".join(r[1] for r in reasons)

    def _adrg_step(self, mdc: str, adrg: str, record: GroupingRecord) -> TrailStep:
        adrgs = self._adrgs[mdc]
        tried = adrgs[: adrgs.index(adrg)]
        zh, en = self._why(adrg, record)
        zh, en = f"入 ADRG {adrg}：{zh}", f"took ADRG {adrg}: {en}"
        if tried:
            zh += f"（此前依次尝试 {'、'.join(tried)}，均不满足条件）"
            en += f" (tried before, not holding: {', '.join(tried)})"
        return TrailStep(step="adrg", zh=zh, en=en)

    def _complication_steps(self, facts: _Facts) -> list[TrailStep]:
        if not facts.assessed:
            return [TrailStep(step="cc", zh="次要诊断中没有 CC 或 MCC", en="no secondary diagnosis is a CC or MCC")]
        steps = []
        for a in facts.assessed:
            principal = _exclusion(a.principal_table)
            if a.counts and a.principal_table is None:
                zh = f"次要诊断 {a.code} 为{a.level}（排除表 {a.table}），主要诊断无排除表，计为{LEVEL_ZH[a.level]}"
                en = (
                    f"secondary diagnosis {a.code} is a {a.level} (exclusion table {a.table}); the principal "
                    f"diagnosis has no exclusion table: counts as a {LEVEL_EN[a.level]}"
                )
            elif a.counts:
                zh = (
                    f"次要诊断 {a.code} 为{a.level}，其排除表 {a.table} 与主要诊断的{principal}不同，"
                    f"计为{LEVEL_ZH[a.level]}"
                )
                en = (
                    f"secondary diagnosis {a.code} is a {a.level}; its exclusion table {a.table} differs from the "
                    f"principal diagnosis's exclusion table {a.principal_table}: counts as a {LEVEL_EN[a.level]}"
                )
            else:
                zh = (
                    f"次要诊断 {a.code} 为{a.level}，但其排除表 {a.table} 与主要诊断的{principal}相同，被排除，"
                    f"不计为{LEVEL_ZH[a.level]}"
                )
                en = (
                    f"secondary diagnosis {a.code} is a {a.level} but is excluded: its exclusion table {a.table} "
                    f"is the principal diagnosis's exclusion table {a.principal_table}"
                )
            steps.append(TrailStep(step="cc", zh=zh, en=en))
        return steps

    def _drg_step(self, adrg: str, drg: str, facts: _Facts) -> TrailStep:
        splits = self._drgs[adrg]
        passed = [d for d, _ in itertools.takewhile(lambda s: s[0] != drg, splits)]
        split = dict(splits).get(drg)
        if split is None:
            return TrailStep(
                step="drg",
                zh=f"{adrg} 的 DRG 均不满足条件，DRG 取 ADRG 代码 {adrg}",
                en=f"none of {adrg}'s DRGs holds; the DRG is the ADRG code {adrg}",
            )
        counted = [a.code for a in facts.assessed if a.counts and (a.level == "MCC" or split == "mcc_or_cc")]
        zh = f"入 DRG {drg}「{self._drg_names.get(drg, '')}」：{SPLIT_ZH[split]}"
        en = f"took DRG {drg} ({SPLIT_EN[split]})"
        if split != "always":
            zh += f"，计入的次要诊断 {'、'.join(counted)}"
            en += f", counted secondary diagnoses {', '.join(counted)}"
        if passed:
            zh += f"（{'、'.join(passed)} 的条件不满足）"
            en += f" ({', '.join(passed)} not holding)"
        return TrailStep(step="drg", zh=zh, en=en)

    def _describe(self, c: _Condition, record: GroupingRecord) -> tuple[str, str]:
        """One holding condition, with the record's evidence, in Chinese and English."""
        dx, px = record.diagnoses, record.procedures
        codes = self._lists.get((c.owner, c.list or ""), frozenset())
        label_zh = "诊断表" if c.list == "mdc" else f"{c.list} 表"
        label_en = f"{c.owner}'s {c.list} list"
        arg = c.arg
        match c.predicate:
            case "pdx_in_list":
                return f"主要诊断 {dx[0]} 属于 {c.owner} {label_zh}", f"principal diagnosis {dx[0]} is in {label_en}"
            case "any_dx_in_list":
                hit = next((d for d in dx if d in codes), "")
                return f"诊断 {hit} 属于 {c.owner} {label_zh}", f"diagnosis {hit} is in {label_en}"
            case "pproc_in_list":
                return f"主要手术 {px[0]} 属于 {c.owner} {label_zh}", f"principal procedure {px[0]} is in {label_en}"
            case "any_proc_in_list":
                hit = next((p for p in px if p in codes), "")
                return f"手术 {hit} 属于 {c.owner} {label_zh}", f"procedure {hit} is in {label_en}"
            case "proc_tag_combo":
                tag_of = self._tags[c.owner, c.list or ""]
                used = "、".join(f"{p}（{tag_of[p]}）" for p in dict.fromkeys(px) if p in tag_of)
                return (
                    f"手术 {used} 构成 {c.owner} 的手术组合",
                    f"procedures {used.replace('、', ', ')} form one of {c.owner}'s procedure combinations",
                )
            case "pproc_is_or":
                return f"主要手术 {px[0]} 为手术室手术", f"principal procedure {px[0]} is an operating-room procedure"
            case "no_or_proc":
                return "无手术室手术", "no operating-room procedure"
            case "age_days_max":
                return f"年龄 {record.age_days} 天 ≤ {arg} 天", f"age {record.age_days} days ≤ {arg} days"
            case "age_years_is":
                return f"年龄 {record.age} 岁", f"age {record.age} years"
            case "sex_is":
                sex = record.sex or 0
                return f"性别为{SEX_ZH.get(sex, str(sex))}", f"sex is {SEX_EN.get(sex, str(sex))}"
            case "birth_weight_below":
                w = record.birth_weight_g
                return f"出生体重 {w} 克 < {arg} 克", f"birth weight {w} g < {arg} g"
            case "birth_weight_at_least":
                w = record.birth_weight_g
                return f"出生体重 {w} 克 ≥ {arg} 克", f"birth weight {w} g ≥ {arg} g"
            case "trauma_regions_at_least":
                regions = sorted({self._regions[d] for d in dx if d in codes and d in self._regions})
                return (
                    f"诊断涉及 {len(regions)} 个不同创伤部位（{'、'.join(regions)}）≥ {arg}",
                    f"diagnoses cover {len(regions)} distinct trauma regions ≥ {arg}",
                )
        return c.predicate, c.predicate


def _check_problems(record: GroupingRecord) -> list[tuple[str, str]]:
    """FORMAT.md step 1: why the record cannot be grouped (empty when it can), in Chinese and English."""
    problems = []
    if record.sex not in (1, 2):
        problems.append((f"性别 {record.sex} 不是 1 或 2", f"sex {record.sex} is not 1 or 2"))
    if record.age is None:
        problems.append(("缺少年龄", "age is missing"))
    elif record.age == 0 and record.age_days is None:
        problems.append(("年龄为 0 岁但缺少年龄(天)", "age is 0 but age_days is missing"))
    elif record.age == 0 and (record.age_days or 0) <= NEWBORN_MAX_AGE_DAYS and record.birth_weight_g is None:
        problems.append(("新生儿缺少出生体重", "newborn without a birth weight"))
    if not record.diagnoses:
        problems.append(("没有诊断", "no diagnosis"))
    return problems
