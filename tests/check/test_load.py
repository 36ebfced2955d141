"""The hardened YAML loader."""

from __future__ import annotations

import datetime as dt

from riskgrade.check.load import load_text


def test_positions_of_every_node() -> None:
    doc, problems = load_text("a: 1\nb:\n  - x: 'two'\n    y: 2026-01-01\n", "f.yaml")
    assert problems == [] and doc is not None
    assert doc.data == {"a": 1, "b": [{"x": "two", "y": dt.date(2026, 1, 1)}]}
    assert doc.positions[("a",)] == (1, 4)
    assert doc.positions[("b",)] == (2, 1)  # a block sits at its key
    assert doc.positions[("b", 0, "x")] == (3, 9)  # inside the quotes
    assert doc.position(("b", 0, "nope")) == doc.positions[("b", 0)]


def test_refusals() -> None:
    cases = {
        "a: &x 1\nb: *x\n": "RG004",
        "a: !!python/object/apply:os.system [ls]\n": "RG003",
        "a: !custom 1\n": "RG003",
        "a: 1\na: 2\n": "RG006",
        "a: [1,\n": "RG002",
        "[" * 40 + "]" * 40: "RG007",
    }
    for text, code in cases.items():
        _, problems = load_text(text, "f.yaml")
        assert [p.code for p in problems] == [code], (text, problems)


def test_empty_document_is_none() -> None:
    doc, problems = load_text("", "f.yaml")
    assert problems == [] and doc is not None and doc.data is None
