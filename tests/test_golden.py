"""Byte-for-byte outputs of the sample district and the benchmark population.

The package was restructured with no change in behaviour; this check holds every output the move
could have touched (assessments on all three engines, batch files, plan, explain, policy docs,
diagnostics) to the digests recorded before the move. It goes through public entry points only
(the CLI and the top-level API), so it survives any rearrangement of the modules behind them.

A deliberate change in behaviour updates the digests with

    python tests/test_golden.py --update
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import riskgrade
from riskgrade.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]
DIGESTS = Path(__file__).parent / "fixtures" / "golden.json"
DEFAULT = ROOT / "riskgrade" / "policies" / "default"
SAMPLE = ROOT / "riskgrade" / "data" / "sample_district.jsonl"
AS_OF = dt.date(2026, 11, 28)
AS_TEXT = AS_OF.isoformat()
POPULATION = 600


def _population() -> list[dict[str, object]]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from population import population
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return population(POPULATION)


def _dump(items: Iterator[object]) -> bytes:
    lines = []
    for item in items:
        if isinstance(item, riskgrade.Assessment):
            data = item.model_dump(mode="json")
        else:
            data = {"error": str(item)}
        lines.append(json.dumps(data, ensure_ascii=False, sort_keys=True))
    return "\n".join(lines).encode()


def _cli(args: list[str]) -> bytes:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return f"exit {result.exit_code}\n{result.output}".encode()


def outputs(workdir: Path) -> dict[str, bytes]:
    """Every output the digests hold, by name."""
    policy = riskgrade.load_policy()
    sample = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    population = _population()
    out: dict[str, bytes] = {}
    for engine in ("durable", "compiled", "python"):
        out[f"sample.{engine}"] = _dump(
            iter([policy.grade(row, as_of=AS_OF, engine=engine) for row in sample])
        )
    for engine in ("durable", "compiled"):
        out[f"population.{engine}"] = _dump(
            iter(policy.grade_many(population, as_of=AS_OF, engine=engine))
        )
    pop_file = workdir / "population.jsonl"
    pop_file.write_text(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in population), encoding="utf-8"
    )
    for name, source in (("sample", SAMPLE), ("population", pop_file)):
        for suffix in ("csv", "jsonl"):
            target = workdir / f"{name}.out.{suffix}"
            log = _cli(["grade", str(source), "-o", str(target), "--as-of", AS_TEXT])
            out[f"grade.{name}.{suffix}"] = target.read_bytes()
            out[f"grade.{name}.{suffix}.log"] = log.replace(str(workdir).encode(), b"<tmp>")
    for lang in ("zh", "en"):
        plan = workdir / f"plan.{lang}.csv"
        args = ["plan", "-o", plan.name, "--inspectors", "4", "--days", "20"]
        with contextlib.chdir(workdir):  # the table's title holds the path: keep it short
            log = _cli([*args, "--lang", lang, "--as-of", AS_TEXT])
        out[f"plan.{lang}.csv"] = plan.read_bytes()
        out[f"plan.{lang}.summary.csv"] = plan.with_suffix(".summary.csv").read_bytes()
        out[f"plan.{lang}.log"] = log.replace(str(workdir).encode(), b"<tmp>")
        facts = workdir / "facts.jsonl"
        facts.write_text(
            "\n".join(json.dumps(row, ensure_ascii=False) for row in sample[:25]), encoding="utf-8"
        )
        out[f"explain.{lang}"] = _cli(["explain", str(facts), "--lang", lang, "--as-of", AS_TEXT])
        out[f"demo.{lang}"] = _cli(["demo", "--lang", lang])
        out[f"test.{lang}"] = _cli(["test", "--lang", lang])
        out[f"check.bad.{lang}"] = _cli(
            ["check", str(Path(__file__).parent / "fixtures" / "golden_bad.yaml"), "--lang", lang]
        ).replace(str(ROOT).encode(), b"<root>")
    out["schema"] = _cli(["schema"])
    for fmt in ("mermaid", "dot"):
        for what in ("dependencies", "supersession"):
            out[f"graph.{fmt}.{what}"] = _cli(
                ["graph", str(DEFAULT), "--format", fmt, "--what", what, "--lang", "zh"]
            )
    mini = Path(__file__).parent / "fixtures" / "mini.yaml"
    for fmt in ("text", "json"):
        out[f"diff.{fmt}"] = _cli(
            ["diff", str(mini), str(DEFAULT), str(SAMPLE), "--format", fmt, "--as-of", AS_TEXT]
        ).replace(str(ROOT).encode(), b"<root>")
    return out


def _digests(workdir: Path) -> dict[str, str]:
    """Each output's SHA-256, with the checkout's own path (which messages naming a policy file
    given on the command line show) replaced, so that any clone gives the same digests.
    Results carry no path: findings cite their YAML source relative to the policy."""
    return {
        name: hashlib.sha256(data.replace(str(ROOT).encode(), b"<root>")).hexdigest()
        for name, data in outputs(workdir).items()
    }


@pytest.mark.slow
def test_outputs_match_the_recorded_digests(tmp_path: Path) -> None:
    recorded = json.loads(DIGESTS.read_text(encoding="utf-8"))
    current = _digests(tmp_path)
    changed = sorted(
        name for name in recorded.keys() | current.keys() if recorded.get(name) != current.get(name)
    )
    assert not changed, f"outputs changed: {changed}"


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        digests = _digests(Path(tmp))
    DIGESTS.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(digests)} digests written to {DIGESTS}")
