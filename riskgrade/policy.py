"""The public entry points: :func:`load_policy` and :class:`Policy`.

A policy is known by its name, version and content hash, never by where its files lie: the
locations a loaded policy carries into traces and findings name each file relative to the
policy (``rules.yaml:33:5``), so two copies of a policy grade to byte-identical JSON and no
path leaks into results. Diagnostics of a policy that does not check still give full paths.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskgrade.assessment import Assessment
from riskgrade.bundled import default_policy_path
from riskgrade.check import check
from riskgrade.check.checked import CheckedPolicy
from riskgrade.check.load import Document, load_path, load_text
from riskgrade.diagnostics import Diagnostic
from riskgrade.errors import EngineError, FactError, GradeError, PolicyError
from riskgrade.facts import Enterprise
from riskgrade.grading.pipeline import (
    EngineName,
    Evaluated,
    Graded,
    check_engine,
    evaluate_unit,
    grade_unit,
    row_id,
    validate,
)
from riskgrade.grading.program import Program

if TYPE_CHECKING:
    from riskgrade.grading.columnar import GradedFrame
    from riskgrade.rules.durable_engine import DurableEngine
    from riskgrade.session import Session

__all__ = [
    "EngineName",
    "Policy",
    "default_policy_path",
    "diagnose",
    "load_policy",
    "load_policy_source",
    "policy_source",
]


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
    policy = _checked_policy(documents, problems)
    policy.source = dict(source)
    return policy


def _short_names(files: list[str]) -> dict[str, str]:
    """Each file name relative to the folder the policy's files share (a one-file policy: the
    file's own name), so a policy's locations do not depend on where it lies."""
    if len(files) == 1:
        return {files[0]: os.path.basename(files[0]) or files[0]}
    try:
        root = os.path.commonpath([os.path.dirname(f) for f in files])
        short = {f: Path(os.path.relpath(f, root or ".")).as_posix() for f in files}
    except ValueError:  # names that are not paths of one tree: keep them
        return {f: f for f in files}
    return short if len(set(short.values())) == len(files) else {f: f for f in files}


def _checked_policy(documents: list[Document], problems: list[Diagnostic]) -> Policy:
    """Check documents into a policy whose locations use :func:`_short_names`; raise
    :class:`PolicyError` (with full file names) if there is an error."""
    names = _short_names([d.file for d in documents])
    full = {short: file for file, short in names.items()}
    checked, found = (
        check([replace(d, file=names[d.file]) for d in documents]) if documents else (None, [])
    )
    problems = problems + [replace(d, file=full.get(d.file, d.file)) for d in found]
    if checked is None or any(d.severity == "error" for d in problems):
        raise PolicyError([d for d in problems if d.severity == "error"] or problems)
    return Policy(checked, warnings=[d for d in problems if d.severity == "warning"])


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
    policy = _checked_policy(documents, problems)
    policy.source = {d.file: d.text for d in documents}
    return policy


class Policy:
    """A checked policy, ready to grade enterprises (see :func:`load_policy`)."""

    def __init__(self, checked: CheckedPolicy, warnings: list[Diagnostic] | None = None) -> None:
        self.checked = checked
        self.program = Program(checked)
        """Everything built once from the checked policy for grading."""
        self.warnings = warnings or []
        self.source: dict[str, str] = {}
        """The policy's YAML texts by file name: how it travels to other processes."""

    @property
    def name(self) -> str:
        """The policy's name (its ``policy: name:``)."""
        return self.checked.header.name

    @property
    def version(self) -> str:
        """The policy's version (its ``policy: version:``)."""
        return self.checked.header.version

    @property
    def content_hash(self) -> str:
        """A hash of the policy's content: two copies of one policy share it."""
        return self.checked.content_hash

    def __repr__(self) -> str:
        return f"<Policy {self.name} {self.version} ({len(self.checked.rules)} rules)>"

    def engine(self) -> DurableEngine:
        """The durable_rules engine for this policy (built on first use)."""
        return self.program.durable()

    def validate(self, facts: Mapping[str, Any] | Enterprise) -> tuple[Enterprise, dict[str, Any]]:
        """Validate facts into the schema plus this policy's extra facts; raises FactError."""
        return validate(self.checked, facts)

    def grade(
        self,
        facts: Mapping[str, Any] | Enterprise,
        *,
        as_of: dt.date | None = None,
        engine: EngineName = "durable",
    ) -> Assessment:
        """Grade one enterprise. ``facts`` is a dict (or an :class:`Enterprise`); ``as_of`` is
        the evaluation date (default: today). Raises :class:`FactError` for bad facts.

        Safe from threads on every engine: one policy may grade from many threads at once
        (a web service), with the results one thread gets. The durable engine serialises its
        gradings with a lock (its C calls hold the GIL, so threads add no speed on any engine;
        use processes to scale). Facts dated after ``as_of`` count as not yet done (R17)."""
        return self.grade_with_facts(facts, as_of=as_of, engine=engine).assessment

    def grade_with_facts(
        self,
        facts: Mapping[str, Any] | Enterprise,
        *,
        as_of: dt.date | None = None,
        engine: EngineName = "durable",
    ) -> Graded:
        """:meth:`grade`, also returning the facts the unit was graded on, the policy's derived
        facts included (supervision reads ``high_risk`` there)."""
        check_engine(engine)
        enterprise, extras = self.validate(facts)
        return grade_unit(self.program, enterprise, extras, as_of or dt.date.today(), engine)

    def evaluate(
        self, facts: Mapping[str, Any] | Enterprise, as_of: dt.date, engine: EngineName
    ) -> Evaluated:
        """Validate and evaluate, before scoring: the facts the rules saw, their findings
        (waivers applied), the rule trace and the unit's waivers."""
        check_engine(engine)
        enterprise, extras = self.validate(facts)
        return evaluate_unit(self.program, enterprise, extras, as_of, engine)

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
        from riskgrade.session import Session  # on first use: sessions need sqlite3

        return Session(self, path, as_of=as_of, engine=engine)

    def grade_frame(self, table: Any, *, as_of: dt.date | None = None) -> GradedFrame:
        """Grade a whole table at once on the columnar engine: the API for data teams.

        ``table`` is a Polars, pandas or Arrow table of facts, one unit per row, columns named
        as the fact schema (or its Chinese headers); nested hazards, buildings and lifts are
        list columns of records. Returns ``.results`` (one row per valid input row: ``index``,
        the columns of a ``riskgrade grade`` CSV result, ``band_level``, ``overrides``) and
        ``.failed`` (``index``, ``id``, ``errors``: every bad field)::

            import polars as pl
            graded = policy.grade_frame(pl.read_parquet("units.parquet"), as_of=date(2026, 11, 28))
            graded.results.filter(pl.col("risk_level") == "red")

        Results equal :meth:`grade`'s, unit for unit, and failed rows name the fields
        :meth:`grade` would (differential tests hold both). Validation, evaluation, scoring and
        countermeasures all run over the whole table."""
        from riskgrade.grading.columnar import grade_frame

        return grade_frame(self.program, table, as_of or dt.date.today(), self.validate)

    def grade_many(
        self,
        rows: Iterable[Mapping[str, Any] | Enterprise],
        *,
        as_of: dt.date | None = None,
        engine: EngineName = "columnar",
    ) -> Iterator[Assessment | GradeError]:
        """Grade rows lazily, in input order: one :class:`Assessment` or one
        :class:`GradeError` (returned, not raised) per row, so nothing is dropped.

        By default (the columnar engine) the first row is graded on its own, then each chunk
        of 20,000 rows is validated and graded as one table, and each assessment builds its
        score, findings, recommendations, trace and waivers when one is first read (same
        values, same ``model_dump``): reading only levels and grades costs little more than
        the table. Rows are copied as they are read (with their lists of items and the
        items' dicts), so a source may reuse them and a caller may change them afterwards; an
        assessment not yet built keeps its row's copy and its chunk's rule outcomes. If the
        source raises an ``Exception``, the rows it gave first are graded and yielded, then it
        is raised. A unit with text that is not UTF-8 (a lone surrogate) has no columnar form:
        it is graded on the compiled engine, and its assessment says so.
        ``engine="compiled"``, ``"python"`` or ``"durable"`` grade row by row."""
        when = as_of or dt.date.today()
        if engine == "columnar":
            from riskgrade.grading.columnar_many import grade_rows

            yield from grade_rows(self, rows, when)
            return
        for index, row in enumerate(rows):
            try:
                yield self.grade(row, as_of=when, engine=engine)
            except FactError as exc:
                yield GradeError(index, exc.entity_id or row_id(row), exc.errors, exc)
            except EngineError as exc:
                yield GradeError(index, row_id(row), [("(engine)", str(exc))], exc)
