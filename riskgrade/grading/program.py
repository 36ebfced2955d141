"""A checked policy made ready to grade: everything computed once per policy, in one object.

The checked policy (:class:`~riskgrade.check.checked.CheckedPolicy`) is the frozen output of the
check stage and holds no caches. Whatever grading builds from it to go fast lives here: the
rule conditions and derived facts as closures (the compiled path), the same shape interpreted
(the reference path), the durable_rules engine, closures of scoring and countermeasure
conditions, the legal-basis texts, and the parts of every finding and recommendation that do
not depend on the unit. Parts are built on first use, so a policy that is only checked or only
documented pays for none of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from riskgrade.check.checked import CheckedPolicy, CheckedRule
from riskgrade.i18n import BASIS_SEPARATORS
from riskgrade.rules.closures import Compiled, compile_expr
from riskgrade.rules.expr import Node
from riskgrade.rules.interpret import evaluate

if TYPE_CHECKING:
    from riskgrade.rules.durable_engine import DurableEngine

T = TypeVar("T")
Triggers = dict[str, tuple[tuple[str, Node | None], ...]]
"""Each rule or override id -> its countermeasures, with their extra condition (None: always)."""


KEPT = 64
"""Most values :meth:`Program.kept` keeps (a few stages for each date graded)."""


@dataclass(frozen=True)
class CompiledPath:
    """The policy's derived facts and rule conditions as functions of the facts: closures
    (``engine="compiled"``, see rules/closures.py) or interpretation (``engine="python"``)."""

    derived: tuple[tuple[str, tuple[tuple[Compiled, Compiled], ...]], ...]
    rules: tuple[Compiled, ...]

    @classmethod
    def build(cls, policy: CheckedPolicy) -> CompiledPath:
        """Every expression compiled to a closure."""
        derived = tuple(
            (d.name, tuple((compile_expr(w), compile_expr(v)) for w, v in d.cases))
            for d in policy.derived
        )
        return cls(derived, tuple(compile_expr(rule.condition) for rule in policy.rules))

    @classmethod
    def interpreted(cls, policy: CheckedPolicy) -> CompiledPath:
        """The same shape, evaluating by interpretation (the reference path)."""
        derived = tuple(
            (d.name, tuple((partial(evaluate, w), partial(evaluate, v)) for w, v in d.cases))
            for d in policy.derived
        )
        return cls(derived, tuple(partial(evaluate, rule.condition) for rule in policy.rules))


class Program:
    """Everything grading needs from one checked policy, built once (parts on first use).

    >>> import riskgrade
    >>> program = riskgrade.load_policy().program
    >>> program.basis_text(["law_24"])
    '《安全生产法》第二十四条'
    """

    def __init__(self, policy: CheckedPolicy) -> None:
        self.policy = policy
        self.triggers: Triggers = {r.rule.id: r.triggers for r in policy.rules}
        self.triggers.update({o.override.id: o.triggers for o in policy.overrides})
        self.catalogue_order: dict[str, int] = {rec: i for i, rec in enumerate(policy.catalogue)}
        self._compiled: CompiledPath | None = None
        self._interpreted: CompiledPath | None = None
        self._durable: DurableEngine | None = None
        self._lock = threading.Lock()
        self._closures: dict[int, tuple[Node, Compiled]] = {}
        self._basis_texts: dict[tuple[tuple[str, ...], str], str] = {}
        self._findings: dict[str, tuple[dict[str, Any], list[str]]] = {}
        self._recommendations: dict[str, dict[str, Any]] = {}
        self._kept: dict[Hashable, Any] = {}

    @property
    def compiled(self) -> CompiledPath:
        """Derived facts and rule conditions as closures (the fast path)."""
        if self._compiled is None:
            self._compiled = CompiledPath.build(self.policy)
        return self._compiled

    @property
    def interpreted(self) -> CompiledPath:
        """Derived facts and rule conditions interpreted (the reference path)."""
        if self._interpreted is None:
            self._interpreted = CompiledPath.interpreted(self.policy)
        return self._interpreted

    def durable(self) -> DurableEngine:
        """The durable_rules engine for this policy (built on first use)."""
        with self._lock:
            if self._durable is None:
                from riskgrade.rules.durable_engine import DurableEngine

                conditions = [rule.condition for rule in self.policy.rules]
                label = f"{self.policy.header.name}_{self.policy.content_hash[:8]}"
                self._durable = DurableEngine.for_conditions(conditions, label)
            return self._durable

    def kept(self, key: Hashable, build: Callable[[], T]) -> T:
        """``build()``'s value, built once for ``key`` (the columnar engine keeps its Polars
        expressions here, per stage and date: building them cost more than grading a table
        of a thousand units). Two threads may both build it; either value serves. At most
        :data:`KEPT` values are kept; then the oldest go."""
        try:
            return self._kept[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        value = build()
        with self._lock:
            if len(self._kept) >= KEPT:
                for old in list(self._kept)[: KEPT // 2]:
                    del self._kept[old]
            self._kept[key] = value
        return value

    def closure(self, node: Node) -> Compiled:
        """``node`` (a scoring or countermeasure condition) compiled to a closure once."""
        known = self._closures.get(id(node))
        if known is None or known[0] is not node:  # the node is kept, so its id stays its own
            known = self._closures[id(node)] = (node, compile_expr(node))
        return known[1]

    def basis_text(self, ids: Iterable[str], lang: str = "zh") -> str:
        """The legal bases' text joined for reading (Chinese by default)."""
        key = (tuple(ids), lang)
        text = self._basis_texts.get(key)
        if text is None:
            text = BASIS_SEPARATORS[lang].join(getattr(self.policy.bases[b], lang) for b in key[0])
            self._basis_texts[key] = text
        return text

    def finding_fields(self, rule: CheckedRule) -> tuple[dict[str, Any], list[str]]:
        """What every finding of ``rule`` shares, and the facts it shows as evidence."""
        known = self._findings.get(rule.rule.id)
        if known is None:
            spec = rule.rule
            shared = {
                "rule": spec.id,
                "duty": spec.duty,
                "basis": self.basis_text(spec.basis),
                "source": str(rule.location),
            }
            known = self._findings[spec.id] = (shared, spec.evidence or sorted(rule.reads))
        return known

    def recommendation_fields(self, rec_id: str) -> dict[str, Any]:
        """The fields of a countermeasure that do not depend on its causes."""
        shared = self._recommendations.get(rec_id)
        if shared is None:
            entry = self.policy.catalogue[rec_id]
            shared = self._recommendations[rec_id] = {
                "id": rec_id,
                "priority": entry.priority,
                "deadline_days": entry.deadline_days,
                "responsible": entry.responsible,
                "title": entry.title.zh,
                "titles": {"zh": entry.title.zh, "en": entry.title.en},
                "message": entry.text.zh,
                "messages": {"zh": entry.text.zh, "en": entry.text.en},
                "basis": self.basis_text(entry.basis),
            }
        return shared
