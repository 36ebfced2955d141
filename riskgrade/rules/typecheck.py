"""Static type checking of expressions against the fact schema."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from riskgrade.diagnostics import did_you_mean
from riskgrade.rules.expr import (
    AGGREGATE_FUNCTIONS,
    Arith,
    BoolOp,
    Call,
    Compare,
    Const,
    In,
    Name,
    Neg,
    Node,
    Not,
)
from riskgrade.rules.types import ANY, BOOL, DATE, NULL, NUMBER, STR, Schema, Type, comparable

AGGREGATES = AGGREGATE_FUNCTIONS
FUNCTIONS = (*AGGREGATES, "known", "days_since", "year", "min", "max", "date")
AS_OF = "as_of"


@dataclass(frozen=True)
class TypeProblem:
    """A type error in one expression: its diagnostic code (e.g. ``RG203``, unknown fact), the
    message, the 0-based column ``pos`` and, where one helps, a hint such as "did you mean"."""

    code: str
    message: str
    pos: int
    hint: str | None = None


class _Checker:
    def __init__(self, schema: Schema) -> None:
        self.scopes: list[Schema] = [{**schema, AS_OF: DATE}]
        self.problems: list[TypeProblem] = []

    def fail(self, code: str, message: str, node: Node, hint: str | None = None) -> Type:
        self.problems.append(TypeProblem(code, message, node.pos, hint))
        return ANY

    def lookup(self, node: Name) -> Type:
        for scope in reversed(self.scopes):
            if node.name in scope:
                return scope[node.name]
        known = {name for scope in self.scopes for name in scope}
        return self.fail(
            "RG203", f"unknown fact {node.name!r}", node, did_you_mean(node.name, known)
        )

    def check(self, node: Node) -> Type:
        if isinstance(node, Const):
            return _const_type(node.value)
        if isinstance(node, Name):
            return self.lookup(node)
        if isinstance(node, Not):
            self.expect(node.operand, BOOL, "'not'")
            return BOOL
        if isinstance(node, BoolOp):
            for operand in node.operands:
                self.expect(operand, BOOL, f"'{node.op}'")
            return BOOL
        if isinstance(node, Neg):
            self.expect(node.operand, NUMBER, "'-'")
            return NUMBER
        if isinstance(node, Arith):
            return self.arith(node)
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, In):
            return self.in_(node)
        return self.call(node)

    def expect(self, node: Node, want: Type, where: str) -> None:
        got = self.check(node)
        if got != ANY and got.kind != want.kind:
            self.fail("RG202", f"{where} needs {want}, got {got}", node)

    def arith(self, node: Arith) -> Type:
        left, right = self.check(node.left), self.check(node.right)
        if ANY in (left, right):
            return ANY
        if left == NUMBER and right == NUMBER:
            return NUMBER
        if node.op == "-" and left == DATE and right == DATE:
            return NUMBER  # days between
        if node.op in "+-" and left == DATE and right == NUMBER:
            return DATE
        return self.fail("RG202", f"cannot apply '{node.op}' to {left} and {right}", node)

    def compare(self, node: Compare) -> Type:
        left, right = self.check(node.left), self.check(node.right)
        if NULL in (left, right):
            if node.op not in ("==", "!="):
                self.fail("RG202", f"'{node.op}' cannot compare with null", node)
            return BOOL
        if not comparable(left, right):
            self.fail("RG202", f"cannot compare {left} with {right}", node)
        elif node.op not in ("==", "!=") and (left.is_textual or left == BOOL):
            self.fail("RG202", f"'{node.op}' needs numbers or dates, got {left}", node)
        else:
            for typ, other in ((left, node.right), (right, node.left)):
                if typ.kind == "enum" and isinstance(other, Const):
                    self.enum_value(typ, other)
        return BOOL

    def enum_value(self, typ: Type, const: Const) -> None:
        if isinstance(const.value, str) and const.value not in typ.values:
            self.fail(
                "RG205",
                f"{const.value!r} is not one of {', '.join(typ.values)}",
                const,
                did_you_mean(const.value, typ.values),
            )

    def in_(self, node: In) -> Type:
        operand = self.check(node.operand)
        for option in node.options:
            typ = _const_type(option.value)
            if not comparable(operand, typ) or typ == NULL:
                self.fail("RG202", f"cannot test {operand} against {typ} in a list", option)
            elif operand.kind == "enum":
                self.enum_value(operand, option)
        return BOOL

    def call(self, node: Call) -> Type:
        func, args = node.func, node.args
        if func not in FUNCTIONS:
            return self.fail(
                "RG204", f"unknown function {func!r}", node, did_you_mean(func, FUNCTIONS)
            )
        if func in AGGREGATES:
            return self.aggregate(node)
        arity = {"known": 1, "days_since": 1, "year": 1, "min": 2, "max": 2, "date": 1}[func]
        if len(args) != arity:
            return self.fail("RG202", f"{func}() takes {arity} argument(s), got {len(args)}", node)
        if func == "known":
            self.check(args[0])
            return BOOL
        if func in ("days_since", "year"):
            self.expect(args[0], DATE, f"{func}()")
            return NUMBER
        if func == "date":
            value = args[0].value if isinstance(args[0], Const) else None
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                self.fail("RG202", 'date() takes an ISO date string like "2026-01-31"', node)
            return DATE
        for arg in args:
            self.expect(arg, NUMBER, f"{func}()")
        return NUMBER

    def aggregate(self, node: Call) -> Type:
        func, args = node.func, node.args
        if not args or len(args) > 2 or (func != "count" and len(args) != 2):
            usage = "count(list[, condition])" if func == "count" else f"{func}(list, condition)"
            return self.fail("RG202", f"usage: {usage}", node)
        collection = self.check(args[0])
        if collection == ANY:
            return BOOL if func != "count" else NUMBER
        if collection.kind != "list" or collection.item is None:
            return self.fail("RG202", f"{func}() needs a list, got {collection}", args[0])
        if len(args) == 2:
            self.scopes.append(collection.item)
            self.expect(args[1], BOOL, f"{func}() condition")
            self.scopes.pop()
        return NUMBER if func == "count" else BOOL


def _const_type(value: object) -> Type:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUMBER
    return STR


def typecheck(node: Node, schema: Schema) -> tuple[Type, list[TypeProblem]]:
    """The type of ``node`` and every problem found, in source order."""
    checker = _Checker(schema)
    typ = checker.check(node)
    return typ, sorted(checker.problems, key=lambda p: p.pos)
