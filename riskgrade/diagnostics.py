"""One diagnostic type and one renderer for every problem found in a policy."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

# Stable diagnostic codes. Never renumber: editors and CI scripts match on them.
CODES: dict[str, str] = {
    "RG001": "file cannot be read",
    "RG002": "YAML syntax error",
    "RG003": "unsafe YAML tag",
    "RG004": "YAML aliases/anchors are not allowed",
    "RG005": "document too large",
    "RG006": "duplicate key",
    "RG007": "document nested too deeply",
    "RG010": "not a policy document",
    "RG101": "invalid policy structure",
    "RG102": "duplicate id",
    "RG201": "expression syntax error",
    "RG202": "type error in expression",
    "RG203": "unknown fact",
    "RG204": "unknown function",
    "RG205": "unknown enum value",
    "RG206": "expression too complex",
    "RG301": "cycle between derived facts",
    "RG302": "rule can never fire",
    "RG303": "recommendation is never reached",
    "RG304": "unknown recommendation",
    "RG305": "supersession cycle",
    "RG306": "unknown legal basis",
    "RG307": "unknown duty",
    "RG308": "waiver names an unknown rule",
    "RG309": "waiver has expired",
    "RG401": "unknown scoring method",
    "RG402": "invalid scoring table",
    "RG403": "unknown grade or level",
    "RG501": "policy test case is invalid",
    "RG601": "engine limit exceeded",
}


@dataclass(frozen=True)
class Diagnostic:
    """A problem in a policy, located in its YAML source."""

    code: str
    message: str
    file: str = "<policy>"
    line: int = 0
    column: int = 0
    hint: str | None = None
    severity: Severity = "error"

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.code)

    def render(self) -> str:
        """``file:line:col: CODE message (did you mean ...?)``."""
        text = f"{self.file}:{self.line}:{self.column}: {self.code} {self.message}"
        if self.severity == "warning":
            text = f"{self.file}:{self.line}:{self.column}: {self.code} warning: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
            "severity": self.severity,
        }


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A "did you mean" hint for ``name`` among ``choices``, or None."""
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"
