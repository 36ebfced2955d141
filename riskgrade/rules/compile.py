"""Stage 4, compile: checked rule conditions -> durable_rules ruleset definitions (plain data).

Each condition ``c`` becomes two engine rules over one flat fact per enterprise: ``T(c)``
(certainly true) and ``U(c)`` (undecided for missing facts), built with Kleene's logic so that
"false" is simply "neither fired". Every disjunction is emitted with mutually exclusive branches,
because durable_rules runs an action once per satisfied ``$or`` branch.

Fact layout: ``v_<name>`` holds a known value (dates as ordinal days) and ``k_<name>`` is 1 when
the value is known, 0 when not; missing values are never sent. The engine's ``$nex``/``$ex``
are avoided: ``$or`` over ``$nex`` hangs durable_rules 2.0.28. Operands the engine cannot
compare natively (aggregates, arithmetic, function calls) are computed in Python before the
fact is asserted and sent as *slots* ``s<n>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from riskgrade.rules.expr import BoolOp, Compare, Const, In, Name, Node, Not
from riskgrade.rules.interpret import evaluate

MAX_ALPHA_TESTS = 60
MAX_PROPERTIES = 200
"""Fact properties one ruleset may read: durable_rules refuses a fact with more than ~252
(error 302), so each ruleset is sent only the properties it reads, at most this many."""
MAX_NESTED_COST = 30
FALLBACK_COSTS = (MAX_NESTED_COST, 16, 0)
"""Limits tried in turn when the engine refuses a rule as too large (error 113)."""
MAX_SIBLINGS = 64
SEEN = "seen"

Formula = tuple[Any, ...]  # ("true",) | ("false",) | ("atom", dict) | ("and"|"or", [Formula])
TRUE: Formula = ("true",)
FALSE: Formula = ("false",)

_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@dataclass
class DurableProgram:
    """What the durable adapter needs: ruleset definitions and how to read their firings."""

    rulesets: list[dict[str, Any]]
    leaves: list[str]
    slots: list[tuple[str, Node]]
    outcomes: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Engine rule name -> (policy rule index, "true" | "unknown")."""
    reads: list[frozenset[str]] = field(default_factory=list)
    """For each ruleset, the fact properties (``k_*``, ``v_*``) its rules read."""


def _and(parts: list[Formula]) -> Formula:
    flat: list[Formula] = []
    for part in parts:
        if part == FALSE:
            return FALSE
        if part == TRUE:
            continue
        flat.extend(part[1] if part[0] == "and" else [part])
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else ("and", flat)


def _or(parts: list[Formula]) -> Formula:
    """A disjunction; callers guarantee the parts are mutually exclusive."""
    flat: list[Formula] = []
    for part in parts:
        if part == TRUE:
            return TRUE
        if part == FALSE:
            continue
        flat.extend(part[1] if part[0] == "or" else [part])
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else ("or", flat)


@dataclass(frozen=True)
class _Three:
    true: Formula
    false: Formula
    unknown: Formula


