"""``riskgrade test``: run a policy's YAML test cases and report coverage."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import click

from riskgrade.authoring.cases import CaseResult, run_cases, run_cases_columnar
from riskgrade.authoring.coverage import coverage
from riskgrade.cli._common import lang_option, open_policy, resolve_lang
from riskgrade.i18n import t


@click.command("test")
@click.argument("policy", type=click.Path(exists=False, path_type=Path))
@click.option(
    "--engine",
    type=click.Choice(["durable", "compiled", "python", "columnar", "all"]),
    default="durable",
    show_default=True,
    help="Evaluation path; all runs the cases on every engine (coverage from durable).",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    default=None,
    help="Fail when overall coverage (percent) is below this.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@lang_option
def test_command(
    policy: Path, engine: str, min_coverage: float | None, fmt: str, lang: str | None
) -> None:
    """Run the test cases in POLICY; show failures as expected/actual and report coverage."""
    lang = resolve_lang(lang)
    loaded = open_policy(policy, lang)
    engines = ENGINES if engine == "all" else (engine,)
    runs = {name: _run(loaded, name) for name in engines}
    first = engines[0]
    # Coverage reads assessments, which the columnar engine does not build: take it from a
    # durable run of the same cases.
    covered = runs.get("durable") or (runs[first] if first != "columnar" else run_cases(loaded))
    report = coverage(loaded.checked, covered)
    failed = [r for r in runs[first] if not r.passed]
    for name, others in runs.items():  # a case that fails on another engine fails too
        if name != first:
            failed += [_on(name, r) for r in others if not r.passed]
    ran = sum(len(r) for r in runs.values())  # cases x engines
    hit, total = report.counts()
    too_low = min_coverage is not None and report.percent < min_coverage
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "passed": ran - len(failed),
                    "failed": [_failure(r) for r in failed],
                    "coverage": {
                        "percent": report.percent,
                        "covered": hit,
                        "total": total,
                        "missing": report.missing(),
                    },
                },
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
    else:
        for result in failed:
            click.echo(t("test_failed", lang, name=result.name, location=result.location))
            for mismatch in result.mismatches:
                click.echo(f"  {mismatch.field}")
                click.echo(f"    - {t('expected', lang)}: {mismatch.expected}")
                click.echo(f"    + {t('actual', lang)}: {mismatch.actual}")
        click.echo(t("tests_summary", lang, passed=ran - len(failed), total=ran))
        click.echo(f"{t('coverage_title', lang)}: {report.render()}")
        click.echo(t("thresholds_title", lang))
        click.echo(report.render_thresholds())
        click.echo(t("coverage_total", lang, percent=report.percent, hit=hit, total=total))
        if too_low:
            click.echo(t("coverage_below", lang, percent=report.percent, minimum=min_coverage))
    sys.exit(1 if failed or too_low else 0)


ENGINES = ("durable", "compiled", "python", "columnar")


def _run(policy: Any, engine: str) -> list[CaseResult]:
    """The policy's cases on one engine."""
    if engine == "columnar":
        return run_cases_columnar(policy)
    return run_cases(policy, engine=engine)  # type: ignore[arg-type]


def _on(engine: str, result: CaseResult) -> CaseResult:
    """``result`` named with the engine it failed on."""
    return dataclasses.replace(result, name=f"{result.name} [{engine}]")


def _failure(result: CaseResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "location": str(result.location),
        "mismatches": [
            {"field": m.field, "expected": m.expected, "actual": m.actual}
            for m in result.mismatches
        ],
    }
