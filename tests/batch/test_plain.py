"""What the table reader takes as plain CSV reads exactly as the csv module reads it."""

from __future__ import annotations

import csv
import io
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.batch import plain
from riskgrade.batch.plain import LINE, lines_in, parsed_block, plain_line

HEAD = b"x,y\n"


def _records(block: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(block.decode("utf-8"), newline="")))


_TEXT = st.text(alphabet='a",\r\n \x1c道', max_size=6)
_CELL = st.one_of(_TEXT, _TEXT.map(lambda t: '"' + t.replace('"', '""') + '"'))  # noise, quoted
_LINE = st.one_of(_TEXT, st.lists(_CELL, min_size=1, max_size=3).map(",".join))


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=4), st.sampled_from([1 << 20, 1, 5]))
def test_a_plain_block_is_one_record_per_line_as_the_csv_module_reads_it(
    lines: list[str], piece: int
) -> None:
    """(The quotes are checked in pieces of whole lines: of one line each, or a few.)"""
    block = ("\n".join(lines) + "\n").encode("utf-8")
    with mock.patch.object(plain, "_PIECE", piece):
        batch = parsed_block(HEAD, block, 2)
    if batch is None:
        return
    records = _records(block)  # the csv module reads a plain block without an error
    assert len(records) == lines_in(block) == batch.height
    assert batch[LINE].to_list() == list(range(2, 2 + batch.height))
    for record, row in zip(records, batch.drop(LINE).rows(), strict=True):
        assert len(record) <= 2
        assert [cell or "" for cell in row] == record + [""] * (2 - len(record))


def test_what_is_not_plain() -> None:
    cases = {
        "not UTF-8": "a,街道\n".encode("gb18030"),
        "a cell over a line break": b'a,"b\nc"\n',
        "an odd quote": b'a,b"c\n',
        "a quote inside an unquoted cell": b'a,x""y\n',
        "a closed cell going on": b'a,"b"c\n',
        "an empty quoted cell going on": b'""a"",b\n',
        "a space after a closing quote": b'"a" ,b\n',
        "a lone carriage return": b"a,b\rc\n",
        "a cell past the header": b"a,b,c\n",
        "a quote left open on a last line without a line feed": b'x,"A1""',
        "a line over 8 MiB": b"a,b\n" + b"c," + b"d" * (8 << 20) + b"\n",
    }
    for name, block in cases.items():
        assert parsed_block(HEAD, block, 2) is None, name
        with mock.patch.object(plain, "_PIECE", 4):  # the quote in a later piece
            assert parsed_block(HEAD, b"a,b\n" * 5 + block, 2) is None, name
    assert parsed_block(HEAD, b"a,b\n\n\r\nc,d", 2) is not None  # blank lines, no last feed
    compact = b'"{""a"":1,""b"":""x,y""}","a ""b"" c"\r\n"""",""\n'  # JSON in cells, quotes
    assert parsed_block(HEAD, compact, 2) is not None


def test_a_header_the_two_readers_count_apart_is_not_plain() -> None:
    assert plain_line(b'id,name,"a ""b"""\r\n')
    assert not plain_line(b'"" ","a"",id,name\n')  # csv: 4 cells, Polars: 3
    assert not plain_line(b'id,"name\n')
