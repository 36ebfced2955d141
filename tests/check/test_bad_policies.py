"""A table of broken policies: each must fail with its diagnostic code at the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

import riskgrade
from riskgrade.check.load import MAX_FILE_BYTES
from tests.conftest import MINI

_BANDS = "    bands:\n      red: {min: 20}\n      orange: {min: 9}\n      yellow: {min: 4}\n"
_BANDS += "      blue: {min: 1}\n"


def _matrix(columns: str, row_5: str, row_2: str, rows: str = "S") -> str:
    """A stated risk matrix for the mini policy's S and L factors."""
    return (
        f"    matrix:\n      rows: {rows}\n      columns: L\n      column_values: {columns}\n"
        f"      cells:\n        - {{row: 5, levels: {row_5}}}\n"
        f"        - {{row: 2, levels: {row_2}}}\n"
    )


# (case id, text to replace, replacement, expected code, text marking the expected line)
CASES = [
    (
        "unknown fact",
        "employees > 100 and not",
        "employes > 100 and not",
        "RG203",
        "employes > 100",
    ),
    ("type error", "not ppe_provided'", "ppe_provided > 1'", "RG202", "ppe_provided > 1"),
    (
        "syntax error",
        "employees > 100 and not",
        "employees >> 100 and not",
        "RG201",
        "employees >>",
    ),
    ("single equals", "staff_total == 0", "staff_total = 0", "RG201", "staff_total = 0"),
    (
        "unknown function",
        "'employees <= 100",
        "'cnt(hazards) > 0 and employees <= 100",
        "RG204",
        "cnt(hazards)",
    ),
    (
        "bad enum value",
        '["mining", "construction"]',
        '["minning", "construction"]',
        "RG205",
        "minning",
    ),
    (
        "unknown recommendation",
        "recommend: [provide_ppe]",
        "recommend: [provide_pppe]",
        "RG304",
        "provide_pppe",
    ),
    (
        "unknown basis",
        "basis: [law_45]\n    message: {zh: 未提供",
        "basis: [law_54]\n    message: {zh: 未提供",
        "RG306",
        "law_54",
    ),
    ("unknown duty", "duty: ppe\n", "duty: ppee\n", "RG307", "duty: ppee"),
    (
        "duplicate rule id",
        "- id: small_no_staff",
        "- id: no_staff",
        "RG102",
        "- id: no_staff\n    duty: staffing\n    when: 'employees <=",
    ),
    (
        "duplicate key",
        "severity: serious\n    deduction: 10",
        "severity: serious\n    severity: minor\n    deduction: 10",
        "RG006",
        "severity: minor",
    ),
    (
        "unknown key",
        "    severity: serious\n    deduction: 10",
        "    severety: serious\n    deduction: 10",
        "RG101",
        "severety",
    ),
    ("missing key", "    deduction: 10\n", "", "RG101", "- id: no_ppe"),
    (
        "bad severity",
        "severity: serious\n    deduction: 10",
        "severity: grave\n    deduction: 10",
        "RG101",
        "severity: grave",
    ),
    ("python tag", "name: mini", "name: !!python/object/apply:os.system [ls]", "RG003", "!!python"),
    ("alias", 'version: "1"', 'version: &v "1"\n  title_alias: *v', "RG004", "*v"),
    (
        "derived cycle",
        "expr: 'full_time_safety_staff + part_time_safety_staff'",
        "expr: 'staff_total + 1'",
        "RG301",
        "staff_total:",
    ),
    (
        "derived cycle inside an aggregate's condition",
        """expr: 'industry in ["mining", "construction"]'""",
        "expr: 'count(hazards, high_risk) > 0'",
        "RG301",
        "high_risk:",
    ),
    (
        "never fires",
        "when: 'not ppe_provided'",
        "when: 'employees > 10 and employees < 5'",
        "RG302",
        "employees > 10 and",
    ),
    (
        "unreachable recommendation",
        "recommend: [provide_ppe]",
        "recommend: [designate_officer]",
        "RG303",
        "provide_ppe:",
    ),
    (
        "supersession cycle",
        "    deadline_days: 30\n  provide_ppe:",
        "    deadline_days: 30\n    supersedes: [set_up_department]\n  provide_ppe:",
        "RG305",
        "supersedes: [set_up_department]",
    ),
    (
        "risk matrix lowers the colour as a factor rises",
        _BANDS,
        _matrix("[1, 3, 4]", "[yellow, blue, red]", "[blue, yellow, orange]", rows="S"),
        "RG404",
        "{row: 5, levels: [yellow, blue, red]}",
    ),
    (
        "risk matrix misses a value its factor can take",
        _BANDS,
        _matrix("[1, 3]", "[yellow, orange]", "[blue, yellow]", rows="S"),
        "RG402",
        "column_values: [1, 3]",
    ),
    (
        "risk matrix on a factor the method lacks",
        _BANDS,
        _matrix("[1, 3, 4]", "[yellow, orange, red]", "[blue, yellow, orange]", rows="X"),
        "RG402",
        "matrix:",
    ),
    (
        "risk matrix and bands both",
        _BANDS,
        _BANDS + _matrix("[1, 3, 4]", "[yellow, orange, red]", "[blue, yellow, orange]", rows="S"),
        "RG402",
        "    bands:\n      red",
    ),
    (
        "unknown verification countermeasure",
        '  version: "1"\n',
        '  version: "1"\n  defaults: {verify: designate_oficer}\n',
        "RG304",
        "defaults: {verify",
    ),
    ("unknown risk method", "method: matrix", "method: matrx", "RG401", "method: matrx"),
    (
        "factor value outside method",
        "- {value: 1}\n      S:",
        "- {value: 7}\n      S:",
        "RG402",
        "- {value: 7}",
    ),
    ("missing grade band", "C: {min: 60}, ", "", "RG403", "bands: {A"),
    ("bands out of order", "B: {min: 75}", "B: {min: 95}", "RG402", "bands: {A"),
    (
        "condition not bool",
        "when: 'not ppe_provided'",
        "when: 'employees + 1'",
        "RG202",
        "employees + 1",
    ),
    ("yaml syntax", "bases:\n", "bases: [\n", "RG002", None),
    ("not a mapping", None, "- just\n- a list\n", "RG010", "- just"),
    (
        "derived value type",
        "expr: 'full_time_safety_staff + part_time_safety_staff'",
        "expr: 'ppe_provided'",
        "RG202",
        "expr: 'ppe_provided'",
    ),
    (
        "wrong aggregate use",
        "when: 'not ppe_provided'",
        "when: 'any(employees, true)'",
        "RG202",
        "any(employees",
    ),
    (
        "key with brackets (found by fuzzing)",
        "bases:\n",
        "b[law_24]ases:\n",
        "RG101",
        "b[law_24]ases",
    ),
    (
        "comparison with null ordering",
        "when: 'not ppe_provided'",
        "when: 'employees > null'",
        "RG202",
        "employees > null",
    ),
]


