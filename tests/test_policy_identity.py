"""A result names its policy by name, version and content hash, never by where its files lie:
two copies of one policy in different folders give byte-identical JSON, and no path leaks."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

import riskgrade
from riskgrade.cli import main, sample_rows
from tests.conftest import AS_OF, FIXTURES, ROOT

DEFAULT = ROOT / "riskgrade" / "policies" / "default"


def _copies(tmp_path: Path) -> tuple[Path, Path]:
    first = tmp_path / "a" / "policy"
    second = tmp_path / "elsewhere" / "deeper" / "copy"
    shutil.copytree(DEFAULT, first)
    shutil.copytree(DEFAULT, second)
    return first, second


def test_two_copies_of_a_policy_give_identical_json(tmp_path: Path) -> None:
    first, second = (riskgrade.load_policy(p) for p in _copies(tmp_path))
    rows = sample_rows()[:20]
    for engine in ("compiled", "durable"):
        one = [first.grade(r, as_of=AS_OF, engine=engine).model_dump_json() for r in rows]
        two = [second.grade(r, as_of=AS_OF, engine=engine).model_dump_json() for r in rows]
        assert one == two
        assert not any(str(tmp_path) in text for text in one)


def test_the_bundled_policy_leaks_no_path() -> None:
    policy = riskgrade.load_policy()
    for row in sample_rows()[:20]:
        text = policy.grade(row, as_of=AS_OF, engine="compiled").model_dump_json()
        assert str(ROOT) not in text and str(DEFAULT) not in text
    a = policy.grade(sample_rows()[0], as_of=AS_OF)
    assert a.policy_name == policy.name and a.policy_version == policy.version
    assert a.policy_hash == policy.content_hash
    assert a.trace and all(e.source.startswith(("rules.yaml:", "scoring.yaml:")) for e in a.trace)


def test_a_one_file_policy_is_located_by_its_file_name(tmp_path: Path) -> None:
    copy = tmp_path / "x" / "mini.yaml"
    copy.parent.mkdir()
    shutil.copy(FIXTURES / "mini.yaml", copy)
    first, second = riskgrade.load_policy(FIXTURES / "mini.yaml"), riskgrade.load_policy(copy)
    facts = {"id": "u1", "industry": "retail", "employees": 150}
    one = first.grade(facts, as_of=AS_OF).model_dump_json()
    assert one == second.grade(facts, as_of=AS_OF).model_dump_json()
    assert "mini.yaml:" in one and str(FIXTURES) not in one


def test_policy_problems_still_name_the_full_path(tmp_path: Path) -> None:
    broken = tmp_path / "policy"
    shutil.copytree(DEFAULT, broken)
    rules = broken / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("employees", "employes", 1))
    try:
        riskgrade.load_policy(broken)
    except riskgrade.PolicyError as exc:
        assert exc.diagnostics and all(d.file == str(rules) for d in exc.diagnostics)
    else:  # pragma: no cover - the policy is broken
        raise AssertionError("a broken policy loaded")


def test_grade_cli_json_results_are_identical_for_two_copies(tmp_path: Path) -> None:
    outputs = []
    for n, copy in enumerate(_copies(tmp_path)):
        out = tmp_path / f"out{n}.jsonl"
        args = ["grade", str(ROOT / "riskgrade" / "data" / "sample_district.jsonl"), "-o", str(out)]
        result = CliRunner().invoke(main, [*args, "--policy", str(copy), "--workers", "1"])
        assert result.exit_code in (0, 1), result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and str(tmp_path).encode() not in outputs[0]
