"""Named benchmark scenarios, each against the hand-written baseline measured in the same run.

    python benchmarks/scenarios.py latency
    python benchmarks/scenarios.py throughput [--size 100000]
    python benchmarks/scenarios.py stream [--size 1000000] [--engine columnar] [--workers 1]
    python benchmarks/scenarios.py scaling [--rules 500]
    python benchmarks/scenarios.py soak [--size 100000]

Each prints a summary and writes ``benchmarks/results/<scenario>.json``. Machines here are
shared and noisy: compare the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import baseline
from population import AS_OF, population

import riskgrade
from riskgrade.check import check
from riskgrade.check.load import load_path
from riskgrade.grading.evaluate import environment
from riskgrade.rules.durable_engine import DurableEngine

RESULTS = Path(__file__).parent / "results"


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def save(name: str, result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(
        json.dumps({"machine": machine(), **result}, indent=2), encoding="utf-8"
    )
    print(json.dumps(result, indent=2))


def timed(func: Any) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def latency(args: argparse.Namespace) -> None:
    """One unit through ``grade()`` on every engine (median and p99), beside the hand-written
    function and the durable engine's own call for the same unit (the pipeline around it)."""
    policy = riskgrade.load_policy()
    row = population(1, seed=1, unknown=0)[0]
    engines = ("compiled", "python", "durable", "columnar")
    for engine in engines:
        policy.grade(row, as_of=AS_OF, engine=engine)  # build each engine first
    env = environment(policy.program, *policy.validate(row), AS_OF, policy.program.compiled)
    durable = policy.program.durable()
    samples: dict[str, list[float]] = {k: [] for k in ("baseline", *engines, "durable_engine_only")}
    for _ in range(args.repeat):
        samples["baseline"].append(timed(lambda: baseline.grade(row, AS_OF)))
        for engine in engines:
            samples[engine].append(timed(lambda e=engine: policy.grade(row, as_of=AS_OF, engine=e)))
        samples["durable_engine_only"].append(timed(lambda: list(durable.run(env))))
    median = {k: statistics.median(v) * 1e6 for k, v in samples.items()}
    p99 = {k: statistics.quantiles(v, n=100)[98] * 1e6 for k, v in samples.items()}
    around = median["durable"] - median["durable_engine_only"]
    save(
        "latency",
        {
            "repeat": args.repeat,
            "median_us": median,
            "p99_us": p99,
            "ratio_to_baseline": {k: v / median["baseline"] for k, v in median.items()},
            "durable_pipeline_over_engine": around / median["durable_engine_only"],
        },
    )


def throughput(args: argparse.Namespace) -> None:
    policy = riskgrade.load_policy()
    rows = population(args.size, unknown=0)
    seconds = {
        "baseline": timed(lambda: [baseline.grade(r, AS_OF) for r in rows]),
        "compiled": timed(lambda: sum(1 for _ in policy.grade_many(rows, as_of=AS_OF))),
    }
    durable_rows = rows[: min(len(rows), 20_000)]
    durable = timed(
        lambda: sum(1 for _ in policy.grade_many(durable_rows, as_of=AS_OF, engine="durable"))
    )
    per_second = {k: args.size / v for k, v in seconds.items()}
    per_second["durable"] = len(durable_rows) / durable
    save(
        "throughput",
        {
            "size": args.size,
            "durable_size": len(durable_rows),
            "per_second": per_second,
            "ratio_to_baseline": {k: per_second["baseline"] / v for k, v in per_second.items()},
        },
    )


def _write_csv(path: Path, size: int) -> None:
    fields = None
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer: Any = None
        for start in range(0, size, 10_000):
            for row in population(min(10_000, size - start), seed=start, unknown=0):
                flat = {
                    k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
                    for k, v in row.items()
                }
                flat["id"] = f"U{start:08d}{flat['id'][-6:]}"
                if writer is None:
                    fields = list(flat)
                    writer = csv.DictWriter(handle, fieldnames=fields)
                    writer.writeheader()
                writer.writerow(flat)