class _Compiler:
    def __init__(self) -> None:
        self.leaves: dict[str, None] = {}
        self.slots: dict[Node, str] = {}

    def slot(self, node: Node) -> str:
        if node not in self.slots:
            self.slots[node] = f"s{len(self.slots)}"
        name = self.slots[node]
        self.leaves[name] = None
        return name

    def operand(self, node: Node) -> tuple[str, Any]:
        """("const", value) or ("field", leaf name)."""
        if isinstance(node, Const):
            return "const", node.value
        if isinstance(node, Name):
            self.leaves[node.name] = None
            return "field", node.name
        return "field", self.slot(node)

    def known(self, leaf: str, value: int) -> Formula:
        return ("atom", {f"k_{leaf}": value})

    def unknown_of(self, leaves: list[str]) -> Formula:
        parts: list[Formula] = []
        prefix: list[Formula] = []
        for leaf in leaves:
            parts.append(_and([*prefix, self.known(leaf, 0)]))
            prefix.append(self.known(leaf, 1))
        return _or(parts)

    def compare(self, op: str, leaf: str, other: tuple[str, Any]) -> Formula:
        kind, value = other
        rhs = {"$m": f"v_{value}"} if kind == "field" else _wire(value)
        if op == "==":
            return ("atom", {f"v_{leaf}": rhs})
        return ("atom", {_OPS[op]: {f"v_{leaf}": rhs}})

    def three(self, node: Node) -> _Three:
        if isinstance(node, Const):
            if node.value is None:
                return _Three(FALSE, FALSE, TRUE)
            return _Three(TRUE, FALSE, FALSE) if node.value else _Three(FALSE, TRUE, FALSE)
        if isinstance(node, Not):
            inner = self.three(node.operand)
            return _Three(inner.false, inner.true, inner.unknown)
        if isinstance(node, BoolOp):
            return self.bool_op(node.op, list(node.operands))
        if isinstance(node, Compare):
            return self.comparison(node)
        if isinstance(node, In):
            kind, leaf = self.operand(node.operand)
            if kind == "const":
                return self.constant(evaluate(node, {}))
            values = list(dict.fromkeys(option.value for option in node.options))
            hits = _or([("atom", {f"v_{leaf}": _wire(v)}) for v in values])
            misses = _and([("atom", {"$neq": {f"v_{leaf}": _wire(v)}}) for v in values])
            true, false = (misses, hits) if node.negated else (hits, misses)
            return _Three(true, false, self.known(leaf, 0))
        # A bool fact, or a bool-valued call computed in Python.
        kind, leaf = self.operand(node)
        return _Three(
            ("atom", {f"v_{leaf}": True}), ("atom", {f"v_{leaf}": False}), self.known(leaf, 0)
        )

    def constant(self, value: Any) -> _Three:
        if value is None:
            return _Three(FALSE, FALSE, TRUE)
        return _Three(TRUE, FALSE, FALSE) if value else _Three(FALSE, TRUE, FALSE)

    def comparison(self, node: Compare) -> _Three:
        left, right = node.left, node.right
        if _is_null(left) or _is_null(right):
            other = right if _is_null(left) else left
            kind, leaf = self.operand(other)
            if kind == "const":
                return self.constant(evaluate(node, {}))
            missing, present = self.known(leaf, 0), self.known(leaf, 1)
            if node.op == "==":
                return _Three(missing, present, FALSE)
            return _Three(present, missing, FALSE)
        lhs, rhs = self.operand(left), self.operand(right)
        op = node.op
        if lhs[0] == "const" and rhs[0] == "const":
            return self.constant(evaluate(node, {}))
        if lhs[0] == "const":
            lhs, rhs, op = rhs, lhs, _FLIP[op]  # type: ignore[assignment]
        leaf = lhs[1]
        fields = [leaf] + ([rhs[1]] if rhs[0] == "field" else [])
        # A reference to a missing field compares as if present: guard it explicitly.
        guard = [self.known(rhs[1], 1)] if rhs[0] == "field" else []
        return _Three(
            _and([*guard, self.compare(op, leaf, rhs)]),
            _and([*guard, self.compare(_NEGATE[op], leaf, rhs)]),
            self.unknown_of(fields),
        )

    def bool_op(self, op: str, operands: list[Node]) -> _Three:
        first = self.three(operands[0])
        if len(operands) == 1:
            return first
        rest = self.bool_op(op, operands[1:])
        if op == "and":
            return _Three(
                true=_and([first.true, rest.true]),
                false=_or([first.false, _and([_or([first.true, first.unknown]), rest.false])]),
                unknown=_or(
                    [
                        _and([first.unknown, _or([rest.true, rest.unknown])]),
                        _and([first.true, rest.unknown]),
                    ]
                ),
            )
        return _Three(
            true=_or([first.true, _and([_or([first.false, first.unknown]), rest.true])]),
            false=_and([first.false, rest.false]),
            unknown=_or(
                [
                    _and([first.unknown, _or([rest.false, rest.unknown])]),
                    _and([first.false, rest.unknown]),
                ]
            ),
        )


def _is_null(node: Node) -> bool:
    return isinstance(node, Const) and node.value is None


def _wire(value: Any) -> Any:
    """A constant as the engine sees it (dates as ordinal days)."""
    if hasattr(value, "toordinal"):
        return value.toordinal()
    return value


def to_durable(formula: Formula) -> dict[str, Any]:
    """A formula as a durable_rules condition: atoms as they are, and/or as ``$and``/``$or``,
    and true as ``rg == 1``, which every fact asserted has."""
    kind = formula[0]
    if kind == "true":
        return {"rg": 1}
    if kind == "atom":
        return formula[1]  # type: ignore[no-any-return]
    return {f"${kind}": [to_durable(part) for part in formula[1]]}


