"""A cheap, sound test for conditions that can never hold (dead rules)."""

from __future__ import annotations

import math

from riskgrade.rules.expr import BoolOp, Compare, Const, In, Name, Node, Not


def never_true(node: Node) -> bool:
    """True when ``node`` is false for every enterprise (a sound under-approximation)."""
    if isinstance(node, Const):
        return node.value is False
    if isinstance(node, Not):
        return isinstance(node.operand, Const) and node.operand.value is True
    if isinstance(node, BoolOp):
        if node.op == "or":
            return all(never_true(operand) for operand in node.operands)
        return any(never_true(operand) for operand in node.operands) or _contradictory(node)
    return False


def _contradictory(node: BoolOp) -> bool:
    """Whether the ``and`` holds bounds on one fact that no number satisfies."""
    bounds: dict[str, list[float]] = {}  # name -> [low, low_open, high, high_open]
    allowed: dict[str, set[object]] = {}
    values: set[object]
    for operand in node.operands:
        if isinstance(operand, In) and isinstance(operand.operand, Name) and not operand.negated:
            values = {option.value for option in operand.options}
            name = operand.operand.name
            allowed[name] = allowed.get(name, values) & values
            if not allowed[name]:
                return True
            continue
        if not isinstance(operand, Compare):
            continue
        left, right, op = operand.left, operand.right, operand.op
        if isinstance(right, Name) and isinstance(left, Const):
            left, right = right, left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)  # type: ignore[assignment]
        if not (isinstance(left, Name) and isinstance(right, Const)):
            continue
        value = right.value
        if op == "==" and value is not None:
            values = {value}
            allowed[left.name] = allowed.get(left.name, values) & values
            if not allowed[left.name]:
                return True
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        low, low_open, high, high_open = bounds.setdefault(
            left.name, [-math.inf, 0.0, math.inf, 0.0]
        )
        if op in (">", ">=", "==") and value >= low:
            strict = 1.0 if op == ">" else 0.0
            low_open = max(low_open, strict) if value == low else strict
            low = value
        if op in ("<", "<=", "==") and value <= high:
            strict = 1.0 if op == "<" else 0.0
            high_open = max(high_open, strict) if value == high else strict
            high = value
        bounds[left.name] = [low, low_open, high, high_open]
        if low > high or (low == high and (low_open or high_open)):
            return True
    for name, permitted in allowed.items():
        if name in bounds:
            low, low_open, high, high_open = bounds[name]
            numbers = [v for v in permitted if isinstance(v, int | float)]
            if numbers and all(not _within(v, low, low_open, high, high_open) for v in numbers):
                return True
    return False


def _within(value: float, low: float, low_open: float, high: float, high_open: float) -> bool:
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    return above and below
