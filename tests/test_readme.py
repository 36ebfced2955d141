"""The README's Python example gives what it says."""

from __future__ import annotations

import datetime as dt
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import riskgrade
from riskgrade.cli import main
from riskgrade.supervision.plan import make_plan
from riskgrade.supervision.settings import Unit, load_settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_quickstart_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    block = README.split("## Quickstart", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_readme_python_example(default_policy: riskgrade.Policy) -> None:
    """The example's commented results are what grading its facts gives (so the README names
    only rules and countermeasures that exist)."""
    example = README.split("a = policy.grade(\n", 1)[1].split("\n)\n", 1)[0]
    facts_text = example.split("as_of=")[0].strip().rstrip(",")
    facts = _literal(facts_text)
    a = default_policy.grade(facts, as_of=dt.date(2026, 11, 28))
    shown = README.split("a = policy.grade(\n", 1)[1].split("a.model_dump(", 1)[0]
    assert f"a.risk_level  # {a.risk_level!r}" in shown and a.duty_grade == "D"
    assert f"a.risk_level.label_zh  # '{a.risk_level.label_zh}'" in shown
    assert f"a.score.factors  # {a.score.factors}" in shown
    assert _commented_list(shown, "[f.rule for f in a.violations]") == [
        f.rule for f in a.violations
    ]
    assert _commented_list(shown, "[r.id for r in a.recommendations]") == [
        r.id for r in a.recommendations
    ]
    assert f"a.violations[0].basis  # '{a.violations[0].basis}'" in shown
    assert "designate_safety_officer" in [r.id for r in a.recommendations]  # R2
    assert (
        "《安全生产法》第九十九条：责令限期改正，处五万元以下的罚款" in a.recommendations[1].message
    )
    assert a.recommendations[0].because == ["gas_alarm_missing"]
    gaps = [(f.rule, f.missing) for f in a.data_gaps][:2]
    assert _literal(shown.split("a.data_gaps][:2]\n", 1)[1].replace("#", "")) == gaps


def _commented_list(shown: str, expression: str) -> list[str]:
    """The list written in the comment lines under ``expression`` in the README example."""
    lines = shown.split(expression + "\n", 1)[1].splitlines()
    comment = " ".join(
        line.lstrip("# ")
        for line in lines[
            : next(i for i, line in enumerate(lines) if line.rstrip().endswith("]")) + 1
        ]
    )
    return re.findall(r"'([a-z_0-9]+)'", comment)


def _literal(text: str) -> dict[str, object]:
    import ast

    return ast.literal_eval(re.sub(r"\s+", " ", text))


def _section(title: str) -> str:
    return README.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


@pytest.mark.slow
def test_readme_supervision_commands_run_on_the_sample_district(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = _section("District supervision").split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line) for line in block.splitlines() if "riskgrade " in line]
    assert [c[1] for c in commands] == ["report", "plan"]
    monkeypatch.chdir(tmp_path)
    for command in commands:
        result = CliRunner().invoke(main, [*command[1:], "--lang", "en"])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert (tmp_path / "plan.xlsx").stat().st_size > 1_000


def test_readme_plan_figures_are_what_the_plan_gives(district: list[Unit]) -> None:
    plan = make_plan(
        district, inspectors=3, days=20, start=dt.date(2026, 11, 30), settings=load_settings()
    )  # the first working day after the sample's as-of date, as the command line takes it
    text = " ".join(_section("District supervision").split())
    quoted = (
        f"it reports {plan.demanded} inspections called for, {len(plan.visits)} possible, "
        f"a gap of {plan.gap_inspector_days} inspector-days: two more inspectors"
    )
    assert quoted in text and plan.extra_inspectors == 2
    calm = load_settings().inspection.model_copy(update={"key_periods": []})
    without = make_plan(
        district,
        inspectors=3,
        days=20,
        start=dt.date(2026, 11, 30),
        settings=load_settings().model_copy(update={"inspection": calm}),
    )
    assert f"without it, {without.demanded} called for and one" in text
    assert without.extra_inspectors == 1


def test_readme_session_example_prints_what_it_says(tmp_path: Path) -> None:
    code = _section("District supervision").split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "example.py").write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    promised = re.findall(r"# (S1 \S+ -> \S+)", code)
    assert printed == promised == ["S1 None -> ORANGE", "S1 ORANGE -> RED", "S1 RED -> ORANGE"]
    with riskgrade.load_policy().session(tmp_path / "district.sqlite") as again:
        assert again.facts("S1")["workers_trained"] == 6
