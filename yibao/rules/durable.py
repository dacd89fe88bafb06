"""The rules path of the grouper: CHS-DRG grouping of one record on durable-rules, with an explanation trail.

`RulesEngine.__init__` turns the tables into plain Python lookups (code → the facts it yields) and into
durable-rules rulesets, one rule per table entry (`durable.lang.when_all`, the entry's conditions as the rule's
constraints, its order as the rule's priority) and a catch-all rule at the lowest priority in each:

- `mdc`: one rule per MDC: its conditions and `after < <its order>`. Catch-all: FAIL.
- `adrg_<MDC>`, one ruleset per MDC: one rule per ADRG of the MDC: its conditions. Catch-all (the MDC's conditions
  held but none of its ADRGs does): back to `mdc` with `after` = the MDC's order, so the next MDC is tried.
- `drg_<MDC>`, one ruleset per MDC: one rule per DRG: `adrg == <its ADRG>` and its split. Catch-all: the DRG is
  the ADRG code.

Per record, plain Python does FORMAT.md's check (step 1) and the lookups (`_Facts`): the list conditions that hold,
as strings in the event's `facts` array (`"pdx_in_list MDCG.mdc"`, `"any_proc_in_list AC1.ss"`,
`"proc_tag_combo NA1.ss"`, …), and numbers (`sex`, `age`, `age_days`, `weight` (only when > 0), `pproc_or`,
`any_or`, trauma-region counts; `mcc` and `cc` (some secondary counts against the MCC / CC rows) for the DRG
stage). Then each stage is one event with a unique id: exactly one rule fires for it (the highest priority), is
consumed with it, and its action notes the decision and names the next stage's ruleset and event. The trail is
written from those decisions afterwards.

The events are asserted and their actions run through durable-rules' engine module directly, synchronously, the
way `durable.engine.Ruleset` does it, rather than through `durable.lang.post` and its `Host`: that host's timer
threads can run an action on another thread while `post` is between its engine calls (seen once in 100,000
posts), `Closure.post` to another ruleset silently drops the event in 2.0.28, an action's exception is swallowed
into the ruleset's shared state, and its Python layer costs ~45 µs per event (more than the engine's matching).
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import durable_rules_engine
from durable.lang import item, m, pri, when_all

from yibao.models.checks import NEWBORN_MAX_AGE_DAYS
from yibao.rules.load import RulesetTables
from yibao.rules.records import UNGROUPED, GroupingRecord, GroupResult, GroupStatus, TrailStep

Decide = Callable[["_Run"], "tuple[_Ruleset, dict[str, Any]] | None"]
"""A rule's action: note its decision on the run; give the next stage's ruleset and event, or None when done."""
Constraint = Any
"""A durable-rules condition expression (`durable.lang.value`; the library has no type hints)."""

FACT_PREDICATES = ("pdx_in_list", "any_dx_in_list", "pproc_in_list", "any_proc_in_list", "proc_tag_combo")
"""Predicates that hold by a string in the event's `facts` array."""
CATCH_ALL = 1_000_000
"""Priority of a ruleset's catch-all rule: after every table rule (durable-rules fires the lowest first)."""
OTHERWISE = "otherwise"
"""Name of the catch-all rule of every ruleset."""
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode
"""Events to JSON for the engine (a third faster than `json.dumps` with its defaults)."""
SEX_ZH = {1: "男", 2: "女"}
SEX_EN = {1: "male", 2: "female"}
LEVEL_ZH = {"MCC": "严重并发症或合并症", "CC": "并发症或合并症"}
LEVEL_EN = {"MCC": "an MCC (major complication or comorbidity)", "CC": "a CC (complication or comorbidity)"}
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


class _Assessed(NamedTuple):
    """A secondary diagnosis found in complications.csv, judged against the principal's exclusion table."""

    code: str
    level: str
    table: str
    principal_table: str | None
    counts: bool
    """The principal has no exclusion table, or another one."""


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

    def event(self, **fields: Any) -> dict[str, Any]:
        """A new event of this record, with a unique id."""
        self.events += 1
        return {"id": f"{self.rid}.{self.events}", "rid": self.rid, **fields}


@dataclass(frozen=True)
class _Ruleset:
    """A durable-rules ruleset of this engine: its unique name, the engine's handle, and each rule's action."""

    name: str
    handle: int
    decisions: dict[str, Decide]


