"""The ``riskgrade`` command line: grade, report, plan, check, test, explain, graph, diff, schema,
facts, template.

Every command has a Python function behind it (``riskgrade.policy.diagnose``,
``riskgrade.authoring.cases.run_cases``, ``riskgrade.authoring.explain.explain`` ...);
every sentence it prints exists in Chinese and English (``--lang``; the default follows the
locale, Chinese first).
"""

from __future__ import annotations

import click

from riskgrade.cli._common import add_epilogs, sample_rows
from riskgrade.cli.authoring import check_command, diff_command, graph_command, schema_command
from riskgrade.cli.batching import grade_command
from riskgrade.cli.demo import demo
from riskgrade.cli.explaining import explain_command
from riskgrade.cli.ledger import facts_command, template_command
from riskgrade.cli.supervising import plan_command, report_command
from riskgrade.cli.testing import test_command
from riskgrade.i18n import default_lang


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
