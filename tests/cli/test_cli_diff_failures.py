"""``riskgrade diff`` over rows that fail under one policy or both: each shows as a transition,
the command exits 1, and no verdict is given over zero compared units."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from riskgrade.cli import main
from tests.conftest import MINI

ROWS = [
    {"id": "A", "industry": "retail", "employees": 5, "floors": "three"},
    {"id": "B", "industry": "retail", "employees": -5, "floors": "x"},
]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--as-of", "2026-11-28"], catch_exceptions=False)


def _setup(tmp_path: Path) -> tuple[str, str, str]:
    """A policy whose fact ``floors`` is text and one where it is a whole number."""
    text = tmp_path / "text.yaml"
    text.write_text(MINI + "facts:\n  floors: {type: str}\n", encoding="utf-8")
    number = tmp_path / "number.yaml"
    number.write_text(MINI + "facts:\n  floors: {type: int}\n", encoding="utf-8")
    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in ROWS), encoding="utf-8")
    return str(text), str(number), str(data)


def test_a_row_that_fails_under_the_new_policy_is_a_transition(tmp_path: Path) -> None:
    text, number, data = _setup(tmp_path)
    result = run("diff", text, number, data, "--lang", "en")
    assert result.exit_code == 1
    assert "graded → failed: 1, failed → failed: 1" in result.output
    assert "A: yellow/B → failed (floors: expected a whole number, got 'three')" in result.output
    assert "B: failed → failed (employees:" in result.output
    # no unit was compared, so there is no stability verdict
    assert "stable" not in result.output and "PSI =" not in result.output
    assert "no unit was graded under both policies: PSI not computed" in result.output


def test_the_other_way_round_is_failed_to_graded(tmp_path: Path) -> None:
    text, number, data = _setup(tmp_path)
    result = run("diff", number, text, data, "--lang", "zh")
    assert result.exit_code == 1
    assert "无法评级 → 已评级: 1" in result.output
    assert "A: 无法评级 → yellow/B" in result.output and "稳定" not in result.output
    payload = json.loads(run("diff", number, text, data, "--format", "json").output)
    assert payload["psi"] is None and payload["units"] == 0 and payload["failed"] == 2
    assert payload["transitions"] == {"failed → failed": 1, "failed → graded": 1}
    first = payload["failures"][0]
    assert (first["entity_id"], first["old"], first["new"], first["after"]) == (
        "A",
        "failed",
        "graded",
        "yellow/B",
    )
