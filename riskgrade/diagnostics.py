"""One diagnostic type and one renderer for every problem found in a policy."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from riskgrade.i18n import CODES, t

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Location:
    """A place in a policy's YAML source; prints as ``file:line:col`` (1-based)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


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
        """Orders diagnostics by place in the source (file, line, column), then code."""
        return (self.file, self.line, self.column, self.code)

    def render(self, lang: str = "en") -> str:
        """``file:line:col: CODE message (did you mean ...?)``; in Chinese (``lang="zh"``) the
        code's Chinese title leads and the detail follows."""
        message = self.message
        if lang == "zh" and self.code in CODES:
            message = t("diagnostic_titled", lang, title=CODES[self.code][1], message=message)
        if self.severity == "warning":
            message = t("diagnostic_warning", lang, message=message)
        text = f"{self.file}:{self.line}:{self.column}: {self.code} {message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form with every field, for ``--json`` output and editors."""
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
