"""``riskgrade grade --engine columnar``: the same result and error files as the per-unit
engine, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskgrade.bundled import sample_district_path
from riskgrade.cli import main


def _grade(source: Path, output: Path, engine: str, *more: str) -> int:
    args = ["grade", str(source), "-o", str(output), "--as-of", "2026-11-28", "--engine", engine]
    result = CliRunner().invoke(main, [*args, *more], catch_exceptions=False)
    return result.exit_code


def _ledger(tmp_path: Path) -> Path:
    rows = [json.loads(line) for line in sample_district_path().read_text("utf-8").splitlines()]
    rows[3]["employees"] = -3  # a bad value
    rows[7]["industry"] = "noodles"  # an unknown industry
    rows[9] = dict(rows[8])  # a repeated id
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + ["{broken"]
    path = tmp_path / "ledger.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_columnar_results_and_errors_equal_the_compiled_ones(tmp_path: Path, suffix: str) -> None:
    source = _ledger(tmp_path)
    assert _grade(source, tmp_path / f"a.{suffix}", "compiled") == 1
    assert _grade(source, tmp_path / f"b.{suffix}", "columnar") == 1
    if suffix == "csv":
        assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    else:
        import openpyxl

        def cells(path: Path) -> list[tuple[object, ...]]:
            sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
            return list(sheet.iter_rows(values_only=True))

        assert cells(tmp_path / "a.xlsx") == cells(tmp_path / "b.xlsx")
    errors = (tmp_path / f"a.{suffix}").with_name("a.errors.csv")
    assert errors.read_bytes() == (tmp_path / "b.errors.csv").read_bytes()
    assert len(errors.read_text("utf-8-sig").splitlines()) == 5  # header + 4 bad rows


def test_columnar_refuses_json_results(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["grade", str(sample_district_path()), "-o", str(tmp_path / "r.jsonl"),
               "--engine", "columnar", "--as-of", "2026-11-28"]
    )  # fmt: skip
    assert result.exit_code == 2
    assert "CSV, XLSX or Parquet" in result.output
    assert not (tmp_path / "r.jsonl").exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("deduction: 10\n", "deduction: 10.1234567\n"), "10.1234567 has more"),
        (
            ("derived:\n", "derived:\n  duty_score: {type: int, expr: 'employees + 1'}\n"),
            "'duty_score'",
        ),
    ],
)
def test_a_policy_no_table_can_grade_is_refused_at_the_start(
    tmp_path: Path, change: tuple[str, str], reason: str
) -> None:
    from tests.conftest import MINI

    policy = tmp_path / "mini.yaml"
    policy.write_text(MINI.replace(*change, 1), encoding="utf-8")
    source = _ledger(tmp_path)
    for suffix in ("csv", "xlsx"):
        output = tmp_path / f"r.{suffix}"
        result = CliRunner().invoke(
            main, ["grade", str(source), "-o", str(output), "--policy", str(policy),
                   "--engine", "columnar", "--as-of", "2026-11-28"]
        )  # fmt: skip
        assert result.exit_code == 2, result.output
        assert reason in result.output and "--engine compiled" in result.output
        assert not output.exists() and not output.with_name("r.errors.csv").exists()
    assert _grade(source, tmp_path / "c.csv", "compiled", "--policy", str(policy)) == 1


def test_a_byte_order_mark_inside_a_utf8_sig_ledger_reads_as_on_the_row_reader(
    tmp_path: Path,
) -> None:
    """Two exports joined: the second part begins with its own byte order mark. Read with
    ``--encoding utf-8-sig``, the row reader takes it off every line; the table path kept it
    (a row failed on ``'\\ufeff零售'``), so such a ledger is read row by row."""
    first = "\ufeff行业,统一社会信用代码,从业人员数,劳动防护用品\r\n零售,A1,3,是\r\n"
    second = "\ufeff零售,B1,5,是\r\n餐饮,B2,4,否\r\n"
    source = tmp_path / "joined.csv"
    source.write_bytes((first + second).encode("utf-8"))
    for name, engine in (("a.csv", "compiled"), ("b.csv", "columnar")):
        assert _grade(source, tmp_path / name, engine, "--encoding", "utf-8-sig") == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.errors.csv").read_bytes() == (tmp_path / "b.errors.csv").read_bytes()
    assert len((tmp_path / "b.csv").read_text("utf-8-sig").splitlines()) == 4
