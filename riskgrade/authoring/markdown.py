"""A policy as a readable Markdown document (Chinese and English), for officials to audit.

``python -m riskgrade.authoring.markdown [POLICY] [-o FILE]`` writes it; the bundled default
policy's copy lives beside it as ``README.md`` and a test keeps it current. A hand-written
``method.md`` in the policy folder (the method and its rationale) is placed after the title.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from riskgrade.check.format import Recommends, Trigger
from riskgrade.policy import Policy, default_policy_path, load_policy

_SEVERITY = {"minor": "一般 minor", "serious": "严重 serious", "major": "重大 major"}


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _header(*titles: str) -> list[str]:
    return [_row(*titles), _row(*(["---"] * len(titles)))]


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def method_notes(folder: Path) -> str | None:
    """The hand-written ``method.md`` of a policy folder, if it has one."""
    path = folder / "method.md"
    return path.read_text(encoding="utf-8") if folder.is_dir() and path.is_file() else None


def _recommends(entries: Recommends) -> list[str]:
    """A ``recommend`` list for reading: each id, with its condition where it has one."""
    shown = []
    for entry in entries:
        if isinstance(entry, Trigger) and entry.when.strip() != "true":
            shown.append(f"`{entry.id}` (当 when `{_cell(entry.when)}`)")
        else:
            shown.append(f"`{entry if isinstance(entry, str) else entry.id}`")
    return shown


def render_markdown(policy: Policy, notes: str | None = None) -> str:
    """The whole policy as Markdown: ``notes`` (the method, hand-written), duties and rules with
    their basis, scoring, countermeasures and every legal basis with a summary of its text."""
    p = policy.checked
    title = p.header.title
    out = [
        f"# {title.zh if title else p.header.name}",
        "",
        f"{title.en if title else ''}",
        "",
        f"策略 policy `{p.header.name}` · 版本 version `{p.header.version}` · "
        f"{len(p.rules)} 条规则 rules · {len(p.catalogue)} 项对策 countermeasures",
        "",
        "本文件由策略自动生成（`python -m riskgrade.authoring.markdown`），请勿手工修改。",
        "This file is generated from the policy (`python -m riskgrade.authoring.markdown`);"
        " do not edit it.",
        "",
        *([notes.rstrip(), ""] if notes else []),
        "## 规则 Rules",
        "",
        "数据缺失时：`认定 assumed` 表示按未履行处理并报告数据缺失；"
        "`仅报告 reported` 表示只报告数据缺失。",
        "Unknown facts: `assumed` counts the duty as breached and reports the gap; "
        "`reported` reports the gap only.",
        "",
    ]
    for duty_id, duty in p.duties.items():
        rules = [r for r in p.rules if r.rule.duty == duty_id]
        if not rules:
            continue
        out += [f"### {duty.zh} · {duty.en}", ""]
        out += _header(
            "规则 rule",
            "条件 condition",
            "严重程度 severity",
            "扣分 deduction",
            "依据 basis",
            "缺失 unknown",
            "对策 countermeasures",
        )
        for checked in rules:
            r = checked.rule
            basis = "<br>".join(p.bases[b].zh for b in r.basis)
            recs = _recommends(r.recommend)
            unknown = "认定 assumed" if checked.unknown == "finding" else "仅报告 reported"
            out.append(
                _row(
                    f"`{r.id}`<br>{_cell(r.message.zh)}<br>{_cell(r.message.en)}",
                    f"`{_cell(r.when)}`",
                    _SEVERITY[r.severity],
                    f"{r.deduction:g}",
                    basis,
                    unknown,
                    "<br>".join(recs),
                )
            )
        out.append("")
    out += ["## 派生事实 Derived facts", "", "| 名称 name | 说明 description |", "|---|---|"]
    for derived in p.derived:
        text = derived.description
        description = f"{_cell(text.zh)}<br>{_cell(text.en)}" if text else ""
        out.append(f"| `{derived.name}` | {description} |")
    out += ["", *_scoring(policy), *_catalogue(policy), "", *_bases(policy)]
    return "\n".join(out).rstrip() + "\n"


def _scoring(policy: Policy) -> list[str]:
    s = policy.checked.scoring
    out = ["## 评分 Scoring", "", "### 履责等级 Duty grade", ""]
    out.append(
        f"起始分 start {s.duty.start:g}，每条违规扣除其分值 each violation deducts its points."
    )
    out.append("")
    out += ["| 等级 grade | 最低分 minimum |", "|---|---|"]
    out += [
        f"| {g} | {b.min:g}{' (不含 exclusive)' if b.exclusive else ''} |"
        for g, b in s.duty.bands.items()
    ]
    if s.duty.caps:
        caps = "；".join(f"{_SEVERITY[sev]} → {g}" for sev, g in s.duty.caps.items())
        out += ["", f"最严重违规限定最高等级 the worst violation caps the grade: {caps}"]
    out += ["", f"### 风险等级 Risk level ({s.risk.method.upper()})", ""]
    for name, rows in policy.checked.factors.items():
        out += [f"**{name}**（自上而下取第一条成立的 first row that holds）", ""]
        out += ["| 条件 condition | 取值 value |", "|---|---|"]
        for row, spec in zip(rows, s.risk.factors[name], strict=True):
            note = f" — {spec.note.zh} / {spec.note.en}" if spec.note else ""
            skip = "（缺失时跳过 skipped when unknown）" if spec.unknown == "skip" else ""
            out.append(f"| `{_cell(spec.when)}`{skip} | {row.value.normalize():f}{note} |")
        out.append("")
    matrix = s.risk.matrix
    if matrix is not None:
        columns = [f"{matrix.columns}={v:g}" for v in matrix.column_values]
        out += [f"**矩阵 Matrix**（行 rows {matrix.rows}，列 columns {matrix.columns}）", ""]
        out += _header(f"{matrix.rows} \\ {matrix.columns}", *columns)
        out += [_row(f"{matrix.rows}={r.row:g}", *r.levels) for r in matrix.cells]
    else:
        out += ["| 等级 level | 最低分 minimum |", "|---|---|"]
        out += [
            f"| {lvl} | {b.min:g}{' (不含 exclusive)' if b.exclusive else ''} |"
            for lvl, b in s.risk.bands.items()
        ]
    out += ["", "**调整 Overrides**", ""]
    for o in s.risk.overrides:
        basis = "；".join(policy.checked.bases[b].zh for b in o.basis)
        message = f"{o.message.zh} / {o.message.en}（{basis}）"
        out.append(f"- `{o.id}`: `{_cell(o.when)}` → 至少 at least **{o.at_least}** — {message}")
    if s.risk.recommend:
        out += ["", "**按等级的对策 Countermeasures by level**", ""]
        for level, recs in s.risk.recommend.items():
            out.append(f"- {level}: " + ", ".join(_recommends(recs)))
    out.append("")
    return out


def _bases(policy: Policy) -> list[str]:
    """Every legal basis: its citation, a one-line summary of the text, and who cites it."""
    p = policy.checked
    cited: dict[str, list[str]] = {b: [] for b in p.bases}
    for checked in p.rules:
        for b in checked.rule.basis:
            cited[b].append(f"`{checked.rule.id}`")
    for o in p.scoring.risk.overrides:
        for b in o.basis:
            cited[b].append(f"`{o.id}`")
    for rec_id, entry in p.catalogue.items():
        for b in entry.basis:
            cited[b].append(f"`{rec_id}`")
    for b in p.scoring.risk.basis:
        cited[b].append("risk level")
    out = ["## 法律依据 Legal bases", ""]
    out.append("每项依据及其条文要点（一行），便于核对。")
    out.append("Each basis with its text in one line, to check.")
    out.append("")
    out += _header("编号 id", "依据 citation", "条文要点 summary", "罚则 penalty", "引用 cited by")
    for basis_id, basis in p.bases.items():
        summary = f"{_cell(basis.summary.zh)}<br>{_cell(basis.summary.en)}" if basis.summary else ""
        penalty = _cell(basis.penalty.zh) if basis.penalty else ""
        citation = f"{_cell(basis.zh)}<br>{_cell(basis.en)}"
        users = ", ".join(dict.fromkeys(cited[basis_id]))
        out.append(_row(f"`{basis_id}`", citation, summary, penalty, users))
    return out


def _catalogue(policy: Policy) -> list[str]:
    out = ["## 对策 Countermeasures", ""]
    out += _header(
        "编号 id",
        "对策 countermeasure",
        "责任方 responsible",
        "优先级 priority",
        "期限（天） days",
        "取代 supersedes",
    )
    for rec_id, entry in policy.checked.catalogue.items():
        supersedes = ", ".join(f"`{s}`" for s in entry.supersedes)
        title = f"{_cell(entry.title.zh)}<br>{_cell(entry.title.en)}"
        out.append(
            _row(
                f"`{rec_id}`",
                title,
                entry.responsible,
                entry.priority,
                entry.deadline_days,
                supersedes,
            )
        )
    return out


def main() -> None:
    """The command line: print POLICY as Markdown, or write it to ``-o FILE``; with no POLICY,
    rewrite the bundled default policy's ``README.md``."""
    parser = argparse.ArgumentParser(description="Write a policy as a Markdown document.")
    parser.add_argument("policy", nargs="?", type=Path, default=None)
    parser.add_argument("-o", "--output", type=Path, default=None)
    args = parser.parse_args()
    policy = load_policy(args.policy)
    output = args.output or (default_policy_path() / "README.md" if args.policy is None else None)
    folder = args.policy if args.policy is not None else default_policy_path()
    text = render_markdown(policy, method_notes(folder))
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}")


if __name__ == "__main__":
    main()
