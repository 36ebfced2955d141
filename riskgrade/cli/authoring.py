"""``riskgrade check``, ``graph``, ``diff`` and ``schema``: commands for policy authors."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from riskgrade.authoring.ci import to_github, to_junit, to_sarif
from riskgrade.authoring.diff import GRADES, LEVELS, PolicyDiff, diff_policies
from riskgrade.authoring.graphs import dependency_graph, supersession, to_dot, to_mermaid
from riskgrade.batch.columns import Columns
from riskgrade.batch.names import FieldNames
from riskgrade.cli._common import (
    as_of_option,
    encoding_option,
    lang_option,
    open_policy,
    read_rows,
    resolve_as_of,
    resolve_lang,
)
from riskgrade.i18n import t
from riskgrade.policy import diagnose, load_policy
from riskgrade.schema import render as render_schema

_POLICY = click.Path(exists=False, path_type=Path)


@click.command("check")
@click.argument("policy", type=_POLICY)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", "junit", "sarif"]),
    default="text",
    show_default=True,
    help="github: Actions annotations; junit: JUnit XML; sarif: SARIF 2.1.0 (code scanning).",
)
@lang_option
def check_command(policy: Path, fmt: str, lang: str | None) -> None:
    """Report every problem in POLICY (a YAML file or folder) at once; exit 1 on errors."""
    lang = resolve_lang(lang)
    diagnostics = diagnose(policy)
    errors = [d for d in diagnostics if d.severity == "error"]
    if fmt == "github":
        if diagnostics:
            click.echo(to_github(diagnostics))
    elif fmt == "junit":
        click.echo(to_junit(diagnostics, str(policy)))
    elif fmt == "sarif":
        click.echo(to_sarif(diagnostics))
    elif fmt == "json":
        click.echo(
            json.dumps(
                {"ok": not errors, "diagnostics": [d.to_dict() for d in diagnostics]},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for diagnostic in diagnostics:
            click.echo(diagnostic.render(lang))
        if errors:
            click.echo(t("policy_problems", lang, count=len(errors)))
        else:
            loaded = load_policy(policy)
            click.echo(
                t(
                    "policy_ok",
                    lang,
                    name=loaded.name,
                    version=loaded.version,
                    rules=len(loaded.checked.rules),
                    warnings=len(diagnostics),
                )
            )
    sys.exit(1 if errors else 0)


@click.command("graph")
@click.argument("policy", type=_POLICY)
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True
)
@click.option(
    "--what",
    type=click.Choice(["dependencies", "supersession"]),
    default="dependencies",
    show_default=True,
    help="facts -> rules -> findings -> countermeasures, or supersession.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@lang_option
def graph_command(policy: Path, fmt: str, what: str, output: Path | None, lang: str | None) -> None:
    """Export the policy's graph as Mermaid or Graphviz DOT."""
    lang = resolve_lang(lang)
    loaded = open_policy(policy, lang)
    graph = dependency_graph(loaded) if what == "dependencies" else supersession(loaded)
    title = f"{loaded.name} {loaded.version} {what}"
    text = to_mermaid(graph, title) if fmt == "mermaid" else to_dot(graph, title)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(t("graph_written", lang, path=output))


@click.command("diff")
@click.argument("old", type=_POLICY)
@click.argument("new", type=_POLICY)
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@as_of_option
@click.option(
    "--engine",
    type=click.Choice(["columnar", "compiled", "durable", "python"]),
    default="columnar",
    show_default=True,
    help="Evaluation path: columnar grades the ledger a table at a time; the others unit by "
    "unit (all give the same grades).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--limit", type=int, default=50, show_default=True, help="Changed units to list.")
@encoding_option
@lang_option
def diff_command(
    old: Path,
    new: Path,
    data: Path,
    as_of: dt.datetime | None,
    engine: str,
    fmt: str,
    limit: int,
    lang: str | None,
    encoding: str | None,
) -> None:
    """Grade DATA under the OLD and NEW policies and show what moved."""
    lang = resolve_lang(lang)
    before, after = open_policy(old, lang), open_policy(new, lang)
    columns = Columns()
    rows = read_rows(data, lang, encoding, columns)
    when, names = resolve_as_of(as_of), FieldNames(columns.headers, lang)
    result = diff_policies(before, after, rows, as_of=when, engine=engine, names=names)  # type: ignore[arg-type]
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_diff(result, lang, limit))
    sys.exit(1 if result.failed else 0)


def render_diff(result: PolicyDiff, lang: str, limit: int = 50) -> str:
    """The diff as text: transition matrices, changed units, PSI."""
    out = [t("diff_title", lang, old=result.old, new=result.new, count=result.units), ""]
    for key, names, matrix in (
        ("diff_levels", LEVELS, result.levels),
        ("diff_grades", GRADES, result.grades),
    ):
        out.append(t(key, lang))
        out.append("        " + "".join(f"{n:>8}" for n in names))
        for row in names:
            out.append(f"{row:>8}" + "".join(f"{matrix[row][col]:>8}" for col in names))
        out.append("")
    out.append(t("diff_changed", lang, count=len(result.changes)))
    for change in result.changes[:limit]:
        added = "+" + ",+".join(change.rules_added) if change.rules_added else ""
        removed = "-" + ",-".join(change.rules_removed) if change.rules_removed else ""
        out.append(
            f"  {change.entity_id} {change.name or ''}: {change.old_level}/{change.old_grade} → "
            f"{change.new_level}/{change.new_grade} {added} {removed}".rstrip()
        )
    if result.units:
        verdict = (
            "psi_stable"
            if result.psi < 0.1
            else "psi_moderate"
            if result.psi < 0.25
            else "psi_major"
        )
        out += ["", t("diff_psi", lang, psi=result.psi, verdict=t(verdict, lang))]
    else:  # nothing was compared: no verdict at all, least of all "stable"
        out += ["", t("diff_no_units", lang)]
    if result.failed:
        out.append(t("diff_failed_rows", lang, count=result.failed))
        counts = result.transitions()
        out.append(
            "  "
            + ", ".join(
                f"{_outcome(key, lang)}: {counts[key]}" for key in sorted(counts, reverse=True)
            )
        )
        for failure in result.failures[:limit]:
            before = failure.before or t("diff_failed", lang)
            after = failure.after or t("diff_failed", lang)
            who = failure.entity_id or t("diff_row", lang, index=failure.index + 1)
            out.append(f"  {who}: {before} → {after} ({'; '.join(failure.errors)})")
    return "\n".join(out)


def _outcome(transition: str, lang: str) -> str:
    """``graded → failed`` in ``lang``."""
    old, new = transition.split(" → ")
    return f"{t('diff_' + old, lang)} → {t('diff_' + new, lang)}"


@click.command("schema")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@lang_option
def schema_command(output: Path | None, lang: str | None) -> None:
    """Print the JSON Schema of the policy format (for editors and CI)."""
    text = render_schema()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(t("graph_written", resolve_lang(lang), path=output))
