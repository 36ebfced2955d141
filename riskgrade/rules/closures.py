"""The compiled fast path: each checked expression becomes a tree of Python closures.

Built from riskgrade's own syntax tree (never from policy text, and without ``eval``/``exec``),
with exactly the three-valued semantics of :mod:`riskgrade.rules.interpret`, which a
differential property test holds it to. It skips the per-node dispatch of the interpreter.
"""

from __future__ import annotations

import datetime as dt
from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any

from riskgrade.rules.expr import Arith, BoolOp, Call, Compare, Const, In, Name, Neg, Node, Not
from riskgrade.rules.interpret import COMPARE
from riskgrade.rules.typecheck import AS_OF

Env = Mapping[str, Any]
Compiled = Callable[[Env], Any]


def compile_expr(node: Node) -> Compiled:
    """A function of the facts that computes ``node`` (``None`` where unknown)."""
    if isinstance(node, Const):
        value = node.value
        return lambda env: value
    if isinstance(node, Name):
        name = node.name
        return lambda env: env.get(name)
    if isinstance(node, BoolOp):
        return _bool_op(node)
    if isinstance(node, Not):
        inner = compile_expr(node.operand)

        def negate(env: Env) -> Any:
            value = inner(env)
            return None if value is None else not value

        return negate
    if isinstance(node, Compare):
        return _compare(node)
    if isinstance(node, In):
        return _in(node)
    if isinstance(node, Arith):
        return _arith(node)
    if isinstance(node, Neg):
        inner = compile_expr(node.operand)
        return lambda env: None if (v := inner(env)) is None else -v
    return _call(node)


def _bool_op(node: BoolOp) -> Compiled:
    parts = [compile_expr(operand) for operand in node.operands]
    decisive = node.op == "or"

    def combine(env: Env) -> Any:
        unknown = False
        for part in parts:
            value = part(env)
            if value is None:
                unknown = True
            elif bool(value) is decisive:
                return decisive
        return None if unknown else not decisive

    return combine


def _is_null(node: Node) -> bool:
    return isinstance(node, Const) and node.value is None


def _compare(node: Compare) -> Compiled:
    if _is_null(node.left) or _is_null(node.right):
        other = compile_expr(node.left if _is_null(node.right) else node.right)
        if node.op == "==":
            return lambda env: other(env) is None
        return lambda env: other(env) is not None
    left, right, op = compile_expr(node.left), compile_expr(node.right), COMPARE[node.op]
    if isinstance(node.right, Const):  # the common case: a fact against a number
        constant = node.right.value

        def against_constant(env: Env) -> Any:
            value = left(env)
            return None if value is None else op(value, constant)

        return against_constant

    def compare(env: Env) -> Any:
        a, b = left(env), right(env)
        if a is None or b is None:
            return None
        return op(a, b)

    return compare


def _in(node: In) -> Compiled:
    operand = compile_expr(node.operand)
    options = [option.value for option in node.options]
    negated = node.negated

    def member(env: Env) -> Any:
        value = operand(env)
        if value is None:
            return None
        found = any(value == option for option in options)
        return not found if negated else found

    return member


def _arith(node: Arith) -> Compiled:
    left, right, op = compile_expr(node.left), compile_expr(node.right), node.op

    def arith(env: Env) -> Any:
        a, b = left(env), right(env)
        if a is None or b is None:
            return None
        if isinstance(a, dt.date):
            if isinstance(b, dt.date):
                return (a - b).days
            days = dt.timedelta(days=b)
            return a + days if op == "+" else a - days
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        return None if b == 0 else a / b

    return arith


def _call(node: Call) -> Compiled:
    func = node.func
    args = [compile_expr(arg) for arg in node.args]
    if func == "known":
        return lambda env: args[0](env) is not None
    if func == "date":
        return lambda env: dt.date.fromisoformat(str(args[0](env)))
    if func == "year":
        return lambda env: None if (v := args[0](env)) is None else v.year
    if func == "days_since":
        return lambda env: None if (v := args[0](env)) is None else (env[AS_OF] - v).days
    if func in ("min", "max"):
        pick = min if func == "min" else max

        def extreme(env: Env) -> Any:
            values = [arg(env) for arg in args]
            return None if any(v is None for v in values) else pick(values)

        return extreme
    return _aggregate(node, args)


def _aggregate(node: Call, args: list[Compiled]) -> Compiled:
    items_of = args[0]
    if len(args) == 1:
        return lambda env: None if (items := items_of(env)) is None else len(items)
    condition = args[1]
    func = node.func

    def aggregate(env: Env) -> Any:
        items = items_of(env)
        if items is None:
            return None
        scope: Any = env
        values = [condition(ChainMap(item, scope)) for item in items]
        if func == "count":
            return None if any(v is None for v in values) else sum(1 for v in values if v)
        decisive = func == "any"
        if any(v is not None and bool(v) is decisive for v in values):
            return decisive
        return None if any(v is None for v in values) else not decisive

    return aggregate
