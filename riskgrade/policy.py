"""The public entry points: :func:`load_policy` and :class:`Policy`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from riskgrade.assessment import Assessment, Finding, TraceEvent, WaiverNote
from riskgrade.check import check
from riskgrade.check.checked import CheckedPolicy
from riskgrade.check.load import Document, load_path, load_text
from riskgrade.diagnostics import Diagnostic
from riskgrade.errors import EngineError, FactError, GradeError, PolicyError
from riskgrade.facts import Enterprise, _iso_date, parse_enterprise
from riskgrade.grading.evaluate import (
    ENGINES,
    CompiledPath,
    environment,
    evaluate_compiled,
    evaluate_durable,
    evaluate_python,
)
from riskgrade.grading.findings import apply_waivers, order_findings, rule_findings
from riskgrade.grading.recommend import recommend
from riskgrade.grading.score import grade as score

if TYPE_CHECKING:
    from riskgrade.session import Session

EngineName = Literal["durable", "compiled", "python"]


def default_policy_path() -> Path:
    """Where the bundled default policy lives (inside the installed package)."""
    return Path(str(resources.files("riskgrade") / "policies" / "default"))


def policy_source(path: str | Path | None = None) -> dict[str, str]:
    """A policy's YAML files as ``{file name: text}``: the form in which a policy travels to
    worker processes and cluster nodes (a loaded policy holds an engine, which cannot be
    pickled)."""
    root = default_policy_path() if path is None else Path(path)
    files = (
        sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml"))
        if root.is_dir()
        else [root]
    )
    return {str(f): f.read_text(encoding="utf-8") for f in files}


def load_policy_source(source: Mapping[str, str]) -> Policy:
    """Load a policy from :func:`policy_source` output, checked exactly as from files."""
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    for name, text in sorted(source.items()):
        document, found = load_text(text, name)
        problems.extend(found)
        if document is not None:
            documents.append(document)
    checked, more = check(documents) if documents else (None, [])
    problems += more
    if checked is None or any(d.severity == "error" for d in problems):
        raise PolicyError([d for d in problems if d.severity == "error"] or problems)
    policy = Policy(checked, warnings=[d for d in problems if d.severity == "warning"])
    policy.source = dict(source)
    return policy


def diagnose(path: str | Path | None = None) -> list[Diagnostic]:
    """Every diagnostic for a policy (errors and warnings), without raising."""
    documents, problems = load_path(default_policy_path() if path is None else path)
    _, found = check(documents) if documents else (None, [])
    return sorted(problems + found, key=lambda d: d.sort_key)


def load_policy(path: str | Path | None = None) -> Policy:
    """Load, check and compile a policy: a YAML file or a folder of YAML files.

    With no argument, the bundled default policy. Raises :class:`PolicyError` holding every
    problem found, each located as ``file:line:col``::

        policy = riskgrade.load_policy()
        assessment = policy.grade({"id": "u1", "industry": "retail", "employees": 8})
    """
    documents, problems = load_path(default_policy_path() if path is None else path)
    checked, found = check(documents) if documents else (None, [])
    problems = problems + found
    if checked is None or any(d.severity == "error" for d in problems):
        raise PolicyError([d for d in problems if d.severity == "error"] or problems)
    policy = Policy(checked, warnings=[d for d in problems if d.severity == "warning"])
    policy.source = {d.file: d.text for d in documents}
    return policy


class Policy:
    """A checked policy, ready to grade enterprises."""

    def __init__(self, checked: CheckedPolicy, warnings: list[Diagnostic] | None = None) -> None:
        self.checked = checked
        self.warnings = warnings or []
        self._engine: Any = None
        self._compiled: CompiledPath | None = None
        self.source: dict[str, str] = {}
        """The policy's YAML texts by file name: how it travels to other processes."""

    @property
    def name(self) -> str:
        return self.checked.header.name

    @property
    def version(self) -> str:
        return self.checked.header.version

    @property
    def content_hash(self) -> str:
        return self.checked.content_hash

    def __repr__(self) -> str:
        return f"<Policy {self.name} {self.version} ({len(self.checked.rules)} rules)>"

    def engine(self) -> Any:
        """The durable_rules engine for this policy (built on first use)."""
        if self._engine is None:
            from riskgrade.rules.durable_engine import DurableEngine

            conditions = [rule.condition for rule in self.checked.rules]
            label = f"{self.name}_{self.content_hash[:8]}"
            self._engine = DurableEngine.for_conditions(conditions, label)
        return self._engine

    def validate(self, facts: Mapping[str, Any] | Enterprise) -> tuple[Enterprise, dict[str, Any]]:
        """Validate facts into the schema plus this policy's extra facts; raises FactError."""
        if isinstance(facts, Enterprise):
            return facts, {}
        if not isinstance(facts, Mapping):
            raise FactError([("(enterprise)", f"expected a mapping, got {type(facts).__name__}")])
        extras_decl = self.checked.extra_facts
        base = {k: v for k, v in facts.items() if k not in extras_decl}
        errors: list[tuple[str, str]] = []
        extras: dict[str, Any] = {}
        for name, decl in extras_decl.items():
            value = facts.get(name)
            try:
                extras[name] = _extra_value(value, decl.type, decl.values)
            except ValueError as exc:
                errors.append((name, str(exc)))
        try:
            enterprise = parse_enterprise(dict(base))
        except FactError as exc:
            raise FactError(exc.errors + errors, exc.entity_id) from exc
        if errors:
            raise FactError(errors, enterprise.id)
        return enterprise, extras

    def grade(
        self,
        facts: Mapping[str, Any] | Enterprise,
        *,
        as_of: dt.date | None = None,
        engine: EngineName = "durable",
        extras: Mapping[str, Any] | None = None,
    ) -> Assessment:
        """Grade one enterprise. ``facts`` is a dict (or an :class:`Enterprise`); ``as_of`` is
        the evaluation date (default: today). Raises :class:`FactError` for bad facts.

        ``extras`` are the policy's extra facts of an :class:`Enterprise` already validated by
        :meth:`validate` (which returns both), so that it is not validated twice."""
        return self.grade_with_facts(facts, as_of=as_of, engine=engine, extras=extras)[0]

    def grade_with_facts(
        self,
        facts: Mapping[str, Any] | Enterprise,
        *,
        as_of: dt.date | None = None,
        engine: EngineName = "durable",
        extras: Mapping[str, Any] | None = None,
    ) -> tuple[Assessment, dict[str, Any]]:
        """:meth:`grade`, also returning the facts the unit was graded on, the policy's derived
        facts included (supervision reads ``high_risk`` there)."""
        when = as_of or dt.date.today()
        enterprise, env, findings, trace, waivers = self.evaluate(facts, when, engine, extras)
        grades = score(self.checked, env, findings)
        findings = order_findings(self.checked, findings + grades.findings)
        assessment = Assessment.trusted(
            entity_id=enterprise.id,
            name=enterprise.name,
            as_of=when,
            risk_level=grades.risk_level,
            duty_grade=grades.duty_grade,
            score=grades.score,
            findings=findings,
            recommendations=recommend(self.checked, findings, grades.risk_level, env, grades.env),
            trace=trace + grades.trace,
            waivers=waivers,
            policy_name=self.name,
            policy_version=self.version,
            policy_hash=self.content_hash,
            engine=engine,
        )
        return assessment, env

    def evaluate(
        self,
        facts: Mapping[str, Any] | Enterprise,
        as_of: dt.date,
        engine: EngineName,
        extras: Mapping[str, Any] | None = None,
    ) -> tuple[Enterprise, dict[str, Any], list[Finding], list[TraceEvent], list[WaiverNote]]:
        """Validate and evaluate, before scoring: the facts the rules saw, their findings
        (waivers applied), the rule trace and the unit's waivers."""
        if engine not in ENGINES:
            raise EngineError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        enterprise, found = self.validate(facts)
        if extras is not None and isinstance(facts, Enterprise):
            found = dict(extras)
        extras = found
        if engine == "python":  # the reference: everything interpreted
            env = environment(self.checked, enterprise, extras, as_of)
            evaluation = evaluate_python(self.checked, env)
        else:  # derived facts by closures (proven equal to the interpreter); rules by engine
            if self._compiled is None:
                self._compiled = CompiledPath.build(self.checked)
            env = environment(self.checked, enterprise, extras, as_of, self._compiled)
            if engine == "durable":
                evaluation = evaluate_durable(self.engine(), self.checked, env)
            else:
                evaluation = evaluate_compiled(self._compiled, env)
        findings, trace = rule_findings(self.checked, evaluation)
        findings, waivers = apply_waivers(self.checked, enterprise.id, findings, as_of)
        return enterprise, env, findings, trace, waivers

    def session(
        self,
        path: str | Path | None = None,
        *,
        as_of: dt.date | None = None,
        engine: EngineName = "durable",
    ) -> Session:
        """A live re-grading session (:mod:`riskgrade.session`), saved to the SQLite file
        ``path`` if given (reopening it restores every unit); ``as_of`` defaults to the date
        saved in the file, else today."""
        from riskgrade.session import Session

        return Session(self, path, as_of=as_of, engine=engine)

    def grade_many(
        self,
        rows: Iterable[Mapping[str, Any] | Enterprise],
        *,
        as_of: dt.date | None = None,
        engine: EngineName = "compiled",
    ) -> Iterator[Assessment | GradeError]:
        """Grade rows lazily, in input order: one :class:`Assessment` or one
        :class:`GradeError` (returned, not raised) per row, so nothing is dropped. Batch work
        uses the compiled fast path by default; ``engine="durable"`` runs durable_rules."""
        when = as_of or dt.date.today()
        for index, row in enumerate(rows):
            try:
                yield self.grade(row, as_of=when, engine=engine)
            except FactError as exc:
                yield GradeError(index, exc.entity_id or _row_id(row), exc.errors, exc)
            except EngineError as exc:
                yield GradeError(index, _row_id(row), [("(engine)", str(exc))], exc)


def _row_id(row: Any) -> str | None:
    if isinstance(row, Enterprise):
        return row.id
    if isinstance(row, Mapping):
        value = row.get("id")
        return value if isinstance(value, str) else None
    return None


def _extra_value(value: Any, kind: str, values: list[str] | None) -> Any:
    if value is None:
        return None
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if kind in ("int", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {value!r}")
        if kind == "int" and not float(value).is_integer():
            raise ValueError(f"expected a whole number, got {value!r}")
        return value
    if kind == "date":
        return _iso_date(value)
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    if kind == "enum" and values is not None and value not in values:
        raise ValueError(f"expected one of {', '.join(values)}, got {value!r}")
    return value
