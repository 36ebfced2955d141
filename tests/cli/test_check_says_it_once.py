"""``riskgrade check`` as an author meets it: one diagnostic per mistake, at its line, with
the likely fix (full-width punctuation, other languages' operators, dates not in the calendar,
a file saved in GBK), and test cases checked as ``riskgrade test`` will run them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from riskgrade.cli import main
from riskgrade.policy import default_policy_path
from tests.conftest import MINI


def run(*args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--lang", "en"], catch_exceptions=False)


def problems(result: Result) -> list[str]:
    """The diagnostic lines of ``check``'s text output."""
    return [line for line in result.output.splitlines() if ": RG" in line]


def line_of(text: str, marker: str) -> int:
    return text[: text.index(marker)].count("\n") + 1


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "policy"
    shutil.copytree(default_policy_path(), target)
    return target


def _edit(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def test_a_yaml_error_in_the_rules_file_is_one_diagnostic(folder: Path) -> None:
    """Before: the broken rules file also made every test case "name an unknown rule"."""
    text = _edit(folder / "rules.yaml", "  - id: ", "  - id: [broken ")
    result = run("check", str(folder))
    assert result.exit_code == 1
    found = problems(result)
    assert len(found) == 1, found
    assert "rules.yaml" in found[0] and "RG002" in found[0]
    assert f":{line_of(text, '[broken') + 1}:" in found[0]


def test_a_misspelt_key_is_one_diagnostic(folder: Path) -> None:
    """Not also "missing 'severity'", nor the cases naming the rules of the refused file."""
    _edit(folder / "rules.yaml", "    severity: ", "    severety: ")
    found = problems(run("check", str(folder)))
    assert len(found) == 1, found
    assert "unknown key 'severety' (did you mean 'severity'?)" in found[0]


def test_a_misspelt_section_is_one_diagnostic(folder: Path) -> None:
    _edit(folder / "catalogue.yaml", "\ncatalogue:", "\ncatalog:")
    found = problems(run("check", str(folder)))
    assert len(found) == 1, found
    assert "unknown key 'catalog' (did you mean 'catalogue'?)" in found[0]


def test_a_full_width_colon_after_a_section_gets_a_hint(folder: Path) -> None:
    text = _edit(folder / "rules.yaml", "\nrules:", "\nrules：")
    found = problems(run("check", str(folder)))
    assert len(found) == 1, found
    assert f"rules.yaml:{line_of(text, 'rules：')}:6: RG002" in found[0]
    assert "full-width colon '：' after 'rules' (use ':')" in found[0]


def test_a_gbk_file_is_asked_to_be_saved_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(MINI.encode("gbk"))
    result = run("check", str(path))
    assert result.exit_code == 1
    found = problems(result)
    assert len(found) == 1, found
    assert "RG001" in found[0] and "save it as UTF-8" in found[0] and "GBK" in found[0]
    first_chinese = line_of(MINI, "《")
    assert f"policy.yaml:{first_chinese}:" in found[0]
    assert "UnicodeDecodeError" not in result.output and "codec" not in result.output


@pytest.mark.parametrize(
    ("where", "date", "reason"),
    [
        ("case", "2026-02-30", "day is out of range for month"),
        ("waiver", "2026-13-01", "month must be in 1..12"),
    ],
)
def test_a_date_not_in_the_calendar_is_located(
    tmp_path: Path, where: str, date: str, reason: str
) -> None:
    case_date = date if where == "case" else "2026-11-28"
    waiver_date = date if where == "waiver" else "2027-01-01"
    text = MINI + (
        "tests:\n  - name: c\n"
        f"    as_of: {case_date}\n"
        "    facts: {id: U1, industry: retail, employees: 5}\n"
        "    expect: {risk_level: blue}\n"
        "waivers:\n  - unit: U1\n    rule: no_ppe\n"
        "    justification: {zh: 豁免, en: waived}\n    approved_by: someone\n"
        f"    expires: {waiver_date}\n"
    )
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    found = problems(run("check", str(path)))
    line = line_of(text, date)
    column = text.splitlines()[line - 1].index(date) + 1
    assert found == [f"{path}:{line}:{column}: RG002 invalid date '{date}': {reason}"]


@pytest.mark.parametrize(
    ("condition", "column", "hint"),
    [
        ("staff_total = 0", 13, "did you mean '=='?"),
        ("staff_total == 0 && employees > 1", 18, "did you mean 'and'?"),
        ("staff_total == 0 || employees > 1", 18, "did you mean 'or'?"),
        ("!ppe_provided", 1, "did you mean 'not'?"),
        ("staff_total == 0 AND employees > 1", 18, "did you mean 'and'?"),
        ("（staff_total == 0）", 1, "full-width '（' — use '('"),
        ("staff_total == 0，", 17, "full-width '，' — use ','"),
        ("industry == “retail”", 13, "full-width '“' — use '\"'"),
        ("industry： retail", 9, "full-width '：' — use ':'"),
    ],
)
def test_expression_mistakes_get_a_did_you_mean(
    tmp_path: Path, condition: str, column: int, hint: str
) -> None:
    old = "when: 'employees <= 100 and staff_total == 0'"
    assert old in MINI
    text = MINI.replace(old, f"when: '{condition}'")
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    found = problems(run("check", str(path)))
    assert len(found) == 1, found
    line = line_of(text, condition)
    start = text.splitlines()[line - 1].index(condition)
    assert found[0].startswith(f"{path}:{line}:{start + column}: RG201 ")
    assert found[0].endswith(f"({hint})")


CASES = """tests:
  - name: base
    as_of: 2026-11-28
    facts: {id: U1, industry: retail, employees: 5, ppe_provided: true,
            full_time_safety_staff: 0, part_time_safety_staff: 1}
    expect: {risk_level: blue}
  - name: child
    extends: base
    as_of: 2026-11-28
    facts: {employes: 7}
    expect: {risk_level: blue}
  - name: orphan
    extends: bsae
    as_of: 2026-11-28
    facts: {}
    expect: {risk_level: blue}
  - name: loop one
    extends: loop two
    as_of: 2026-11-28
    facts: {}
    expect: {risk_level: blue}
  - name: loop two
    extends: loop one
    as_of: 2026-11-28
    facts: {}
    expect: {risk_level: blue}
  - name: bad value
    as_of: 2026-11-28
    facts: {id: U2, industry: retial, employees: 5}
    expect: {risk_level: blue}
"""


def test_check_validates_cases_as_test_will_run_them(tmp_path: Path) -> None:
    text = MINI + CASES
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    found = problems(run("check", str(path)))
    at = {line: f"{path}:{line_of(text, marker)}:" for line, marker in [
        ("unknown", "employes"), ("orphan", "extends: bsae"), ("cycle", "extends: loop one"),
        ("value", "industry: retial"),
    ]}  # fmt: skip
    assert len(found) == 4, found
    assert found[0].startswith(at["unknown"])
    assert "test 'child': unknown fact 'employes' (did you mean 'employees'?)" in found[0]
    assert found[1].startswith(at["orphan"])
    assert "extends unknown case 'bsae' (did you mean 'base'?)" in found[1]
    assert found[2].startswith(at["cycle"])
    assert "loop two -> loop one -> loop two" in found[2]
    assert found[3].startswith(at["value"]) and "test 'bad value': industry:" in found[3]
    # ... and each is a case that `test` cannot run: the two commands agree.
    (tmp_path / "clean.yaml").write_text(MINI + CASES.split("  - name: child")[0], "utf-8")
    assert run("check", str(tmp_path / "clean.yaml")).exit_code == 0
    assert run("test", str(tmp_path / "clean.yaml")).exit_code == 0
