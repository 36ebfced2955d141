"""Coverage-guided fuzzing with atheris (on demand, not in CI; ``pip install atheris``).

    python fuzz/atheris_fuzz.py facts  -max_total_time=300
    python fuzz/atheris_fuzz.py policy -max_total_time=300 fuzz/corpus/policy
    python fuzz/atheris_fuzz.py expr   -max_total_time=300

``facts`` feeds JSON documents built from the fuzzer's bytes to ``Policy.grade`` on the compiled
and durable paths: only ``FactError`` may come out. ``policy`` feeds YAML text (seeded with the
test policy) to ``load_policy_source`` and grades with whatever loads: only ``PolicyError``.
``expr`` feeds text to the expression parser and type checker: only ``ExprSyntaxError`` (a
``PolicyError`` diagnostic source). Anything else is a crash that atheris reports with the input.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["riskgrade"]):
    import riskgrade
    from riskgrade.check.checked import BASE_SCHEMA
    from riskgrade.policy import load_policy_source
    from riskgrade.rules.expr import ExprSyntaxError, parse
    from riskgrade.rules.typecheck import typecheck

AS_OF = dt.date(2026, 11, 28)
POLICY = riskgrade.load_policy()
MINI = (Path(__file__).parent.parent / "tests" / "fixtures" / "mini.yaml").read_text("utf-8")
FIELDS = list(riskgrade.Enterprise.model_fields)


def _value(fdp: atheris.FuzzedDataProvider, depth: int = 0) -> object:
    kind = fdp.ConsumeIntInRange(0, 8 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return fdp.ConsumeBool()
    if kind == 2:
        return fdp.ConsumeInt(8)
    if kind == 3:
        return fdp.ConsumeRegularFloat()
    if kind in (4, 5):
        return fdp.ConsumeUnicodeNoSurrogates(12)
    if kind == 6:
        return [_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    keys = ["id", "level", "found_on", "deadline", "rectified_on", "height_m", "registered"]
    return {
        fdp.PickValueInList(keys): _value(fdp, depth + 1)
        for _ in range(fdp.ConsumeIntInRange(0, 4))
    }


def facts(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    row = {"id": "F", "industry": "retail", "employees": 3}
    for _ in range(fdp.ConsumeIntInRange(0, 12)):
        row[fdp.PickValueInList(FIELDS)] = _value(fdp)
    for engine in ("compiled", "durable"):
        try:
            POLICY.grade(row, as_of=AS_OF, engine=engine)  # type: ignore[arg-type]
        except riskgrade.FactError:
            pass


def policy(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    try:
        loaded = load_policy_source({"fuzzed.yaml": text})
    except riskgrade.PolicyError as exc:
        assert all(d.line >= 0 for d in exc.diagnostics)
        return
    for row in ({"id": "a", "industry": "retail", "employees": 5}, {"id": "b"}):
        try:
            loaded.grade(row, as_of=AS_OF, engine="durable")
            loaded.grade(row, as_of=AS_OF, engine="compiled")
        except riskgrade.FactError:
            pass


def expr(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(200)
    try:
        node = parse(text)
    except ExprSyntaxError:
        return
    typecheck(node, BASE_SCHEMA)


def main() -> None:
    targets = {"facts": facts, "policy": policy, "expr": expr}
    if len(sys.argv) < 2 or sys.argv[1] not in targets:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(targets)}}} [libFuzzer options]")
    target = targets[sys.argv.pop(1)]
    if target is policy:
        corpus = Path(__file__).parent / "corpus" / "policy"
        corpus.mkdir(parents=True, exist_ok=True)
        (corpus / "mini.yaml").write_text(MINI, encoding="utf-8")
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