def _frame(ruleset: RulesetTables, name: str) -> list[dict[str, Any]]:
    return ruleset[name].to_dicts()


def _sorted(rows: Iterable[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: int(r[column]))


class RulesEngine:
    """Groups one record at a time with the ruleset's tables as durable rules, and explains the result."""

    def __init__(self, ruleset: RulesetTables) -> None:
        self.ruleset = ruleset
        self._load_tables(ruleset)
        self._index_facts(ruleset)
        self._uid = uuid.uuid4().hex
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._build_rulesets()

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
        regions: dict[str, set[str]] = defaultdict(set)
        for code in set(dx):
            found.update(self._dx_facts.get(code, ()))
            for prop, region in self._trauma_codes.get(code, ()):
                regions[prop].add(region)
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
        numbers = {"sex": record.sex or 0, "age": record.age or 0}
        if record.age_days is not None:
            numbers["age_days"] = record.age_days
        if record.birth_weight_g is not None and record.birth_weight_g > 0:  # 0 (and less) is no weight
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
        assessed = []
        for code in dict.fromkeys(dx[1:]):
            complication = self._complications.get(code)
            if complication is not None:
                level, table = complication
                counts = principal_table is None or principal_table != table
                assessed.append(_Assessed(code, level, table, principal_table, counts))
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

    def _conjunction(self, conditions: list[_Condition], first: Constraint | None = None) -> Constraint:
        """All of an owner's conditions as one constraint; with none, any event of the record (`rid` present)."""
        expression = first
        for c in conditions:
            expression = self._constraint(c) if expression is None else expression & self._constraint(c)
        return +m.rid if expression is None else expression  # `+m.id` would hang the engine

    def _build_rulesets(self) -> None:
        """The rulesets: MDC, ADRG (one per MDC) and DRG (one per MDC); one rule per table entry, and a catch-all."""
        self._mdc_stage = self._ruleset("mdc", {mdc: self._mdc_rule(mdc) for mdc in self._mdcs}, self._fail)
        self._adrg_stage: dict[str, _Ruleset] = {}
        self._drg_stage: dict[str, _Ruleset] = {}
        for mdc in self._mdcs:
            adrgs = self._adrgs[mdc]
            self._adrg_stage[mdc] = self._ruleset(
                f"adrg_{mdc}", {adrg: self._adrg_rule(mdc, adrg) for adrg in adrgs}, self._next_mdc(mdc)
            )
            drg_rules = {drg: self._drg_rule(adrg, drg, split) for adrg in adrgs for drg, split in self._drgs[adrg]}
            self._drg_stage[mdc] = self._ruleset(f"drg_{mdc}", drg_rules, self._adrg_as_drg)

    def _ruleset(self, stage: str, rules: dict[str, tuple[Constraint, Decide]], otherwise: Decide) -> _Ruleset:
        """One durable-rules ruleset: its rules fire in the order given (priority 1, 2, …), the catch-all last."""
        definition: dict[str, Any] = {}
        decisions: dict[str, Decide] = {}
        for priority, (name, (expression, decide)) in enumerate(rules.items(), start=1):
            definition[name] = when_all(pri(priority), expression).define()
            decisions[name] = decide
        definition[OTHERWISE] = when_all(pri(CATCH_ALL), +m.rid).define()
        decisions[OTHERWISE] = otherwise
        name = f"yibao_{self._uid}_{stage}"
        handle = durable_rules_engine.create_ruleset(name, json.dumps(definition, ensure_ascii=False))
        weakref.finalize(self, durable_rules_engine.delete_ruleset, handle)
        return _Ruleset(name, handle, decisions)

    def _mdc_rule(self, mdc: str) -> tuple[Constraint, Decide]:
        def enter(run: _Run) -> tuple[_Ruleset, dict[str, Any]]:
            run.entered.append(mdc)
            return self._adrg_stage[mdc], run.event(facts=run.facts.adrg_facts.get(mdc, []), **run.facts.numbers)

        return self._conjunction(self._conditions[mdc], m.after < self._mdc_rank[mdc]), enter

    def _adrg_rule(self, mdc: str, adrg: str) -> tuple[Constraint, Decide]:
        def take(run: _Run) -> tuple[_Ruleset, dict[str, Any]]:
            run.mdc, run.adrg = mdc, adrg
            return self._drg_stage[mdc], run.event(adrg=adrg, mcc=int(run.facts.mcc), cc=int(run.facts.cc))

        return self._conjunction(self._conditions[adrg]), take

    def _drg_rule(self, adrg: str, drg: str, split: str) -> tuple[Constraint, Decide]:
        def take(run: _Run) -> None:
            run.drg = drg
            run.outcomes += 1

        expression = m.adrg == adrg
        if split == "mcc":
            expression = expression & (m.mcc == 1)
        elif split == "mcc_or_cc":
            expression = expression & ((m.mcc == 1) | (m.cc == 1))
        return expression, take

    def _next_mdc(self, mdc: str) -> Decide:
        def go_on(run: _Run) -> tuple[_Ruleset, dict[str, Any]]:
            return self._mdc_stage, self._mdc_event(run, after=self._mdc_rank[mdc])

        return go_on

    @staticmethod
    def _adrg_as_drg(run: _Run) -> None:
        run.drg = run.adrg
        run.outcomes += 1

    @staticmethod
    def _fail(run: _Run) -> None:
        run.mdc = run.adrg = run.drg = None
        run.outcomes += 1

    @staticmethod
    def _mdc_event(run: _Run, after: int) -> dict[str, Any]:
        return run.event(after=after, facts=run.facts.mdc_facts, **run.facts.numbers)

    def _walk(self, run: _Run) -> None:
        """Post the record's events, each to its stage's ruleset, and run the one rule that fires for each.

        The engine calls are those of `durable.engine.Ruleset` (assert the event, start the action of its state,
        complete it), made directly and synchronously on the caller's thread."""
        stage: _Ruleset | None = self._mdc_stage
        event: dict[str, Any] | None = self._mdc_event(run, after=0)
        while stage is not None and event is not None:
            status, state = durable_rules_engine.assert_event(stage.handle, _encode(event))
            if status != 0:
                raise RuntimeError(f"durable-rules refused event {event['id']} in {stage.name} (status {status})")
            action = durable_rules_engine.start_action_for_state(stage.handle, state)
            if not action:
                raise RuntimeError(f"no rule of {stage.name} fired for event {event['id']}")
            try:
                rule = action[1].split('"', 2)[1]  # the action's message is {"<rule name>": {"m": <event>}}
                step = stage.decisions[rule](run)
            except BaseException:
                durable_rules_engine.abandon_action(stage.handle, state)
                raise
            if durable_rules_engine.complete_and_start_action(stage.handle, state):
                raise RuntimeError(f"a second action in {stage.name} for event {event['id']}")
            stage, event = step if step is not None else (None, None)

    def _pending_events(self) -> int:
        """Events left in the engine's rulesets (zero between records: every event is consumed by its rule)."""
        stages = [self._mdc_stage, *self._adrg_stage.values(), *self._drg_stage.values()]
        pending = 0
        for stage in stages:
            try:
                pending += len(json.loads(durable_rules_engine.get_events(stage.handle, "0")))
            except durable_rules_engine.error:  # no state yet: the ruleset has not seen an event
                continue
        return pending

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
        run = _Run(rid=f"r{next(self._ids)}", facts=self._facts(record))
        with self._lock:
            self._walk(run)
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
            level_zh, level_en, table, principal = LEVEL_ZH[a.level], LEVEL_EN[a.level], a.table, a.principal_table
            if principal is None:
                zh = f"次要诊断 {a.code} 为{a.level}（排除表 {table}），主要诊断无排除表，计为{level_zh}"
                en = (
                    f"secondary diagnosis {a.code} is {level_en} (exclusion table {table}); the principal diagnosis "
                    "has no exclusion table: it counts"
                )
            elif a.counts:
                zh = (
                    f"次要诊断 {a.code} 为{a.level}，其排除表 {table} 与主要诊断的排除表 {principal} 不同，"
                    f"计为{level_zh}"
                )
                en = (
                    f"secondary diagnosis {a.code} is {level_en}; its exclusion table {table} differs from the "
                    f"principal diagnosis's exclusion table {principal}: it counts"
                )
            else:
                zh = (
                    f"次要诊断 {a.code} 为{a.level}，但其排除表 {table} 与主要诊断的排除表 {principal} 相同，"
                    f"被排除，不计为{level_zh}"
                )
                en = (
                    f"secondary diagnosis {a.code} is {level_en} but is excluded: its exclusion table {table} is the "
                    f"principal diagnosis's exclusion table {principal}"
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
