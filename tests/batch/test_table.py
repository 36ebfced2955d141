"""CSV ledgers read as tables on the columnar engine (``riskgrade.batch.table``): the same
results and error files, byte for byte, as the row-by-row reader on the compiled engine, for
plain cells and odd ones (which take the row reader's path inside a table run)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade
from riskgrade.batch import plain, table
from riskgrade.batch.columns import MAX_CELL
from riskgrade.batch.read import load_mapping
from riskgrade.batch.run import grade_file
from riskgrade.bundled import sample_district_path

AS_OF = dt.date(2026, 11, 28)
POLICY = riskgrade.load_policy()
HAZARD = {"id": "H1", "level": "major", "found_on": "2026-10-01", "deadline": "2026-10-20"}

ODD_CELLS: dict[str, list[Any]] = {
    "employees": ["", "1", "0", "yes", "3.0", "3.5", "-2", "1,200", "abc", " 12 ", "1" + "0" * 19],
    "annual_revenue": ["1e3", "nan", "1,000.5", "是", "", "  "],
    "safety_department": ["是", "否", "TRUE", "2", "maybe", "0"],
    "last_drill": ["2026-02-30", "2026/6/1", "2026-06-01", "1", "yes"],
    "industry": ["餐饮", "noodles", " retail ", "1", "\x1cretail"],
    "hazards": [
        "[]", "[", "{}", "[1]", "[{}]", json.dumps([HAZARD]), json.dumps([{**HAZARD, "x": 1}]),
        json.dumps([{**HAZARD, "level": 5}]), json.dumps([HAZARD, {"id": "H2"}]),
        json.dumps([{**HAZARD, "id": 12345678901234567890}]), "nope", "3",
    ],
    "elevators": [
        json.dumps([{"id": "L1", "commissioned_year": 2001.5}]),
        json.dumps([{"id": "L1", "commissioned_year": 2001}]),
        json.dumps([{"id": "L1", "registered": 1}]),
        json.dumps([{"id": "L1", "registered": "是"}]),
    ],
    "序号": ["1", "", "x"],
    "name": ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3", "a,b"],
    "id": ["", " ", "X-1"],
}  # fmt: skip


def _sample() -> list[dict[str, Any]]:
    lines = sample_district_path().read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    headers: list[str] = []
    for row in rows:
        headers += [k for k in row if k not in headers]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers)
        writer.writeheader()
        for row in rows:
            cells = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
                     for k, v in row.items()}  # fmt: skip
            writer.writerow(cells)
    return path


def _both(tmp_path: Path, source: Path) -> tuple[bytes, bytes, bytes, bytes]:
    """Results and errors of the compiled engine (row by row) and of the columnar one (in
    tables, here of a few rows each, so that chunks meet every case)."""
    mapping = load_mapping(None)
    out: list[bytes] = []
    for engine in ("compiled", "columnar"):
        result, errors = tmp_path / f"{engine}.csv", tmp_path / f"{engine}.errors.csv"
        with mock.patch.object(table, "TABLE_CHUNK", 2_000):
            summary = grade_file(
                POLICY, POLICY.source, source, result, errors=errors, as_of=AS_OF,
                engine=engine, mapping=mapping,
            )  # fmt: skip
        assert summary.consistent
        out += [result.read_bytes(), errors.read_bytes()]
    return out[0], out[1], out[2], out[3]


def test_the_sample_district_graded_as_a_table_equals_the_row_reader(tmp_path: Path) -> None:
    rows = _sample()
    rows[5]["id"] = rows[2]["id"]  # a repeated id
    source = _write(tmp_path / "district.csv", rows)
    assert plain.plain_csv(source)
    chunks = list(table.read_chunks(source, POLICY.program.policy, load_mapping(None)))
    assert sum(c.typed.height for c in chunks) == len(rows)  # every row went the table way
    a, a_errors, b, b_errors = _both(tmp_path, source)
    assert a == b and a_errors == b_errors
    assert b"duplicate id" in b_errors


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_odd_cells_give_the_same_files_as_the_row_reader(tmp_path: Path, data: Any) -> None:
    rows = _sample()[:12]
    for row in rows:
        for column, choices in ODD_CELLS.items():
            if data.draw(st.booleans()):
                row[column] = data.draw(st.sampled_from(choices))
    source = _write(tmp_path / "ledger.csv", rows)
    a, a_errors, b, b_errors = _both(tmp_path, source)
    assert a.decode() == b.decode()
    assert a_errors.decode() == b_errors.decode()


def test_plain_csv_sends_other_files_row_by_row(tmp_path: Path) -> None:
    rows = _sample()[:3]
    source = _write(tmp_path / "plain.csv", rows)
    assert plain.plain_csv(source)
    broken = tmp_path / "multiline.csv"
    broken.write_text(
        source.read_text("utf-8").replace("老城街道", '"老城\n街道"', 1), encoding="utf-8"
    )
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(source.read_text("utf-8").encode("gb18030"))
    for other in (broken, gbk):
        assert not plain.plain_csv(other), other.name
        a, a_errors, b, b_errors = _both(tmp_path, other)
        assert a == b and a_errors == b_errors


@pytest.mark.parametrize("blank", ["\n", "\r\n", " \n", ",,\n", "\n\n\n"])
def test_blank_lines_keep_a_file_plain_and_number_the_rows_as_the_row_reader(
    tmp_path: Path, blank: str
) -> None:
    rows = _sample()[:6]
    rows[4]["employees"] = "abc"  # a failed row after the blank lines names its line
    source = _write(tmp_path / "blank.csv", rows)
    lines = source.read_text("utf-8").split("\n")
    lines[2] += "\n" + blank.removesuffix("\n")  # after the second row
    source.write_text("\n".join(lines), encoding="utf-8")
    assert plain.plain_csv(source)
    chunks = list(table.read_chunks(source, POLICY.program.policy, load_mapping(None)))
    assert sum(c.typed.height + len(c.rows) for c in chunks) == len(rows)
    a, a_errors, b, b_errors = _both(tmp_path, source)
    assert a == b and a_errors == b_errors
    assert f"\n{6 + blank.count(chr(10))},".encode() in b_errors  # its line, blank lines counted


@pytest.mark.parametrize(
    "late", ["multiline", "gb18030", "odd quote", "quotes apart", "open at the end", "lone CR"]
)
def test_a_file_that_stops_being_plain_is_finished_row_by_row(tmp_path: Path, late: str) -> None:
    rows = _sample() + _sample()[:6]
    for i, row in enumerate(rows[len(rows) // 2 :]):
        row["id"] = f"{row['id']}-{i}"
    rows[-2]["id"] = rows[1]["id"]  # a repeated id on either side of the hand-over
    for row in rows[-4:]:
        row[next(k for k in row if k in ("name", "企业名称"))] = "甲单位"  # a cell in the results
    source = _write(tmp_path / "ledger.csv", rows)
    text = source.read_text("utf-8")
    cut = text.index("\n", len(text) * 3 // 4) + 1  # blocks of plain lines come first
    tail = text[cut:]
    if late == "multiline":
        tail = tail.replace("街道", '"街\n道"', 1)
    elif late == "odd quote":
        tail = tail.replace("街道", '街"道', 1)
    elif late == "quotes apart":  # the csv module reads 甲单位"", Polars 甲单位
        tail = tail.replace(",甲单位,", ',""甲单位"",', 1)
    elif late == "open at the end":  # the last cell, no line feed: 2026-05-27" to csv
        tail = tail.rstrip("\n")
        tail = tail[: tail.rindex(",") + 1] + '"2026-05-27""'
    elif late == "lone CR":  # the csv module refuses it in an unquoted cell
        tail = tail.replace("街道", "街\r道", 1)
    encoded = tail.encode("gb18030" if late == "gb18030" else "utf-8")
    source.write_bytes(text[:cut].encode("utf-8") + encoded)
    assert not plain.plain_csv(source)
    tables: list[int] = []
    real = table._grade_chunk

    def spy(*args: Any) -> Any:
        graded, seen = real(*args)
        tables.append(graded.results.height + len(graded.failed))
        return graded, seen

    with mock.patch.object(table, "_grade_chunk", spy):
        a, a_errors, b, b_errors = _both(tmp_path, source)
    assert sum(tables) >= len(rows) // 2  # the plain part went the table way
    assert a == b and a_errors == b_errors
    assert b"duplicate id" in b_errors


@pytest.mark.parametrize(
    "early",
    [
        "\x1c,\x1d,,",  # blank to Python's csv reader (str.strip), not to Polars
        "{row},extra",  # a cell past the header's last column
        ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,x",
        '{row}"x,"{row}',  # a quoted cell left open at a block's end
    ],
)
def test_rows_the_two_readers_count_apart_never_shift_a_hand_over(
    tmp_path: Path, early: str
) -> None:
    rows = _sample() + _sample()[:6]
    for i, row in enumerate(rows[len(rows) // 2 :]):
        row["id"] = f"{row['id']}-{i}"
    source = _write(tmp_path / "ledger.csv", rows)
    lines = source.read_text("utf-8").split("\n")
    lines.insert(3, early.format(row=lines[3]))
    lines[-3] = lines[-3].replace("街道", '街"道', 1)  # late: the rest goes row by row
    source.write_text("\n".join(lines), encoding="utf-8")
    assert '街"道' in lines[-3] and not plain.plain_csv(source)
    a, a_errors, b, b_errors = _both(tmp_path, source)
    assert a == b and a_errors == b_errors


@pytest.mark.parametrize("size", [300, 1_000, 1 << 20])
@pytest.mark.parametrize("skip", [0, 4, 11])
def test_resuming_a_table_run_skips_the_rows_already_written(
    tmp_path: Path, skip: int, size: int
) -> None:
    rows = _sample()[:12]
    rows[6] = dict.fromkeys(rows[6], "  ")  # a row of blanks: no unit, but a row number
    source = _write(tmp_path / "district.csv", rows)
    policy = POLICY.program.policy
    chunks = list(table.read_chunks(source, policy, load_mapping(None), skip=skip, size=size))
    lines = [n for c in chunks for n in c.typed["__line"].to_list() if n >= c.new_from]
    assert lines == [n for n in range(2, 14) if n != 8][skip:]
    assert len(chunks) > 1 or size > 10_000 or skip  # small blocks: many chunks, numbered through


def test_a_ledger_with_no_id_column_fails_each_row_as_the_row_reader(tmp_path: Path) -> None:
    """Every row fails on its id (the table path raised a column error before: exit 3)."""
    source = tmp_path / "no_id.csv"
    source.write_text("单位编码,行业,从业人员数\nA1,餐饮,3\nA2,零售,5\n", encoding="utf-8")
    a, a_errors, b, b_errors = _both(tmp_path, source)
    assert a == b and a_errors == b_errors
    assert a_errors.decode("utf-8-sig").splitlines()[1:] == [
        "2,,id,Field required",
        "3,,id,Field required",
    ]


@pytest.mark.parametrize("column", ["safety_department", "ownership", "employees"])
def test_a_column_blank_in_every_row_grades_as_the_row_reader(tmp_path: Path, column: str) -> None:
    rows = _sample()[:5]
    for row in rows:
        row[next(k for k in row if k == column or k in _HEADERS.get(column, ()))] = ""
    source = _write(tmp_path / "blank_column.csv", rows)
    a, a_errors, b, b_errors = _both(tmp_path, source)
    assert a == b and a_errors == b_errors


def test_cells_at_and_past_the_longest_a_cell_may_be_grade_as_the_row_reader(
    tmp_path: Path,
) -> None:
    """A cell is measured in characters: one of MAX_CELL Chinese characters (three times as
    many bytes) stays on the table path; from one character more on (the csv module fails the
    record unread, id and all), the row reader reads the file, in a text and in a list column."""
    rows = _sample()[:6]
    rows[1]["name"] = "中" * MAX_CELL
    source = _write(tmp_path / "at.csv", rows)
    assert plain.plain_csv(source)
    a, a_errors, b, b_errors = _both(tmp_path, source)
    assert a == b and a_errors == b_errors and b"characters" not in b_errors
    rows[2]["name"] = "中" * (MAX_CELL + 1)
    rows[3]["name"] = "x" * (MAX_CELL + 1)
    rows[4]["hazards"] = [{**HAZARD, "id": "中" * MAX_CELL}]
    source = _write(tmp_path / "past.csv", rows)
    assert not plain.plain_csv(source)
    a, a_errors, b, b_errors = _both(tmp_path, source)
    assert a == b and a_errors == b_errors
    assert a_errors.count(b"a cell over 131,072 characters") == 3


def test_a_flag_column_of_many_spellings_grades_as_the_row_reader(tmp_path: Path) -> None:
    """More distinct cells in a flag column than are compared one by one: looked up instead."""
    spellings = ["是", "否", "TRUE", "false", "Y", "n", "1", "0", "有", "无", "yes", "maybe"]
    rows = _sample()[: len(spellings)]
    for row, cell in zip(rows, spellings, strict=True):
        row["safety_department"] = cell
    source = _write(tmp_path / "flags.csv", rows)
    with mock.patch.object(table, "TABLE_CHUNK", 1 << 20):  # one table: every spelling in it
        chunks = list(table.read_chunks(source, POLICY.program.policy, load_mapping(None)))
    assert len(chunks) == 1 and len(chunks[0].rows) == 1  # "maybe": the row reader's
    result, errors = tmp_path / "o.csv", tmp_path / "o.errors.csv"
    grade_file(POLICY, POLICY.source, source, result, errors=errors, as_of=AS_OF,
               engine="columnar", mapping=load_mapping(None))  # fmt: skip
    a, a_errors, _, _ = _both(tmp_path, source)
    assert result.read_bytes() == a and errors.read_bytes() == a_errors


_HEADERS = {"safety_department": ("安全生产管理机构",), "ownership": ("所有制", "经济类型"),
            "employees": ("从业人员数",)}  # fmt: skip


@pytest.mark.parametrize("stop_after", [1, 2])
def test_a_resumed_run_still_finds_an_id_repeated_from_the_rows_graded_before(
    tmp_path: Path, stop_after: int
) -> None:
    rows = _sample()[:12]
    rows[11]["id"] = rows[0]["id"]  # line 13 repeats line 2, graded before the stop
    rows[7]["employees"] = "abc"  # a row the row reader reads, before and after
    source = _write(tmp_path / "ledger.csv", rows)
    expected, expected_errors = tmp_path / "c.csv", tmp_path / "c.errors.csv"
    mapping = load_mapping(None)
    grade_file(POLICY, POLICY.source, source, expected, errors=expected_errors, as_of=AS_OF,
               engine="compiled", mapping=mapping)  # fmt: skip
    result, errors = tmp_path / "o.csv", tmp_path / "o.errors.csv"
    seen: list[int] = []

    def stop(rows_done: int) -> None:
        seen.append(rows_done)
        if len(seen) == stop_after:
            raise KeyboardInterrupt

    with (
        mock.patch.object(table, "TABLE_CHUNK", 1_500),
        mock.patch.object(table, "PARSE_CHUNK", 1_000),
    ):
        with pytest.raises(KeyboardInterrupt):
            grade_file(POLICY, POLICY.source, source, result, errors=errors, as_of=AS_OF,
                       engine="columnar", mapping=mapping, on_progress=stop)  # fmt: skip
        assert 0 < seen[-1] < 11  # stopped with line 13 still to grade
        grade_file(POLICY, POLICY.source, source, result, errors=errors, as_of=AS_OF,
                   engine="columnar", mapping=mapping, resume=True)  # fmt: skip
    assert result.read_bytes() == expected.read_bytes()
    assert errors.read_bytes() == expected_errors.read_bytes()
    assert b"\n13," in errors.read_bytes() and b"first in row 2" in errors.read_bytes()


def test_a_row_with_an_odd_cell_takes_the_row_readers_path(tmp_path: Path) -> None:
    rows = _sample()[:4]
    rows[1]["employees"] = "abc"
    rows[2]["hazards"] = "[{"
    source = _write(tmp_path / "odd.csv", rows)
    chunks = list(table.read_chunks(source, POLICY.program.policy, load_mapping(None)))
    assert [row.number for c in chunks for row in c.rows] == [3, 4]
    assert [line for c in chunks for line in c.typed["__line"].to_list()] == [2, 5]


def test_a_fact_given_by_two_columns_is_refused_as_the_row_reader_refuses_it(
    tmp_path: Path,
) -> None:
    rows = _sample()[:3]
    rows[0]["从业人员数"] = 5
    source = _write(tmp_path / "twice.csv", rows)
    for engine in ("compiled", "columnar"):
        with pytest.raises(riskgrade.InputError, match="both give 'employees'"):
            grade_file(
                POLICY, POLICY.source, source, tmp_path / f"{engine}.csv", as_of=AS_OF,
                engine=engine, mapping=load_mapping(None),
            )  # fmt: skip


def test_block_mb_sets_how_much_of_a_ledger_is_one_table(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from riskgrade.cli import main

    rows = [{**row, "id": f"{row['id']}-{i}"} for i in range(6) for row in _sample()]  # a few MB
    source = _write(tmp_path / "district.csv", rows)
    blocks = -(-source.stat().st_size // (1 << 20))  # 1 MiB blocks of whole lines
    assert blocks >= 2
    tables: list[int] = []
    real = table._grade_chunk

    def spy(*args: Any) -> Any:
        graded, seen = real(*args)
        tables.append(graded.results.height)
        return graded, seen

    outputs = []
    for extra in ([], ["--block-mb", "1"]):
        tables.clear()
        out = tmp_path / f"out{len(extra)}.csv"
        with mock.patch.object(table, "_grade_chunk", spy):
            result = CliRunner().invoke(
                main,
                ["grade", str(source), "-o", str(out), "--engine", "columnar",
                 "--as-of", AS_OF.isoformat(), *extra],
            )  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append((len(tables), out.read_bytes()))
    (default_tables, default_out), (small_tables, small_out) = outputs
    assert default_tables == 1 and small_tables in (blocks, blocks + 1)
    assert small_out == default_out


def test_parts_are_a_quarter_of_a_table_within_bounds() -> None:
    """Smaller tables (``--block-mb``) read smaller parts too: memory follows the parts."""
    mib = 1 << 20
    assert table.part_size(32 * mib) == table.PARSE_CHUNK == 8 * mib
    assert [table.part_size(n * mib) for n in (16, 8, 4, 1)] == [4 * mib, 2 * mib, mib, mib]
    assert table.part_size(64 * mib) == 8 * mib
    assert table.part_size(2_000) == 2_000  # a table smaller than 1 MiB: one part


def test_a_failing_stage_leaves_no_reading_thread_behind(tmp_path: Path) -> None:
    """Validation raising in its thread ends the stages before it at once (the traceback the
    caller holds must not keep a thread reading the file)."""
    rows = [{**row, "id": f"{row['id']}-{i}"} for i in range(3) for row in _sample()]
    source = _write(tmp_path / "ledger.csv", rows)
    before = set(threading.enumerate())
    real, calls = table._checked, []

    def failing(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("validation failed")
        return real(*args)

    with mock.patch.object(table, "_checked", failing), pytest.raises(RuntimeError) as raised:
        for _ in table.grade_chunks(POLICY, source, None, as_of=AS_OF, size=2_000):
            pass
    assert raised.value.__traceback__ is not None  # still held here
    assert [t.name for t in set(threading.enumerate()) - before] == []
