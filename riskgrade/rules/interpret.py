"""Three-valued evaluation of expressions in Python: ``None`` is "unknown".

``and``/``or``/``not`` follow Kleene's logic (``false and unknown`` is false, ``true and
unknown`` unknown); comparisons and arithmetic with an unknown operand are unknown;
``x == null`` and ``known(x)`` ask whether a fact is known and are never unknown.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any

from riskgrade.rules.expr import Arith, BoolOp, Call, Compare, Const, In, Name, Neg, Node, Not
from riskgrade.rules.typecheck import AS_OF

COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

Env = Mapping[str, Any]


def evaluate(node: Node, env: Env) -> Any:
    """The value of ``node`` over the facts in ``env`` (``None`` where unknown)."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Name):
        return env.get(node.name)
    if isinstance(node, BoolOp):
        return _bool_op(node, env)
    if isinstance(node, Not):
        value = evaluate(node.operand, env)
        return None if value is None else not value
    if isinstance(node, Compare):
        if _is_null(node.right) or _is_null(node.left):
            other = node.left if _is_null(node.right) else node.right
            missing = evaluate(other, env) is None
            return missing if node.op == "==" else not missing
        left, right = evaluate(node.left, env), evaluate(node.right, env)
        if left is None or right is None:
            return None
        return COMPARE[node.op](left, right)
    if isinstance(node, In):
        value = evaluate(node.operand, env)
        if value is None:
            return None
        found = any(value == option.value for option in node.options)
        return not found if node.negated else found
    if isinstance(node, Arith):
        return _arith(node, env)
    if isinstance(node, Neg):
        value = evaluate(node.operand, env)
        return None if value is None else -value
    return _call(node, env)


def _is_null(node: Node) -> bool:
    return isinstance(node, Const) and node.value is None


def _bool_op(node: BoolOp, env: Env) -> bool | None:
    decisive = node.op == "or"  # the value that settles the result
    unknown = False
    for operand in node.operands:
        value = evaluate(operand, env)
        if value is None:
            unknown = True
        elif bool(value) is decisive:
            return decisive
    return None if unknown else not decisive


def _arith(node: Arith, env: Env) -> Any:
    left, right = evaluate(node.left, env), evaluate(node.right, env)
    if left is None or right is None:
        return None
    if isinstance(left, dt.date):
        if isinstance(right, dt.date):
            return (left - right).days
        days = dt.timedelta(days=right)
        return left + days if node.op == "+" else left - days
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if right == 0:
        return None  # a ratio over zero is undefined, so unknown
    return left / right


def _call(node: Call, env: Env) -> Any:
    func, args = node.func, node.args
    if func == "known":
        return evaluate(args[0], env) is not None
    if func == "date":
        return dt.date.fromisoformat(str(evaluate(args[0], env)))
    if func == "year":
        value = evaluate(args[0], env)
        return None if value is None else value.year
    if func == "days_since":
        value = evaluate(args[0], env)
        return None if value is None else (env[AS_OF] - value).days
    if func in ("min", "max"):
        values = [evaluate(arg, env) for arg in args]
        if any(v is None for v in values):
            return None
        return min(values) if func == "min" else max(values)
    return _aggregate(node, env)


def _aggregate(node: Call, env: Env) -> Any:
    items = evaluate(node.args[0], env)
    if items is None:
        return None
    if len(node.args) == 1:
        return len(items)
    condition = node.args[1]
    scope: Any = env  # ChainMap only reads it
    values = [evaluate(condition, ChainMap(item, scope)) for item in items]
    if node.func == "count":
        return None if any(v is None for v in values) else sum(1 for v in values if v)
    decisive = node.func == "any"
    if any(v is not None and bool(v) is decisive for v in values):
        return decisive
    return None if any(v is None for v in values) else not decisive
