"""``riskgrade facts`` and ``riskgrade template``: what a ledger holds, and an empty one to fill.

``facts`` lists every fact the policy reads (name, type, Chinese headers, allowed values with
their Chinese names, and what the policy does when it is unknown); ``template`` writes an empty
XLSX ledger with those headers, drop-downs for enums and yes/no facts, date checks for dates,
and the linked sheets 隐患, 建筑 and 电梯 that ``riskgrade grade`` reads by unit.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

import click
from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo
from rich.table import Table

from riskgrade.cli._common import console, lang_option, open_policy, resolve_lang
from riskgrade.facts import ITEM_LABELS, Building, Elevator, Enterprise, Hazard, fact_label
from riskgrade.i18n import LEDGER_SHEETS, t
from riskgrade.policy import Policy
from riskgrade.values import BOOL_WORDS, ENUM_NAMES

_ITEM_MODELS: dict[str, type[BaseModel]] = {
    "hazards": Hazard,
    "buildings": Building,
    "elevators": Elevator,
}
_ROWS = 1000  # template rows that carry formats and checks


def _kind(info: FieldInfo) -> str:
    """A field's type as the reference names it: bool, int, number, date, text, enum, list."""
    core: Any = info.annotation
    if typing.get_origin(core) in (typing.Union, types.UnionType):
        core = next(a for a in typing.get_args(core) if a is not type(None))
    if typing.get_origin(core) is typing.Literal:
        return "enum"
    if typing.get_origin(core) is tuple:
        return "list"
    names = {bool: "bool", int: "int", float: "number", str: "text"}
    return names.get(core, "date")


def _headers(name: str, info: FieldInfo) -> list[str]:
    alias = info.validation_alias
    choices = alias.choices if isinstance(alias, AliasChoices) else []
    return [c for c in choices if isinstance(c, str) and c != name]


def _enum(name: str) -> str | None:
    return "level" if name == "hazards.level" else name if name in ENUM_NAMES else None


def _unknown(policy: Policy, name: str, required: bool) -> dict[str, Any]:
    """What the policy does when fact ``name`` is unknown: the rules reading it (directly or
    through derived facts) by their unknown handling, and the derived facts it feeds."""
    if required:
        return {"required": True}
    checked = policy.checked
    derived = sorted(d for d, sources in checked.derived_sources.items() if name in sources)
    out: dict[str, Any] = {"required": False, "finding": [], "gap": [], "derived": derived}
    for rule in checked.rules:
        if name in rule.reads or any(d in rule.reads for d in derived):
            out.setdefault(rule.unknown, []).append(rule.rule.id)
    return out


def fact_reference(policy: Policy) -> list[dict[str, Any]]:
    """Every fact ``policy`` reads: the schema's (lists' item fields as ``hazards.level`` ...)
    and the policy's own, each with its type, headers, values and unknown handling."""
    out: list[dict[str, Any]] = []
    for name, info in Enterprise.model_fields.items():
        kind = _kind(info)
        out.append(_entry(policy, name, kind, _headers(name, info), info.is_required()))
        if kind == "list":
            for field, item in _ITEM_MODELS[name].model_fields.items():
                label = ITEM_LABELS[name].get(field)
                entry = _entry(policy, f"{name}.{field}", _kind(item), [label] if label else [])
                entry["unknown"] = {"required": False, "sheet": LEDGER_SHEETS[name]}
                out.append(entry)
    for name, decl in policy.checked.extra_facts.items():
        entry = _entry(policy, name, decl.type, [])
        entry["values"] = [{"value": v, "zh": []} for v in decl.values or []]
        out.append(entry)
    return out


def _entry(
    policy: Policy, name: str, kind: str, headers: list[str], required: bool = False
) -> dict[str, Any]:
    """One fact of the reference."""
    enum = _enum(name)
    values = [{"value": v, "zh": list(zh)} for v, zh in ENUM_NAMES[enum].items()] if enum else []
    if kind == "bool":
        values = [{"value": True, "zh": [BOOL_WORDS[0]]}, {"value": False, "zh": [BOOL_WORDS[1]]}]
    return {
        "name": name,
        "type": kind,
        "headers": headers,
        "values": values,
        "unknown": _unknown(policy, name, required),
    }


def _when_unknown(unknown: dict[str, Any], lang: str) -> str:
    if unknown.get("required"):
        return t("unknown_required", lang)
    if "sheet" in unknown:
        return "—"
    lines = [
        t(f"unknown_{mode}", lang, rules=", ".join(unknown[mode]))
        for mode in ("finding", "gap")
        if unknown.get(mode)
    ]
    if unknown.get("derived"):
        lines.append(t("unknown_derived", lang, facts=", ".join(unknown["derived"])))
    return "\n".join(lines) or t("unknown_unread", lang)


