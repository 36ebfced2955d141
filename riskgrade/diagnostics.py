"""One diagnostic type and one renderer for every problem found in a policy."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

# Stable diagnostic codes. Never renumber: editors and CI scripts match on them.
CODES: dict[str, tuple[str, str]] = {
    "RG001": ("file cannot be read", "文件无法读取"),
    "RG002": ("YAML syntax error", "YAML 语法错误"),
    "RG003": ("unsafe YAML tag", "不安全的 YAML 标签"),
    "RG004": ("YAML aliases/anchors are not allowed", "不允许使用 YAML 别名/锚点"),
    "RG005": ("document too large", "文件过大"),
    "RG006": ("duplicate key", "重复的键"),
    "RG007": ("document nested too deeply", "嵌套层级过深"),
    "RG010": ("not a policy document", "不是策略文件"),
    "RG101": ("invalid policy structure", "策略结构有误"),
    "RG102": ("duplicate id", "重复的编号"),
    "RG201": ("expression syntax error", "表达式语法错误"),
    "RG202": ("type error in expression", "表达式类型错误"),
    "RG203": ("unknown fact", "未知的事实名"),
    "RG204": ("unknown function", "未知的函数"),
    "RG205": ("unknown enum value", "未知的取值"),
    "RG206": ("expression too complex", "表达式过于复杂"),
    "RG301": ("cycle between derived facts", "派生事实之间存在循环"),
    "RG302": ("rule can never fire", "规则永远不会触发"),
    "RG303": ("recommendation is never reached", "对策永远不会被触发"),
    "RG304": ("unknown recommendation", "未知的对策"),
    "RG305": ("supersession cycle", "对策取代关系存在循环"),
    "RG306": ("unknown legal basis", "未知的法律依据"),
    "RG307": ("unknown duty", "未知的责任项"),
    "RG308": ("waiver names an unknown rule", "豁免指向未知规则"),
    "RG309": ("waiver has expired", "豁免已过期"),
    "RG401": ("unknown scoring method", "未知的评分方法"),
    "RG402": ("invalid scoring table", "评分表有误"),
    "RG403": ("unknown grade or level", "等级设置不完整"),
    "RG404": ("risk matrix lowers the level as a factor rises", "风险矩阵随因子升高反而降低等级"),
    "RG501": ("policy test case is invalid", "策略测试用例有误"),
    "RG601": ("engine limit exceeded", "超出引擎限制"),
}
"""Stable code -> (English title, Chinese title)."""


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

    def render(self, lang: str = "en") -> str:
        """``file:line:col: CODE message (did you mean ...?)``; in Chinese (``lang="zh"``) the
        code's Chinese title leads and the detail follows."""
        message = self.message
        if lang == "zh" and self.code in CODES:
            message = f"{CODES[self.code][1]}：{message}"
        if self.severity == "warning":
            message = ("警告：" if lang == "zh" else "warning: ") + message
        text = f"{self.file}:{self.line}:{self.column}: {self.code} {message}"
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
