"""Every command that reads a ledger takes ``--encoding`` with one meaning and one help text,
and the "pass --encoding" hint is given only where the option exists.

The ledger is a Big5 export (a Hong Kong or Taiwan office's spreadsheet): without the option its
Chinese names come out as GB18030 mojibake, with ``--encoding big5`` as written."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from riskgrade.cli import main
from tests.conftest import MINI

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")

NAME, COMMUNITY = "麵館", "灣仔社區"
LEDGER = (
    "id,name,industry,employees,community,safety_department,emergency_plan\n"
    f"B1,{NAME},catering,12,{COMMUNITY},no,no\n"
    f"B2,{NAME}二,retail,40,{COMMUNITY},yes,no\n"
    f"B3,{NAME}三,construction,260,{COMMUNITY},no,no\n"
)
LEDGER_ARGUMENTS = {"input_path", "facts", "data"}
"""The names a command gives the ledger it reads."""


def _big5(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.csv"
    path.write_bytes(LEDGER.encode("big5"))
    assert NAME not in path.read_bytes().decode("gb18030")  # read the default way: mojibake
    return path


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(main, [*args, "--as-of", "2026-11-28", "--lang", "en"])
    assert result.exit_code in (0, 1), result.output
    return result.output


def test_every_ledger_command_has_the_same_encoding_option() -> None:
    readers = {
        name: command
        for name, command in main.commands.items()  # type: ignore[attr-defined]
        if LEDGER_ARGUMENTS & {p.name for p in command.params if isinstance(p, click.Argument)}
    }
    assert {"grade", "report", "plan", "explain", "diff"} <= set(readers)
    helps = set()
    for name, command in readers.items():
        options = {p.name: p for p in command.params if isinstance(p, click.Option)}
        assert "encoding" in options, f"{name} reads a ledger but has no --encoding"
        helps.add(options["encoding"].help)
    assert len(helps) == 1


def test_report_reads_a_big5_ledger(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    _run(["report", str(_big5(tmp_path)), "-o", str(page), "--encoding", "big5"])
    assert COMMUNITY in page.read_text(encoding="utf-8")


def test_plan_reads_a_big5_ledger(tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    args = ["plan", str(_big5(tmp_path)), "-o", str(plan), "--encoding", "big5"]
    _run([*args, "--inspectors", "1", "--days", "5"])
    assert NAME in plan.read_text(encoding="utf-8-sig")


def test_explain_reads_a_big5_ledger(tmp_path: Path) -> None:
    assert NAME in _run(["explain", str(_big5(tmp_path)), "--encoding", "big5"])


def test_diff_reads_a_big5_ledger(tmp_path: Path) -> None:
    mini = tmp_path / "mini.yaml"
    mini.write_text(MINI, encoding="utf-8")
    args = ["diff", str(mini), str(mini), str(_big5(tmp_path)), "--encoding", "big5"]
    output = _run([*args, "--format", "json"])
    assert json.loads(output)["units"] == 3


def test_a_header_in_another_encoding_names_the_option_of_the_command(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.csv"
    ledger.write_bytes("統一社會信用代碼,行業\n".encode("big5") + b"\xff\xfe\n")
    for args in (
        ["report", str(ledger), "-o", str(tmp_path / "r.html")],
        ["plan", str(ledger), "-o", str(tmp_path / "p.csv"), "--inspectors", "1", "--days", "1"],
        ["explain", str(ledger)],
        ["grade", str(ledger), "-o", str(tmp_path / "g.csv")],
    ):
        result = CliRunner().invoke(main, [*args, "--encoding", "utf-8", "--lang", "en"])
        assert result.exit_code == 2, result.output
        assert "not UTF-8 text" in result.output and "--encoding" in result.output
        assert "no such option" not in result.output.lower()


def test_an_unknown_encoding_is_a_usage_error_everywhere(tmp_path: Path) -> None:
    ledger = _big5(tmp_path)
    for args in (["report", str(ledger), "-o", str(tmp_path / "r.html")], ["explain", str(ledger)]):
        result = CliRunner().invoke(main, [*args, "--encoding", "klingon"])
        assert result.exit_code == 2 and "klingon" in result.output, result.output


def test_the_library_hint_names_the_parameter_not_a_command_option(tmp_path: Path) -> None:
    from riskgrade.batch.read import read_rows
    from riskgrade.errors import InputError

    ledger = tmp_path / "ledger.csv"
    ledger.write_bytes(b"\xff\xfe\xfa,x\n1,2\n")
    with pytest.raises(InputError) as caught:
        list(read_rows(ledger))
    assert "encoding=" in str(caught.value) and "--encoding" not in str(caught.value)
