"""Benchmark: policy load, compile and grading speed against a plain-Python baseline.

    python benchmarks/bench_grade.py [--size 5000] [--repeat 3]

Prints a table and writes ``benchmarks/results/bench_grade.json``. Ratios compare each path
with the hand-written baseline measured in the same run (machines here are shared and noisy:
read ratios, not absolute times). The ``polars`` row is the same default policy written by hand
as one Polars query (``polars_baseline.py``), timed on a frame built beforehand (building the
frame from the rows is timed on its own line).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import baseline
import polars as pl
from polars_baseline import grade_frame
from population import AS_OF, population

import riskgrade
from riskgrade.check import check
from riskgrade.check.load import load_path
from riskgrade.grading.columnar import grade_table
from riskgrade.policy import default_policy_path
from riskgrade.rules.durable_engine import DurableEngine


def best_of(repeat: int, func: Any) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "bench_grade.json"
    )
    args = parser.parse_args()

    rows = population(args.size, unknown=0)
    policy = riskgrade.load_policy()
    conditions = [rule.condition for rule in policy.checked.rules]

    load_s = best_of(args.repeat, lambda: check(load_path(default_policy_path())[0]))
    compile_s = best_of(args.repeat, lambda: DurableEngine.for_conditions(conditions, "bench"))
    policy.engine()

    def run(engine: str) -> None:
        for item in policy.grade_many(rows, as_of=AS_OF, engine=engine):  # type: ignore[arg-type]
            assert isinstance(item, riskgrade.Assessment), item
            item.risk_level, item.duty_grade  # noqa: B018 (what a batch reads)

    def run_whole() -> None:  # every assessment read whole: its findings built on first read
        for item in policy.grade_many(rows, as_of=AS_OF):
            assert isinstance(item, riskgrade.Assessment), item
            item.model_dump()

    def run_baseline() -> None:
        for row in rows:
            baseline.grade(row, AS_OF)

    frame_s = best_of(args.repeat, lambda: pl.DataFrame(rows, infer_schema_length=None))
    frame = pl.DataFrame(rows, infer_schema_length=None)

    units = [policy.validate(row) for row in rows]
    timings = {
        "baseline": best_of(args.repeat, run_baseline),
        "polars": best_of(args.repeat, lambda: grade_frame(frame, AS_OF)),
        # the columnar engine from the same frame, validation included, and from units
        # already validated (what it costs once validation is columnar too)
        "columnar": best_of(args.repeat, lambda: policy.grade_frame(frame, as_of=AS_OF)),
        "columnar_eval": best_of(args.repeat, lambda: grade_table(policy.program, units, AS_OF)),
        "compiled": best_of(args.repeat, lambda: run("compiled")),
        "grade_many_columnar": best_of(args.repeat, lambda: run("columnar")),
        "grade_many_dumped": best_of(args.repeat, run_whole),
        "python": best_of(args.repeat, lambda: run("python")),
        "durable": best_of(args.repeat, lambda: run("durable")),
    }
    single = rows[0]
    latency = {
        engine: best_of(50, lambda e=engine: policy.grade(single, as_of=AS_OF, engine=e))
        for engine in ("compiled", "durable")
    }
    # Where the time goes on the durable path: validation + derived facts vs the engine.
    engine = policy.engine()
    from riskgrade.grading.evaluate import environment

    envs = [environment(policy.program, *policy.validate(row), AS_OF) for row in rows]
    validate_s = best_of(args.repeat, lambda: [policy.validate(row) for row in rows])
    engine_s = best_of(args.repeat, lambda: [engine.run(env) for env in envs])

    base = timings["baseline"]
    result = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "size": args.size,
        "policy": {"rules": len(conditions), "load_and_check_s": load_s, "compile_s": compile_s},
        "per_second": {name: args.size / seconds for name, seconds in timings.items()},
        "ratio_to_baseline": {name: seconds / base for name, seconds in timings.items()},
        "polars_frame_s": frame_s,
        "durable_breakdown_s": {
            "validate": validate_s,
            "engine_only": engine_s,
            "total": timings["durable"],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"{args.size} enterprises, {len(conditions)} rules, {machine}")
    print(f"load+check {load_s * 1000:.1f} ms, compile {compile_s * 1000:.1f} ms")
    polars = timings["polars"]
    for name in (
        "baseline",
        "polars",
        "columnar",
        "columnar_eval",
        "grade_many_columnar",
        "grade_many_dumped",
        "compiled",
        "python",
        "durable",
    ):
        rate, ratio = result["per_second"][name], result["ratio_to_baseline"][name]
        versus = timings[name] / polars
        print(f"{name:19} {rate:>10,.0f} /s   x{ratio:.2f} baseline   x{versus:.1f} polars query")
    print(f"polars: building the frame from the rows {frame_s * 1000:.0f} ms (not in its row)")
    total = timings["durable"]
    print(f"durable: validation {validate_s:.2f} s, engine only {engine_s:.2f} s of {total:.2f} s")
    print("one enterprise: " + ", ".join(f"{k} {v * 1000:.2f} ms" for k, v in latency.items()))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