def _baseline_stream(source: Path, target: Path) -> None:
    with (
        source.open(encoding="utf-8", newline="") as handle,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(out)
        for record in csv.DictReader(handle):
            row: dict[str, Any] = {}
            for key, value in record.items():
                if value == "":
                    row[key] = None
                elif value[:1] == "[":
                    row[key] = json.loads(value)
                elif value in ("True", "False"):
                    row[key] = value == "True"
                else:
                    try:
                        row[key] = int(value)
                    except ValueError:
                        try:
                            row[key] = float(value)
                        except ValueError:
                            row[key] = value
            level, grade, rules = baseline.grade(row, AS_OF)
            writer.writerow([row["id"], level, grade, " ".join(rules)])


def _polars_stream(source: Path, target: Path) -> None:
    """The default policy as a hand-written Polars query over the file, as a data team would
    write it: typed reading (flat columns inferred, the JSON list columns decoded), the query of
    ``polars_baseline``, the results written with Polars; a chunk at a time, as ours goes."""
    import polars as pl
    import polars_baseline

    nested = ("hazards", "buildings", "elevators")
    head = pl.read_csv(source, n_rows=20_000, infer_schema_length=None)
    schema = {c: (pl.String() if c in nested else t) for c, t in head.schema.items()}
    schema |= {c: pl.String() for c in ("id", "name", "street", "community", "last_drill")}
    items = {c: head[c].str.json_decode(infer_schema_length=None).dtype for c in nested}
    reader = pl.scan_csv(source, schema=schema).with_columns(
        pl.col(c).str.json_decode(items[c]) for c in nested
    )
    with target.open("wb") as out:
        for chunk in reader.collect_batches(chunk_size=100_000):
            graded = polars_baseline.grade_frame(chunk, AS_OF)
            graded.with_columns(pl.col("violations").list.join(" ")).write_csv(out)


def stream(args: argparse.Namespace) -> None:
    """``riskgrade grade`` of a CSV file (nested lists as JSON cells) against the hand-written
    plain-Python loop and the hand-written Polars query over the same file."""
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "district.csv", Path(folder) / "graded.csv"
        _write_csv(source, args.size)
        size_mb = source.stat().st_size / 1e6
        polars_s = timed(lambda: _polars_stream(source, Path(folder) / "polars.csv"))
        python_rows = min(args.size, 200_000)  # the loop's rate is steady; spare the machine
        head = Path(folder) / "head.csv"
        with source.open(encoding="utf-8") as whole, head.open("w", encoding="utf-8") as part:
            part.writelines(line for _, line in zip(range(python_rows + 1), whole, strict=False))
        python_s = timed(lambda: _baseline_stream(head, Path(folder) / "baseline.csv"))
        command = [
            sys.executable, "-m", "riskgrade", "grade", str(source), "-o", str(target),
            "--as-of", AS_OF.isoformat(), "--engine", args.engine,
            "--workers", str(args.workers), "--lang", "en",
        ]  # fmt: skip
        start = time.perf_counter()
        done, peak_mb = _run_measured(command)
        ours = time.perf_counter() - start
        with target.open(encoding="utf-8-sig") as handle:
            written = sum(1 for _ in handle) - 1
        rates = {
            "riskgrade": args.size / ours,
            "polars_query": args.size / polars_s,
            "python_loop": python_rows / python_s,
        }
        save(
            "stream",
            {
                "rows": args.size,
                "rows_written": written,
                "input_mb": size_mb,
                "engine": args.engine,
                "workers": args.workers,
                "summary": done.stdout.strip().splitlines()[-1]
                if done.stdout
                else done.stderr[-500:],
                "seconds": {"riskgrade": ours, "polars_query": polars_s},
                "python_loop_rows": python_rows,
                "rows_per_second": rates,
                "ratio_to_polars_query": ours / polars_s,
                "speedup_over_python_loop": rates["riskgrade"] / rates["python_loop"],
                "peak_rss_mb_largest_process": peak_mb,
            },
        )


def _run_measured(command: list[str]) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``command``; its result and its own peak resident memory in MB, read from
    ``/proc`` while it runs. (``RUSAGE_CHILDREN``'s ``ru_maxrss`` counts the parent's memory at
    the fork: with this script's population in memory it said 937 MB for a run that peaked at
    about 600 MB.)"""
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        peak = 0
        status = Path(f"/proc/{child.pid}/status")
        while child.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            except OSError:  # it has just ended
                break
            time.sleep(0.05)
        out, err = child.communicate()
    return subprocess.CompletedProcess(command, child.returncode, out, err), peak / 1024


def _wide_policy(folder: Path, rules: int) -> Path:
    """The default policy plus ``rules`` generated rules over many facts and thresholds."""
    import shutil

    from riskgrade.policy import default_policy_path

    target = folder / "policy"
    shutil.copytree(default_policy_path(), target)
    (target / "tests.yaml").unlink()
    facts = [
        "employees",
        "self_inspections_90d",
        "violations_12m",
        "penalties_12m",
        "workers_trained",
        "full_time_safety_staff",
        "accidents_3y",
    ]
    flags = ["ppe_provided", "risk_register", "emergency_plan", "safety_rules", "gas_alarm"]
    lines = ["rules:"]
    for i in range(rules):
        fact, flag = facts[i % len(facts)], flags[i % len(flags)]
        lines += [
            f"  - id: generated_{i}",
            "    duty: enforcement",
            f"    when: '{fact} > {i % 50} and not {flag}'",
            "    severity: minor",
            "    deduction: 0.1",
            "    unknown: gap",
            "    basis: [law_112]",
            f"    message: {{zh: 生成规则{i}, en: generated rule {i}}}",
            "    recommend: [safety_publicity]",
        ]
    (target / "generated.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def scaling(args: argparse.Namespace) -> None:
    rows = population(2000, seed=5, unknown=0)
    base = timed(lambda: [baseline.grade(r, AS_OF) for r in rows])
    out: dict[str, Any] = {"rules_added": args.rules, "baseline_per_second": len(rows) / base}
    with tempfile.TemporaryDirectory() as folder:
        for label, path in (("default", None), ("wide", _wide_policy(Path(folder), args.rules))):
            load_s = timed(
                lambda p=path: check(load_path(p or riskgrade.policy.default_policy_path())[0])
            )
            policy = riskgrade.load_policy(path)
            conditions = [r.condition for r in policy.checked.rules]
            compile_s = timed(lambda c=conditions: DurableEngine.for_conditions(c, "scaling"))
            rate = {}
            for engine in ("compiled", "durable"):
                seconds = timed(
                    lambda e=engine, p=policy: sum(
                        1 for _ in p.grade_many(rows, as_of=AS_OF, engine=e)
                    )
                )
                rate[engine] = len(rows) / seconds
            out[label] = {
                "rules": len(conditions),
                "load_and_check_s": load_s,
                "durable_compile_s": compile_s,
                "rulesets": len(policy.engine().program.rulesets),
                "per_second": rate,
                "ratio_to_baseline": {k: (len(rows) / base) / v for k, v in rate.items()},
            }
    save("scaling", out)


def _rss_mb() -> float:
    """The current (not peak) resident set size of this process."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def soak(args: argparse.Namespace) -> None:
    """Memory over a long durable run: units are generated one at a time (nothing kept), the
    resident size sampled every 10,000; flat means no engine state leaks between units."""
    import random

    from population import enterprise

    policy = riskgrade.load_policy()
    samples: dict[str, list[tuple[int, float]]] = {}
    for name in ("baseline", "durable"):
        rng = random.Random(7)
        points = [(0, _rss_mb())]
        start = time.perf_counter()
        for i in range(args.size):
            facts = enterprise(rng, i, unknown=0)
            if name == "durable":
                policy.grade(facts, as_of=AS_OF, engine="durable")
            else:
                baseline.grade(facts, AS_OF)
            if (i + 1) % 10_000 == 0:
                points.append((i + 1, _rss_mb()))
        samples[name] = points
        print(f"{name}: {args.size} units in {time.perf_counter() - start:.1f} s", flush=True)
    durable = samples["durable"]
    after_warmup = [mb for n, mb in durable if n >= 10_000]
    save(
        "soak",
        {
            "units": args.size,
            "rss_mb": {k: [[n, round(mb, 1)] for n, mb in v] for k, v in samples.items()},
            "durable_growth_after_10k_mb": round(after_warmup[-1] - after_warmup[0], 1)
            if after_warmup
            else None,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=["latency", "throughput", "stream", "scaling", "soak"])
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--engine", default="columnar")
    parser.add_argument("--rules", type=int, default=500)
    args = parser.parse_args()
    if args.size is None:
        args.size = {"throughput": 100_000, "stream": 1_000_000, "soak": 100_000}.get(
            args.scenario, 1
        )
    scenarios = {
        "latency": latency,
        "throughput": throughput,
        "stream": stream,
        "scaling": scaling,
        "soak": soak,
    }
    scenarios[args.scenario](args)


if __name__ == "__main__":
    main()
