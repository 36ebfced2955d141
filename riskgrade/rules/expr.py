"""The expression language: tokens, syntax tree and a recursive-descent parser.

Conditions are short expressions over fact names, parsed here and never handed to ``eval``::

    employees > 100 and not (safety_department or full_time_safety_staff > 0)
    industry in ["mining", "construction"]
    count(hazards, level == "major" and rectified_on == null) > 0
    days_since(last_drill) > 365

Grammar (lowest precedence first)::

    expr    := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (CMP sum | "not"? "in" list)?
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | STRING | true | false | null | list | "(" expr ")"
             | NAME ("(" expr ("," expr)* ")")?
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

MAX_LENGTH = 2000
MAX_DEPTH = 40


class ExprSyntaxError(Exception):
    """A syntax error at ``column`` (0-based offset into the expression), with a ``hint``
    when the mistake is a common one (``=`` for ``==``, ``&&`` for ``and``, ``（`` for ``(``)."""

    def __init__(self, message: str, column: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.hint = hint


# ----------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op><=|>=|==|!=|<|>|\+|-|\*|/|\(|\)|\[|\]|,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}

# Operators from other languages that authors type, and what this language spells them.
_FOREIGN = (("&&", "and"), ("||", "or"), ("=", "=="), ("!", "not"), ("&", "and"), ("|", "or"))
_FULL_WIDTH = dict(
    zip("，：（）“”‘’；＝＞＜！【】［］＋－＊／", ",:()\"\"'';=><![][]+-*/", strict=True)
)


def _unknown_character(text: str, pos: int) -> ExprSyntaxError:
    """The error for a character no token starts with, with the likely intended spelling."""
    char = text[pos]
    if char in _FULL_WIDTH:
        hint = f"full-width {char!r} — use {_FULL_WIDTH[char]!r}"
        return ExprSyntaxError(f"unexpected character {char!r}", pos, hint)
    for foreign, ours in _FOREIGN:
        if text.startswith(foreign, pos):
            return ExprSyntaxError(f"unexpected {foreign!r}", pos, f"did you mean {ours!r}?")
    return ExprSyntaxError(f"unexpected character {char!r}", pos)


def _unexpected(token: Token) -> ExprSyntaxError:
    """The error for a token out of place; ``AND``/``Or``/``NOT`` get the keyword's spelling."""
    found = token.text or "end of expression"
    hint = None
    if token.kind == "name" and token.text.lower() in _KEYWORDS:
        hint = f"did you mean {token.text.lower()!r}?"
    return ExprSyntaxError(f"unexpected {found!r}", token.pos, hint)


@dataclass(frozen=True)
class Token:
    """One token of an expression: its kind, its text and its 0-based offset ``pos``."""

    kind: Literal["number", "string", "op", "name", "keyword", "end"]
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens, rejecting anything the language does not know."""
    if len(text) > MAX_LENGTH:
        raise ExprSyntaxError(f"expression longer than {MAX_LENGTH} characters", 0)
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _unknown_character(text, pos)
        kind = match.lastgroup
        value = match.group()
        if kind == "name" and value in _KEYWORDS:
            tokens.append(Token("keyword", value, pos))
        elif kind != "ws":
            tokens.append(Token(kind, value, pos))  # type: ignore[arg-type]
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# ----------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Const:
    """A literal: a number, a string, ``true``, ``false`` or ``null`` (``-3`` is one too)."""

    value: float | int | str | bool | None
    pos: int = 0


@dataclass(frozen=True)
class Name:
    """A fact name such as ``employees``; inside an aggregate, a field of the list's items
    (``level`` in ``count(hazards, level == "major")``)."""

    name: str
    pos: int = 0


@dataclass(frozen=True)
class Not:
    """A negation ``not x``."""

    operand: Node
    pos: int = 0


@dataclass(frozen=True)
class Neg:
    """A unary minus ``-x`` (a minus before a number literal makes a :class:`Const`)."""

    operand: Node
    pos: int = 0


@dataclass(frozen=True)
class Arith:
    """Arithmetic ``a + b``, ``a - b``, ``a * b`` or ``a / b``; left-associative, so
    ``a - b - c`` is ``(a - b) - c``."""

    op: Literal["+", "-", "*", "/"]
    left: Node
    right: Node
    pos: int = 0


@dataclass(frozen=True)
class Compare:
    """A comparison ``a < b`` (also ``<=``, ``>``, ``>=``, ``==``, ``!=``); comparisons do
    not chain: ``a < b < c`` is a syntax error."""

    op: Literal["<", "<=", ">", ">=", "==", "!="]
    left: Node
    right: Node
    pos: int = 0


@dataclass(frozen=True)
class In:
    """A membership test ``x in ["a", "b"]``, or ``x not in [...]`` when ``negated``; the list
    holds constants only."""

    operand: Node
    options: tuple[Const, ...]
    negated: bool = False
    pos: int = 0


@dataclass(frozen=True)
class BoolOp:
    """``a and b and c`` or ``a or b or c``, every operand of a run in one node; ``and``
    binds tighter than ``or``."""

    op: Literal["and", "or"]
    operands: tuple[Node, ...]
    pos: int = 0


@dataclass(frozen=True)
class Call:
    """A function call ``f(x, ...)``: an aggregate over a list's items (``count``, ``any``,
    ``all``) or a function on values such as ``days_since(last_drill)``."""

    func: str
    args: tuple[Node, ...]
    pos: int = 0


Node: TypeAlias = Const | Name | Not | Neg | Arith | Compare | In | BoolOp | Call


AGGREGATE_FUNCTIONS = ("any", "all", "count")


def names_in(node: Node, *, item_fields: bool = False) -> set[str]:
    """The fact names the expression reads; with ``item_fields``, also the list-item fields
    read inside aggregates (``level`` in ``count(hazards, level == "major")``)."""
    found: set[str] = set()
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Call) and current.func in AGGREGATE_FUNCTIONS and not item_fields:
            stack.append(current.args[0])
        elif isinstance(current, Name):
            found.add(current.name)
        elif isinstance(current, Not | Neg):
            stack.append(current.operand)
        elif isinstance(current, Arith | Compare):
            stack.extend((current.left, current.right))
        elif isinstance(current, In):
            stack.append(current.operand)
        elif isinstance(current, BoolOp):
            stack.extend(current.operands)
        elif isinstance(current, Call):
            stack.extend(current.args)
    return found


def constants_in(node: Node) -> list[tuple[str, float | int]]:
    """``(fact name, number)`` pairs for numeric thresholds compared against a fact."""
    found: list[tuple[str, float | int]] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Compare):
            left, right = current.left, current.right
            if isinstance(left, Name) and isinstance(right, Const) and _is_number(right.value):
                found.append((left.name, right.value))  # type: ignore[arg-type]
            elif isinstance(right, Name) and isinstance(left, Const) and _is_number(left.value):
                found.append((right.name, left.value))  # type: ignore[arg-type]
            stack.extend((left, right))
        elif isinstance(current, Not | Neg | In):
            stack.append(current.operand)
        elif isinstance(current, Arith):
            stack.extend((current.left, current.right))
        elif isinstance(current, BoolOp):
            stack.extend(current.operands)
        elif isinstance(current, Call):
            stack.extend(current.args)
    return found


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ----------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, text: str) -> Token | None:
        token = self.token
        if token.kind in ("op", "keyword") and token.text == text:
            self.index += 1
            return token
        return None

    def expect(self, text: str) -> Token:
        token = self.accept(text)
        if token is None:
            found = self.token.text or "end of expression"
            raise ExprSyntaxError(f"expected {text!r}, found {found!r}", self.token.pos)
        return token

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprSyntaxError(f"expression nested deeper than {MAX_DEPTH}", self.token.pos)

    def parse(self) -> Node:
        node = self.expr()
        if self.token.kind != "end":
            raise _unexpected(self.token)
        return node

    def expr(self) -> Node:
        self.enter()
        first = self.and_()
        operands = [first]
        while self.accept("or"):
            operands.append(self.and_())
        self.depth -= 1
        return first if len(operands) == 1 else BoolOp("or", tuple(operands), _pos(first))

    def and_(self) -> Node:
        first = self.not_()
        operands = [first]
        while self.accept("and"):
            operands.append(self.not_())
        return first if len(operands) == 1 else BoolOp("and", tuple(operands), _pos(first))

    def not_(self) -> Node:
        token = self.accept("not")
        if token:
            self.enter()
            node = Not(self.not_(), token.pos)
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        left = self.sum()
        token = self.token
        if token.kind == "op" and token.text in ("<", "<=", ">", ">=", "==", "!="):
            self.advance()
            right = self.sum()
            return Compare(token.text, left, right, token.pos)  # type: ignore[arg-type]
        negated = False
        if token.kind == "keyword" and token.text == "not":
            following = self.tokens[self.index + 1]
            if following.kind == "keyword" and following.text == "in":
                self.advance()
                negated = True
        if self.accept("in"):
            return In(left, self.options(), negated, token.pos)
        if negated:
            raise ExprSyntaxError("expected 'in' after 'not'", self.token.pos)
        return left

    def options(self) -> tuple[Const, ...]:
        start = self.expect("[")
        items: list[Const] = []
        if not self.accept("]"):
            while True:
                node = self.unary()
                if not isinstance(node, Const):
                    raise ExprSyntaxError("'in' lists hold constants only", _pos(node))
                items.append(node)
                if self.accept("]"):
                    break
                self.expect(",")
        if not items:
            raise ExprSyntaxError("empty 'in' list", start.pos)
        return tuple(items)

    def sum(self) -> Node:
        node = self.product()
        while self.token.kind == "op" and self.token.text in ("+", "-"):
            op = self.advance()
            node = Arith(op.text, node, self.product(), op.pos)  # type: ignore[arg-type]
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.token.kind == "op" and self.token.text in ("*", "/"):
            op = self.advance()
            node = Arith(op.text, node, self.unary(), op.pos)  # type: ignore[arg-type]
        return node

    def unary(self) -> Node:
        token = self.accept("-")
        if token:
            self.enter()
            operand = self.unary()
            self.depth -= 1
            if isinstance(operand, Const) and _is_number(operand.value):
                return Const(-operand.value, token.pos)  # type: ignore[operator]
            return Neg(operand, token.pos)
        return self.atom()

    def atom(self) -> Node:
        token = self.advance()
        if token.kind == "number":
            value: float | int = float(token.text) if "." in token.text else int(token.text)
            if abs(value) > 1e15:
                raise ExprSyntaxError("number too large", token.pos)
            return Const(value, token.pos)
        if token.kind == "string":
            body = token.text[1:-1]
            return Const(re.sub(r"\\(.)", r"\1", body), token.pos)
        if token.kind == "keyword" and token.text in ("true", "false", "null"):
            return Const({"true": True, "false": False, "null": None}[token.text], token.pos)
        if token.kind == "op" and token.text == "(":
            node = self.expr()
            self.expect(")")
            return node
        if token.kind == "name":
            if self.accept("("):
                args: list[Node] = []
                if not self.accept(")"):
                    while True:
                        args.append(self.expr())
                        if self.accept(")"):
                            break
                        self.expect(",")
                return Call(token.text, tuple(args), token.pos)
            return Name(token.text, token.pos)
        raise _unexpected(token)


def _pos(node: Node) -> int:
    return node.pos


def parse(text: str) -> Node:
    """Parse an expression, raising :class:`ExprSyntaxError` with the column of the problem."""
    if not isinstance(text, str):
        raise ExprSyntaxError(f"expected an expression string, got {type(text).__name__}", 0)
    return _Parser(text).parse()
