"""``riskgrade explain``: why a unit got its grade and what would improve it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path

import click

from riskgrade.authoring.explain import explain, render
from riskgrade.batch.columns import Columns
from riskgrade.batch.names import FieldNames
from riskgrade.cli._common import (
    as_of_option,
    encoding_option,
    engine_option,
    lang_option,
    open_policy,
    read_ledger,
    resolve_as_of,
    resolve_lang,
)
from riskgrade.errors import FactError


@click.command("explain")
@click.argument("facts", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(exists=False, path_type=Path),
    default=None,
    help="Policy file or folder (default: the bundled default policy).",
)
@as_of_option
@engine_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@encoding_option
@lang_option
def explain_command(
    facts: Path,
    policy_path: Path | None,
    as_of: dt.datetime | None,
    engine: str,
    fmt: str,
    lang: str | None,
    encoding: str | None,
) -> None:
    """Explain the grade of each enterprise in FACTS (JSON, JSON Lines, CSV, XLSX, Parquet)."""
    lang = resolve_lang(lang)
    policy = open_policy(policy_path, lang)
    failed = False
    columns = Columns()
    rows = read_ledger(facts, lang, encoding, columns)
    names = FieldNames(columns.headers, lang)  # failed fields by the ledger's own headers
    for row in rows:
        if row.problem is not None:  # the reader could not read it: say why, not what is missing
            click.echo(f"row {row.number}: {row.problem.field}: {row.problem.message}", err=True)
            failed = True
            continue
        try:
            explanation = explain(policy, row.facts, as_of=resolve_as_of(as_of), engine=engine)  # type: ignore[arg-type]
        except FactError as exc:
            click.echo(str(FactError(names.errors(exc.errors), exc.entity_id)), err=True)
            failed = True
            continue
        if fmt == "json":
            payload = {
                "assessment": explanation.assessment.model_dump(mode="json"),
                "next_level": dataclasses.asdict(explanation.next_level),
                "next_grade": dataclasses.asdict(explanation.next_grade),
            }
            click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            click.echo(render(explanation, policy, lang))
    sys.exit(1 if failed else 0)
