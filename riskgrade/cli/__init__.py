"""The ``riskgrade`` command line: grade, report, plan, check, test, explain, graph, diff, schema,
facts, template.

Every command has a Python function behind it (``riskgrade.policy.diagnose``,
``riskgrade.authoring.cases.run_cases``, ``riskgrade.authoring.explain.explain`` ...);
every sentence it prints exists in Chinese and English (``--lang``; the default follows the
locale, Chinese first).

Exit status, for every command: 0 all good; 1 some rows failed (or a check or test found
problems); 2 usage, policy, settings, input or output error; 3 the command stopped partway or
failed inside (interrupted, disk full, a worker process died, a bug): a message, never a raw
traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from riskgrade.cli._common import add_epilogs, sample_rows
from riskgrade.cli.authoring import check_command, diff_command, graph_command, schema_command
from riskgrade.cli.batching import grade_command
from riskgrade.cli.demo import demo
from riskgrade.cli.explaining import explain_command
from riskgrade.cli.ledger import facts_command, template_command
from riskgrade.cli.supervising import plan_command, report_command
from riskgrade.cli.testing import test_command
from riskgrade.errors import RunAborted
from riskgrade.i18n import default_lang, t

ABORTED = 3
"""Exit status of a command that stopped partway or failed inside (distinct from 1, "some rows
failed", and 2, "bad usage or input")."""


class _Commands(click.Group):
    """The command group: a command that stops partway exits with :data:`ABORTED` and a
    message, not a traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Note the command's ``--lang`` (for messages about a failure) and parse as usual."""
        ctx.meta["riskgrade.lang"] = _lang(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; map an interruption or an unexpected failure to exit status 3."""
        lang = ctx.meta.get("riskgrade.lang") or default_lang()
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo(t("interrupted", lang), err=True)
            sys.exit(ABORTED)
        except RunAborted as exc:
            click.echo(t("run_stopped", lang, error=exc), err=True)
            sys.exit(ABORTED)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            click.echo(t("internal_error", lang, error=error), err=True)
            sys.exit(ABORTED)


def _lang(words: list[str]) -> str:
    """The ``--lang`` among a command's arguments, else the locale's language."""
    for word, after in zip(words, [*words[1:], ""], strict=True):
        value = after if word == "--lang" else word.removeprefix("--lang=")
        if word.startswith("--lang") and value in ("zh", "en"):
            return value
    return default_lang()


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit status: 0 all good; 1 some rows failed or problems found; 2 usage, policy, "
    "input or output error; 3 stopped partway or failed inside (interrupted, disk full, a "
    "worker died).",
)
@click.version_option(package_name="riskgrade")
def main() -> None:
    """riskgrade: grade work-safety duty fulfilment and risk from YAML policies."""


for command in (
    demo,
    grade_command,
    check_command,
    test_command,
    explain_command,
    graph_command,
    diff_command,
    schema_command,
    report_command,
    plan_command,
    facts_command,
    template_command,
):
    main.add_command(command)
add_epilogs(main.commands.values())

__all__ = ["default_lang", "main", "sample_rows"]