def _line_of(text: str, marker: str) -> int:
    index = text.index(marker)
    return text.count("\n", 0, index) + 1


@pytest.mark.parametrize(("name", "old", "new", "code", "marker"), CASES, ids=[c[0] for c in CASES])
def test_bad_policy_is_refused_with_code_and_line(
    tmp_path: Path, name: str, old: str | None, new: str, code: str, marker: str | None
) -> None:
    if old is None:
        text = new
    else:
        assert old in MINI, f"fixture no longer contains {old!r}"
        text = MINI.replace(old, new, 1)
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(riskgrade.PolicyError) as caught:
        riskgrade.load_policy(path)
    matching = [d for d in caught.value.diagnostics if d.code == code]
    assert matching, f"expected {code}, got {[d.render() for d in caught.value.diagnostics]}"
    if marker is not None:
        lines = {d.line for d in matching}
        assert _line_of(text, marker) in lines, [d.render() for d in matching]
    for diagnostic in matching:
        assert diagnostic.file == str(path)
        assert diagnostic.render().startswith(
            f"{path}:{diagnostic.line}:{diagnostic.column}: {code} "
        )


def test_unknown_fact_offers_did_you_mean_and_exact_column(tmp_path: Path) -> None:
    text = MINI.replace("employees > 100 and not", "employes > 100 and not", 1)
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(riskgrade.PolicyError) as caught:
        riskgrade.load_policy(path)
    (diagnostic,) = [d for d in caught.value.diagnostics if d.code == "RG203"]
    line = text.splitlines()[diagnostic.line - 1]
    assert line[diagnostic.column - 1 :].startswith("employes")
    assert "did you mean 'employees'?" in diagnostic.render()


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    text = MINI.replace("employees > 100", "employes > 100").replace(
        "law_45]\n    message", "law_54]\n    message"
    )
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(riskgrade.PolicyError) as caught:
        riskgrade.load_policy(path)
    codes = {d.code for d in caught.value.diagnostics}
    assert {"RG203", "RG306"} <= codes
    assert str(caught.value).count("\n") >= 2  # a header line, then one line per diagnostic


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: '" + "x" * (MAX_FILE_BYTES + 1) + "'\n", encoding="utf-8")
    with pytest.raises(riskgrade.PolicyError) as caught:
        riskgrade.load_policy(path)
    assert [d.code for d in caught.value.diagnostics] == ["RG005"]


def test_alias_bomb_is_refused_before_expansion(tmp_path: Path) -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb.append(
            f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]"
        )
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(bomb) + "\n", encoding="utf-8")
    with pytest.raises(riskgrade.PolicyError) as caught:
        riskgrade.load_policy(path)
    assert caught.value.diagnostics[0].code == "RG004"


def test_missing_path_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(riskgrade.PolicyError) as caught:
        riskgrade.load_policy(tmp_path / "nope")
    assert caught.value.diagnostics[0].code == "RG001"


def test_folder_policy_merges_files_and_reports_duplicates_across_files(tmp_path: Path) -> None:
    head, rest = MINI.split("rules:\n", 1)
    rules, tail = rest.split("catalogue:\n", 1)
    (tmp_path / "a.yaml").write_text(head, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("rules:\n" + rules, encoding="utf-8")
    (tmp_path / "c.yaml").write_text("catalogue:\n" + tail, encoding="utf-8")
    policy = riskgrade.load_policy(tmp_path)
    assert [r.rule.id for r in policy.checked.rules] == ["no_staff", "small_no_staff", "no_ppe"]
    (tmp_path / "d.yaml").write_text("rules:\n" + rules, encoding="utf-8")
    with pytest.raises(riskgrade.PolicyError) as caught:
        riskgrade.load_policy(tmp_path)
    duplicates = [d for d in caught.value.diagnostics if d.code == "RG102"]
    assert len(duplicates) == 3
    assert all(d.file.endswith("d.yaml") and "b.yaml" in d.message for d in duplicates)
