"""Policies past durable_rules' own limits: wide facts (error 302 at ~252 properties), hundreds
of tests on one fact (error 303 past 64 alpha tests; a hang past 512 siblings), huge numbers.
Each must either grade exactly like the compiled path or be refused with a diagnostic: never a
hang (every case runs in a child process with a timeout) and never a crash."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow  # every case grades in a child process

MINI = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")

CHILD = """
import datetime as dt, json, sys
import riskgrade
policy = riskgrade.load_policy(sys.argv[1])
rows = json.loads(sys.argv[2])
engine = policy.engine()
out = []
for row in rows:
    a = policy.grade(row, as_of=dt.date(2026, 11, 28), engine="durable")
    b = policy.grade(row, as_of=dt.date(2026, 11, 28), engine="compiled")
    out.append([a.model_dump(mode="json", exclude={"engine"})
                == b.model_dump(mode="json", exclude={"engine"}), len(a.violations)])
print(json.dumps({"rulesets": len(engine.handles), "results": out}))
"""


def _policy(tmp_path: Path, facts: list[str], rules: list[tuple[str, str]]) -> Path:
    declared = "".join(f"  {name}: {{type: int}}\n" for name in facts)
    written = "".join(
        f"  - id: {rule_id}\n    duty: ppe\n    when: '{when}'\n    severity: minor\n"
        f"    deduction: 1\n    basis: [law_45]\n    message: {{zh: 问题, en: Problem}}\n"
        for rule_id, when in rules
    )
    text = MINI.replace("derived:\n", f"facts:\n{declared}derived:\n", 1)
    text = text.replace("rules:\n", f"rules:\n{written}", 1)
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _grade_in_child(path: Path, rows: list[dict[str, object]]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), json.dumps(rows)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).parent.parent,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


BASE = {"id": "u", "industry": "retail", "employees": 5}


def test_rules_reading_more_facts_than_one_engine_fact_can_hold(tmp_path: Path) -> None:
    names = [f"x{i}" for i in range(300)]  # 600 k_/v_ properties: far past error 302
    path = _policy(tmp_path, names, [(f"r{i}", f"x{i} > {i}") for i in range(300)])
    rows = [
        {**BASE, **{n: 1000 for n in names}},
        {**BASE, **{n: (i % 2) * 1000 for i, n in enumerate(names)}},
        {**BASE, **{n: None for n in names[::3]}},
    ]
    result = _grade_in_child(path, rows)
    assert result["rulesets"] >= 3  # type: ignore[operator]
    agree = [same for same, _ in result["results"]]  # type: ignore[attr-defined]
    counts = [n for _, n in result["results"]]  # type: ignore[attr-defined]
    assert agree == [True, True, True]
    assert counts[0] >= 300 and counts[1] >= 150 and counts[0] > counts[1]


def test_hundreds_of_tests_on_one_fact(tmp_path: Path) -> None:
    rules = [(f"r{i}", f"x0 == {i}") for i in range(700)]  # siblings far past 512
    path = _policy(tmp_path, ["x0"], rules)
    result = _grade_in_child(path, [{**BASE, "x0": 5}, {**BASE, "x0": 699}, {**BASE, "x0": -1}])
    agree = [same for same, _ in result["results"]]  # type: ignore[attr-defined]
    counts = [n for _, n in result["results"]]  # type: ignore[attr-defined]
    assert agree == [True, True, True]
    assert counts[0] == counts[1] == counts[2] + 1  # exactly one x0 rule holds, if any


@pytest.mark.parametrize("number", ["1e16", "-99999999999999999", "1e400", ".nan", ".inf"])
def test_enormous_or_non_finite_numbers_are_refused(tmp_path: Path, number: str) -> None:
    import riskgrade

    path = _policy(tmp_path, ["x0"], [("huge", f"x0 > {number}")])
    with pytest.raises(riskgrade.PolicyError) as info:
        riskgrade.load_policy(path)
    assert any(d.code in ("RG201", "RG202", "RG203") for d in info.value.diagnostics), str(
        info.value
    )


def _codes(path: Path) -> list[str]:
    import riskgrade

    with pytest.raises(riskgrade.PolicyError) as info:
        riskgrade.load_policy(path)
    return [d.code for d in info.value.diagnostics]


def test_too_many_rules_are_refused_before_compiling(tmp_path: Path) -> None:
    path = _policy(tmp_path, ["x0"], [(f"r{i}", f"x0 > {i}") for i in range(2001)])
    assert _codes(path) == ["RG601"]


@pytest.mark.parametrize(
    "when",
    [
        "x0 > 1 and " * 200 + "x0 > 1",  # longer than 2,000 characters
        "(" * 41 + "x0 > 1" + ")" * 41,  # nested deeper than 40 levels
        "not " * 60 + "x0 > 1",
    ],
    ids=["long", "deep parentheses", "deep not"],
)
def test_oversized_expressions_are_refused(tmp_path: Path, when: str) -> None:
    assert _codes(_policy(tmp_path, ["x0"], [("big", when)])) == ["RG201"]


def test_yaml_with_too_many_nodes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nodes.yaml"
    path.write_text("numbers: [" + "0," * 200_001 + "0]\n", encoding="utf-8")
    assert _codes(path) == ["RG005"]


def test_regex_like_text_is_plain_text(tmp_path: Path) -> None:
    """Strings are compared as text, never as patterns (no catastrophic backtracking)."""
    import riskgrade

    text = MINI.replace("rules:\n", "rules:\n" + (
        "  - id: odd_name\n    duty: ppe\n    when: 'name == \"(a+)+$\"'\n    severity: minor\n"
        "    deduction: 1\n    basis: [law_45]\n    message: {zh: 名称, en: Name}\n"
    ), 1)  # fmt: skip
    path = tmp_path / "regex.yaml"
    path.write_text(text, encoding="utf-8")
    policy = riskgrade.load_policy(path)
    for engine in ("durable", "compiled"):
        hostile = {**BASE, "name": "a" * 5000 + "!"}
        literal = {**BASE, "name": "(a+)+$"}
        grade = policy.grade
        assert "odd_name" not in {f.rule for f in grade(hostile, engine=engine).violations}  # type: ignore[arg-type]
        assert "odd_name" in {f.rule for f in grade(literal, engine=engine).violations}  # type: ignore[arg-type]