def compile_durable(conditions: list[Node], max_cost: int | None = None) -> DurableProgram:
    """Compile rule conditions (in policy order) to durable_rules ruleset definitions.

    A formula whose top is a disjunction becomes one engine rule per (exclusive) branch.
    durable_rules allows about 31 nested expressions per rule (error 113) and hangs on wide
    sibling lists; a condition too large for that is computed in Python instead and sent to
    the engine as a three-valued slot.
    """
    limit = MAX_NESTED_COST if max_cost is None else max_cost
    compiler = _Compiler()
    definitions: list[tuple[str, dict[str, Any], int, str]] = []
    for index, condition in enumerate(conditions):
        three = compiler.three(condition)
        parts = {
            outcome: _branches(f)
            for outcome, f in (("true", three.true), ("unknown", three.unknown))
        }
        if any(
            _cost(p) > limit or _widest_or(p) > MAX_SIBLINGS for ps in parts.values() for p in ps
        ):
            leaf = compiler.slot(condition)
            parts = {
                "true": [("atom", {f"v_{leaf}": True})],
                "unknown": [compiler.known(leaf, 0)],
            }
        for outcome, branches in parts.items():
            for j, branch in enumerate(branches):
                name = f"r{index}_{outcome[0]}{j}"
                condition_json = to_durable(_and([("atom", {"rg": 1}), branch]))
                definitions.append((name, condition_json, index, outcome))
    program = DurableProgram(
        rulesets=[],
        leaves=list(compiler.leaves),
        slots=[(name, node) for node, name in compiler.slots.items()],
    )
    # durable_rules refuses a fact that passes more than 64 alpha tests (error 303) or has
    # more than ~252 properties (error 302). Each ruleset gets at most MAX_ALPHA_TESTS
    # distinct tests and reads at most MAX_PROPERTIES properties, and is sent only those.
    ruleset: dict[str, Any] = {}
    tests: set[str] = set()
    reads: set[str] = set()
    for name, condition_json, index, outcome in definitions:
        atoms, used = _atoms(condition_json), _properties(condition_json)
        if ruleset and (len(tests | atoms) > MAX_ALPHA_TESTS or len(reads | used) > MAX_PROPERTIES):
            program.rulesets.append(ruleset)
            program.reads.append(frozenset(reads))
            ruleset, tests, reads = {}, set(), set()
        if not ruleset:
            ruleset[SEEN] = {"all": [{"m": {"rg": 1}}]}
        tests |= atoms
        reads |= used
        ruleset[name] = {"all": [{"m": condition_json}]}
        program.outcomes[name] = (index, outcome)
    if ruleset or not program.rulesets:
        program.rulesets.append(ruleset or {SEEN: {"all": [{"m": {"rg": 1}}]}})
        program.reads.append(frozenset(reads))
    return program


def _properties(condition: Any) -> set[str]:
    """The fact properties a condition reads (keys and ``$m`` references named k_/v_)."""
    found: set[str] = set()
    stack = [condition]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                if key.startswith(("k_", "v_")):
                    found.add(key)
                if key == "$m" and isinstance(value, str) and value.startswith(("k_", "v_")):
                    found.add(value)
                stack.append(value)
        elif isinstance(current, list):
            stack.extend(current)
    return found


def _atoms(condition: dict[str, Any]) -> set[str]:
    """The distinct engine tests in a condition, as canonical JSON."""
    found: set[str] = set()
    stack = [condition]
    while stack:
        current = stack.pop()
        key = next(iter(current))
        if key in ("$and", "$or"):
            stack.extend(current[key])
        else:
            found.add(json.dumps(current, sort_keys=True))
    return found


def _branches(formula: Formula) -> list[Formula]:
    if formula == FALSE:
        return []
    return list(formula[1]) if formula[0] == "or" else [formula]


def _cost(formula: Formula) -> int:
    """Nested expressions the engine must hold for one rule (atoms at the top level are free)."""

    def nodes(f: Formula) -> int:
        return 1 + sum(nodes(part) for part in f[1]) if f[0] in ("and", "or") else 1

    if formula[0] == "and":
        return sum(nodes(part) - 1 if part[0] == "atom" else nodes(part) for part in formula[1])
    return nodes(formula) - 1 if formula[0] == "atom" else nodes(formula)


def _widest_or(formula: Formula) -> int:
    if formula[0] in ("and", "or"):
        own = len(formula[1]) if formula[0] == "or" else 0
        return max([own, *(_widest_or(part) for part in formula[1])])
    return 0


__all__ = ["DurableProgram", "compile_durable"]