@click.command("facts")
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="策略文件或目录 / Policy file or folder (default: the bundled one).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="输出格式 / Output format.",
)
@lang_option
def facts_command(policy_path: Path | None, fmt: str, lang: str | None) -> None:
    """List every fact the policy reads: its type, Chinese headers, allowed values (with their
    Chinese names) and what the policy does when it is unknown."""  # fmt: skip
    lang = resolve_lang(lang)
    policy = open_policy(policy_path, lang)
    reference = fact_reference(policy)
    if fmt == "json":
        click.echo(json.dumps(reference, ensure_ascii=False, indent=2))
        return
    table = Table(title=t("facts_title", lang, policy=f"{policy.name} {policy.version}"))
    for column in t("facts_columns", lang).split("|"):
        table.add_column(column, overflow="fold")
    for entry in reference:
        values = " ".join(
            f"{str(v['value']).lower()}({'/'.join(v['zh'][:3])})" if v["zh"] else str(v["value"])
            for v in entry["values"]
        )
        headers = " ".join(entry["headers"])
        table.add_row(
            entry["name"], entry["type"], headers, values, _when_unknown(entry["unknown"], lang)
        )
    console().print(table)


def _validation(kind: str, enum: str | None) -> Any:
    """The data validation of a template column, or None."""
    from openpyxl.worksheet.datavalidation import DataValidation

    if enum is not None:
        names = ",".join(zh[0] for zh in ENUM_NAMES[enum].values())
        return DataValidation(type="list", formula1=f'"{names}"', errorStyle="warning")
    if kind == "bool":
        return DataValidation(
            type="list", formula1=f'"{",".join(BOOL_WORDS)}"', errorStyle="warning"
        )
    if kind == "date":
        return DataValidation(
            type="date", operator="greaterThan", formula1="1", errorStyle="warning"
        )
    if kind in ("int", "number"):
        return DataValidation(
            type="whole" if kind == "int" else "decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            errorStyle="warning",
        )
    return None


def _sheet(ws: Any, columns: list[tuple[str, str, str | None]]) -> None:
    """Headers, column formats and checks of one template sheet: (header, kind, enum) each."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for number, (header, kind, enum) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=number, value=header)
        cell.font = Font(bold=True)
        letter = get_column_letter(number)
        ws.column_dimensions[letter].width = max(10, 2 * len(header) + 2)
        check = _validation(kind, enum)
        if check is not None:
            check.add(f"{letter}2:{letter}{_ROWS + 1}")
            ws.add_data_validation(check)
        style = {"date": "yyyy-mm-dd", "text": "@"}.get(kind)
        for row in range(2, _ROWS + 2) if style else ():
            ws.cell(row=row, column=number).number_format = style
    ws.freeze_panes = "B2"


def write_template(path: Path) -> None:
    """Write an empty ledger: the unit sheet (企业) with every scalar fact under its Chinese
    header, and the linked sheets 隐患, 建筑 and 电梯 keyed by 企业编号."""
    from openpyxl import Workbook

    workbook = Workbook()
    main = workbook.active
    main.title = LEDGER_SHEETS["main"]
    scalars = [
        (name, kind)
        for name, info in Enterprise.model_fields.items()
        if (kind := _kind(info)) != "list"
    ]
    _sheet(main, [(fact_label(name), kind, _enum(name)) for name, kind in scalars])
    for name, model in _ITEM_MODELS.items():
        items = [("企业编号", "text", None)]
        items += [
            (ITEM_LABELS[name][field], _kind(info), _enum(f"{name}.{field}"))
            for field, info in model.model_fields.items()
        ]
        _sheet(workbook.create_sheet(LEDGER_SHEETS[name]), items)
    notes = workbook.create_sheet(LEDGER_SHEETS["notes"])
    notes.append(["表头", "事实", "类型", "可填写"])
    for name, kind in scalars:
        enum = _enum(name)
        allowed = "、".join(zh[0] for zh in ENUM_NAMES[enum].values()) if enum else ""
        allowed = "、".join(BOOL_WORDS) if kind == "bool" else allowed
        notes.append([fact_label(name), name, kind, allowed])
    workbook.save(path)


@click.command("template")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="要写出的空白台账（.xlsx）/ The empty ledger to write (.xlsx).",
)
@click.option("--force", is_flag=True, help="覆盖已有文件 / Overwrite an existing file.")
@lang_option
def template_command(output: Path, force: bool, lang: str | None) -> None:
    """Write an empty ledger (.xlsx) with Chinese headers, drop-downs for categories and yes/no
    facts, date checks, and the linked sheets 隐患, 建筑 and 电梯."""  # fmt: skip
    lang = resolve_lang(lang)
    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("write the template as .xlsx", param_hint="--output")
    if output.exists() and not force:
        click.echo(t("template_exists", lang, path=output), err=True)
        sys.exit(2)
    write_template(output)
    click.echo(t("template_written", lang, path=output))


__all__ = ["fact_reference", "facts_command", "template_command", "write_template"]
