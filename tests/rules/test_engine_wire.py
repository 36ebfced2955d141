"""What crosses into durable_rules: numbers in every form Python writes, and grading from
several threads at once."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskgrade
from riskgrade.policy import load_policy_source
from tests.conftest import MINI, ROOT

AS_OF = dt.date(2026, 11, 28)
# the mini policy and a rule that reads a number fact (annual_revenue) directly
REVENUE_RULE = """  - id: revenue_outlier
    duty: staffing
    when: 'annual_revenue > 100000 or annual_revenue < 0.5'
    severity: serious
    deduction: 5
    basis: [law_24]
    message: {zh: 营业收入异常, en: Revenue outlier}
    recommend: [provide_ppe]
"""


def _revenue_policy() -> riskgrade.Policy:
    text = MINI.replace("  - id: no_ppe\n", REVENUE_RULE + "  - id: no_ppe\n")
    return load_policy_source({"mini.yaml": text})


def _both(policy: riskgrade.Policy, facts: dict[str, Any]) -> tuple[Any, Any]:
    dumps = []
    for engine in ("durable", "compiled"):
        dumped = policy.grade(facts, as_of=AS_OF, engine=engine).model_dump(mode="json")
        dumped.pop("engine")
        dumps.append(dumped)
    return dumps[0], dumps[1]


@pytest.mark.parametrize("revenue", [1e16, 1e-07, 1.5e300, 5e-324, 10**17, 2.5e-05, 12.5])
def test_numbers_python_writes_in_exponent_form_grade_on_durable(revenue: float) -> None:
    # 1e+16 and 1e-07 were refused by durable_rules (error 204) and became an EngineError
    policy = _revenue_policy()
    facts = {"id": "N1", "industry": "retail", "employees": 5, "annual_revenue": revenue}
    durable, compiled = _both(policy, facts)
    assert durable == compiled
    fired = "revenue_outlier" in {f["rule"] for f in durable["findings"]}
    assert fired == (revenue > 100000 or revenue < 0.5)


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_any_finite_number_grades_alike_on_durable_and_compiled(revenue: float) -> None:
    facts = {"id": "N2", "industry": "retail", "employees": 5, "annual_revenue": revenue}
    durable, compiled = _both(_revenue_policy(), facts)
    assert durable == compiled


def test_counts_beyond_64_bits_grade_alike_on_durable_and_compiled(
    default_policy: riskgrade.Policy,
) -> None:
    facts = {"id": "N3", "industry": "retail", "employees": 10**20, "violations_12m": 2**63}
    durable, compiled = _both(default_policy, facts)
    assert durable == compiled


# ---------------------------------------------------------------------------------- threads

THREADED = r"""
import datetime as dt, json, sys, threading
import riskgrade
from riskgrade.batch.read import read_rows
from riskgrade.supervision.settings import sample_district_path

# Switch threads every 10 µs (CPython's default is 5 ms) so that gradings interleave inside
# the engine as they do under a loaded web server; 4 threads crashed every run before the lock.
sys.setswitchinterval(1e-5)
policy = riskgrade.load_policy()
rows = [row.facts for row in read_rows(sample_district_path())][:{rows}]
as_of = dt.date(2026, 11, 28)
out = {{}}
for engine in {engines}:
    def grade_all():
        return [policy.grade(r, as_of=as_of, engine=engine).model_dump_json() for r in rows]

    alone = grade_all()
    results, errors = [[] for _ in range({threads})], []

    def work(k):
        try:
            results[k] = grade_all()
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(k,)) for k in range({threads})]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out[engine] = {{"errors": errors, "same": all(r == alone for r in results)}}
print(json.dumps(out))
"""


def _run_threaded(engines: tuple[str, ...], threads: int, rows: int) -> dict[str, Any]:
    code = THREADED.format(engines=engines, threads=threads, rows=rows)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    # a crash inside the engine kills the child (exit -11, 139 from a shell), not pytest
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    return json.loads(done.stdout)


@pytest.mark.slow
def test_grading_from_eight_threads_equals_grading_alone() -> None:
    out = _run_threaded(("durable", "compiled", "python"), threads=8, rows=150)
    for engine, seen in out.items():
        assert seen == {"errors": [], "same": True}, engine


def test_durable_grading_from_threads_does_not_crash() -> None:
    out = _run_threaded(("durable",), threads=4, rows=60)
    assert out["durable"] == {"errors": [], "same": True}
