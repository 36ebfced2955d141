"""The expression language: parser, type checker and three-valued interpreter."""

from __future__ import annotations

import datetime as dt

import pytest

from riskgrade.check.checked import BASE_SCHEMA
from riskgrade.rules.expr import ExprSyntaxError, constants_in, names_in, parse
from riskgrade.rules.interpret import evaluate
from riskgrade.rules.typecheck import typecheck

AS_OF = dt.date(2026, 11, 28)


def ev(text: str, **facts: object) -> object:
    return evaluate(parse(text), {"as_of": AS_OF, **facts})


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("a >", 3),
        ("a = 1", 2),
        ("x in []", 5),
        ("(a", 2),
        ("a and", 5),
        ("1 +* 2", 3),
        ("a not b", 2),
        ('"open', 0),
    ],
)
def test_syntax_errors_carry_their_column(text: str, column: int) -> None:
    with pytest.raises(ExprSyntaxError) as caught:
        parse(text)
    assert caught.value.column == column


def test_precedence_and_grouping() -> None:
    assert ev("1 + 2 * 3 == 7") is True
    assert ev("(1 + 2) * 3 == 9") is True
    assert ev("not false and false") is False
    assert ev("true or false and false") is True
    assert ev("-2 < -1") is True


def test_nesting_depth_is_bounded() -> None:
    with pytest.raises(ExprSyntaxError, match="nested deeper"):
        parse("(" * 100 + "a" + ")" * 100)


@pytest.mark.parametrize(
    ("text", "facts", "expected"),
    [
        ("a and b", {"a": False, "b": None}, False),
        ("a and b", {"a": True, "b": None}, None),
        ("a or b", {"a": True, "b": None}, True),
        ("a or b", {"a": False, "b": None}, None),
        ("not a", {"a": None}, None),
        ("x > 3", {"x": None}, None),
        ("x == null", {"x": None}, True),
        ("x != null", {"x": 0}, True),
        ("known(x)", {"x": None}, False),
        ("x in [1, 2]", {"x": None}, None),
        ("x not in [1, 2]", {"x": 3}, True),
        ("x / y > 1", {"x": 1, "y": 0}, None),
    ],
)
def test_kleene_logic(text: str, facts: dict[str, object], expected: object) -> None:
    assert ev(text, **facts) is expected


def test_dates_and_aggregates() -> None:
    drill = dt.date(2025, 11, 1)
    assert ev("days_since(last_drill) > 365", last_drill=drill) is True
    assert ev("last_drill < as_of - 365", last_drill=drill) is True
    assert ev("as_of - last_drill", last_drill=drill) == 392
    assert ev("year(as_of) - 2010 >= 15") is True
    assert ev('date("2026-01-01") < as_of') is True
    hazards = [{"level": "major", "rectified_on": None}, {"level": "general", "rectified_on": None}]
    assert ev('count(hazards, level == "major" and rectified_on == null)', hazards=hazards) == 1
    assert ev("count(hazards)", hazards=hazards) == 2
    assert ev('any(hazards, level == "major")', hazards=hazards) is True
    assert ev('all(hazards, level == "major")', hazards=hazards) is False
    unknown_level = [{"level": None, "rectified_on": None}]
    assert ev('count(hazards, level == "major")', hazards=unknown_level) is None
    assert ev('any(hazards, level == "major")', hazards=[*unknown_level, hazards[0]]) is True
    assert ev('any(hazards, level == "major")', hazards=None) is None
    assert ev('all(hazards, level == "major")', hazards=[]) is True


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("employes > 1", "RG203"),
        ("ppe_provided > 1", "RG202"),
        ('industry == "minning"', "RG205"),
        ("cnt(hazards)", "RG204"),
        ("any(employees, true)", "RG202"),
        ("days_since(employees) > 1", "RG202"),
        ("not employees", "RG202"),
        ("employees + ppe_provided > 1", "RG202"),
        ('name < "a"', "RG202"),
        ("count(hazards, levle == 1)", "RG203"),
    ],
)
def test_type_errors(text: str, code: str) -> None:
    _, problems = typecheck(parse(text), BASE_SCHEMA)
    assert [p.code for p in problems][:1] == [code]


def test_well_typed_expressions_have_no_problems() -> None:
    for text in [
        "employees > 100 and not (safety_department or full_time_safety_staff > 0)",
        'count(hazards, level == "major" and rectified_on == null and deadline < as_of) > 0',
        "any(buildings, height_m > 27 and residential)",
        "any(elevators, year(as_of) - commissioned_year >= 15)",
        "last_drill == null or days_since(last_drill) > 183",
        'industry in ["mining", "construction"]',
    ]:
        assert typecheck(parse(text), BASE_SCHEMA)[1] == [], text


def test_names_and_constants() -> None:
    node = parse('employees > 100 and count(hazards, level == "major") >= 1')
    assert names_in(node) == {"employees", "hazards"}
    assert names_in(node, item_fields=True) == {"employees", "hazards", "level"}
    assert sorted(constants_in(node)) == [("employees", 100)]


def test_no_eval_or_exec_in_the_package() -> None:
    """Python's eval and exec are never called (Polars' ``expr.list.eval`` is a method of a
    column expression, not the builtin, so calls are read from the syntax tree)."""
    import ast
    import pathlib

    import riskgrade

    def builtin_call(node: ast.AST) -> bool:
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in ("eval", "exec")
        return (
            isinstance(func, ast.Attribute)
            and func.attr in ("eval", "exec")
            and isinstance(func.value, ast.Name)
            and func.value.id in ("builtins", "__builtins__")
        )

    root = pathlib.Path(riskgrade.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not [n for n in ast.walk(tree) if builtin_call(n)], path
    assert builtin_call(ast.parse("eval('1')").body[0].value)  # type: ignore[attr-defined]
    assert builtin_call(ast.parse("builtins.exec(x)").body[0].value)  # type: ignore[attr-defined]
