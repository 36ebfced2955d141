"""libyaml (when PyYAML has it) reads a policy file exactly as PyYAML's own parser does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from riskgrade.check import load

pytestmark = pytest.mark.skipif(load._FAST is None, reason="PyYAML built without libyaml")

_WORDS = ["安全", "a", '"引号"', "'单'", "中文：冒号", "{k: 值}", "[1, 二]", "2026-01-01", "null",
          "3.5", "|\n  多行", '"转义\\n"', "? q", "!x y", "&a b", "*a", "# c", "a #c", "\u3000",
          "\t", "\r", "\x85", "\u2028", "\ufeff", "0o17", "0x1F", "1_000", ".inf", "yes", "~",
          "<<: {a: 1}", "a:b", "- 列", "--- ", "...", "records?", "[http://e.com/?q=1]", "[a?b]",
          "|#c", ">#c", "{a: , b: 1}", "{a: }", "[a, , b]", "? 中", "{a, b: 1}"]  # fmt: skip
_KEYS = ["键", "key", "规则", "a b"]


@st.composite
def _documents(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        indent = "  " * draw(st.integers(0, 2))
        key, value = draw(st.sampled_from(_KEYS)), draw(st.sampled_from(_WORDS))
        lines.append(
            draw(
                st.sampled_from([
                    f"{indent}{key}: {value}",
                    f"{indent}- {value}",
                    f"{indent}{key}: {{zh: {value}, en: {draw(st.sampled_from(_WORDS))}}}",
                    f"{indent}{key}:",
                ])
            )
        )  # fmt: skip
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return end.join(lines) + draw(st.sampled_from([end, ""]))


def _same(text: str) -> None:
    fast = load._load(text, "f.yaml", yaml.CSafeLoader)
    slow = load._load(text, "f.yaml", yaml.SafeLoader)
    if slow[0] is None or slow[1]:  # PyYAML refuses it: libyaml must not take it instead
        assert fast[0] is None or fast[1] or not load._plain_yaml(text)
        return
    if fast[0] is None or fast[1]:  # libyaml refuses it: load_text reads it with PyYAML
        assert load.load_text(text, "f.yaml") == slow
        return
    assert (fast[0].data, fast[0].positions) == (slow[0].data, slow[0].positions)
    assert load.load_text(text, "f.yaml") == slow  # either way, the same document


@settings(max_examples=600, deadline=None)
@given(_documents())
def test_libyaml_and_pyyaml_read_the_same_documents(text: str) -> None:
    if load._plain_yaml(text):
        _same(text)
    assert load.load_text(text, "f.yaml") == load._load(text, "f.yaml", yaml.SafeLoader)


def test_the_bundled_policy_reads_the_same() -> None:
    files = sorted((Path(load.__file__).parents[1] / "policies").rglob("*.yaml"))
    assert files
    for file in files:
        _same(file.read_text("utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "description: {zh: 记录, en: Migrant workers without training records?}\n",
        "x: [http://e.com/?q=1]\n",
        "a: |#c\n",
        "a: >#c\n  x\n",
        "m: {row: , levels: [1]}\n",
        "---",
        "? 中",
        "a: 1\r\nb: [x]",
    ],
)
def test_what_libyaml_reads_apart_is_read_by_pyyaml(text: str) -> None:
    assert load.load_text(text, "f.yaml") == load._load(text, "f.yaml", yaml.SafeLoader)
