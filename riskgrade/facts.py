"""Fact schema v1.1: what riskgrade knows about an enterprise.

v1.1 adds, all optional: ``hazardous_goods``, ``safety_investment``, ``safety_staff_on_duty``,
``rescue_team``, ``last_onsite_drill``, ``canteen_uses_gas``, ``worst_accident_deaths_3y``,
``penalties_180d``, ``refused_correction``; ``floors`` and ``industrial`` on buildings;
``in_use``, ``last_self_test`` and ``safety_assessed`` on elevators.

Every field but ``id``, ``industry`` and ``employees`` is optional; ``None`` means unknown,
and unknown facts are reported by the policy, never read as "no".

>>> Enterprise.model_validate({"id": "X1", "industry": "retail", "employees": 8}).size is None
True
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from riskgrade.errors import FactError
from riskgrade.values import enum_parser, own_enum_value, parse_bool, parse_date, parse_text

Ownership = Literal["state", "private", "foreign", "collective", "individual"]
Industry = Literal[
    "mining",
    "metal_smelting",
    "construction",
    "transport",
    "hazardous_chemicals",
    "fireworks",
    "manufacturing",
    "warehousing",
    "wholesale",
    "retail",
    "catering",
    "hospitality",
    "property_management",
    "entertainment",
    "other",
]
Size = Literal["large", "medium", "small", "micro"]
HazardLevel = Literal["general", "major"]


_iso_date = parse_date  # the name the policy's own date facts are read by
Date = Annotated[dt.date | None, BeforeValidator(parse_date)]
Flag = Annotated[bool | None, BeforeValidator(parse_bool)]
Text = Annotated[str | None, BeforeValidator(parse_text)]
Count = Annotated[int | None, Field(ge=0)]
_ENUM = {name: BeforeValidator(enum_parser(name)) for name in ("ownership", "industry", "size")}


def _alias(name: str, *chinese: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(name, *chinese))


class _Facts(BaseModel):
    # NaN and infinity are never real facts (and would slip past range checks).
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class Hazard(_Facts):
    """An identified hazard (事故隐患)."""

    id: Text = None
    level: Annotated[HazardLevel | None, BeforeValidator(enum_parser("level"))] = None
    found_on: Date = None
    deadline: Date = None
    rectified_on: Date = None

    @model_validator(mode="after")
    def _dates_ordered(self) -> Hazard:
        if self.found_on and self.deadline and self.deadline < self.found_on:
            raise ValueError("deadline is before found_on")
        if self.found_on and self.rectified_on and self.rectified_on < self.found_on:
            raise ValueError("rectified_on is before found_on")
        return self


class Building(_Facts):
    """A building the unit runs or occupies (high-rise fire safety)."""

    id: Text = None
    height_m: Annotated[float | None, Field(ge=0, le=1000)] = None
    residential: Flag = None
    fire_alarm_ok: Flag = None
    sprinklers_ok: Flag = None
    fire_water_ok: Flag = None
    smoke_control_ok: Flag = None
    last_fire_test: Date = None
    control_room_staffed: Flag = None
    floors: Annotated[int | None, Field(ge=1, le=300)] = None
    """Storeys above ground (a single-storey building is never high-rise, GB 50016 §2.1.1)."""
    industrial: Flag = None
    """A factory or warehouse rather than a civil building (民用建筑)."""


class Elevator(_Facts):
    """An elevator the unit is responsible for (使用单位)."""

    id: Text = None
    registered: Flag = None
    commissioned_year: Annotated[int | None, Field(ge=1900, le=2100)] = None
    last_maintenance: Date = None
    last_inspection: Date = None
    inspection_passed: Flag = None
    in_use: Flag = None
    """Still in service (a lift that failed inspection must stop the same day)."""
    last_self_test: Date = None
    """Last yearly self-test (自行检测) in a year without a periodic inspection (TSG T7001)."""
    safety_assessed: Flag = None
    """An old lift's safety assessment (安全评估) has been done."""


class Enterprise(_Facts):
    """Facts about one production or business unit (生产经营单位)."""

    id: Annotated[str, BeforeValidator(parse_text)] = Field(
        min_length=1, validation_alias=AliasChoices("id", "统一社会信用代码", "编号")
    )
    name: Text = _alias("name", "企业名称", "单位名称")
    street: Text = _alias("street", "街道", "镇街")
    community: Text = _alias("community", "社区")
    ownership: Annotated[Ownership | None, _ENUM["ownership"]] = _alias("ownership", "所有制")
    industry: Annotated[Industry, _ENUM["industry"]] = Field(
        validation_alias=AliasChoices("industry", "行业")
    )
    size: Annotated[Size | None, _ENUM["size"]] = _alias("size", "规模")
    above_scale: Flag = _alias("above_scale", "规上", "限上")
    employees: int = Field(ge=0, validation_alias=AliasChoices("employees", "从业人员数"))
    migrant_workers: Count = _alias("migrant_workers", "农民工人数")
    annual_revenue: Annotated[float | None, Field(ge=0)] = _alias("annual_revenue", "营业收入")
    safety_department: Flag = _alias("safety_department", "安全生产管理机构")
    full_time_safety_staff: Count = _alias("full_time_safety_staff", "专职安全员")
    part_time_safety_staff: Count = _alias("part_time_safety_staff", "兼职安全员")
    responsibility_system: Flag = _alias("responsibility_system", "全员安全生产责任制")
    safety_rules: Flag = _alias("safety_rules", "规章制度和操作规程")
    principal_certified: Flag = _alias("principal_certified", "主要负责人考核合格")
    safety_staff_certified: Flag = _alias("safety_staff_certified", "安全管理人员考核合格")
    workers_trained: Count = _alias("workers_trained", "已培训人数")
    migrant_workers_trained: Count = _alias("migrant_workers_trained", "已培训农民工人数")
    special_workers: Count = _alias("special_workers", "特种作业人员数")
    special_workers_certified: Count = _alias("special_workers_certified", "持证特种作业人员数")
    ppe_provided: Flag = _alias("ppe_provided", "劳动防护用品")
    risk_register: Flag = _alias("risk_register", "风险分级管控清单")
    self_inspections_90d: Count = _alias("self_inspections_90d", "近90天隐患自查次数")
    hazards: tuple[Hazard, ...] | None = _alias("hazards", "隐患")
    emergency_plan: Flag = _alias("emergency_plan", "应急预案")
    last_drill: Date = _alias("last_drill", "最近演练日期")
    uses_gas: Flag = _alias("uses_gas", "使用燃气")
    gas_alarm: Flag = _alias("gas_alarm", "燃气报警装置")
    buildings: tuple[Building, ...] | None = _alias("buildings", "建筑")
    elevators: tuple[Elevator, ...] | None = _alias("elevators", "电梯")
    confined_spaces: Flag = _alias("confined_spaces", "有限空间")
    combustible_dust: Flag = _alias("combustible_dust", "粉尘涉爆")
    liability_insurance: Flag = _alias("liability_insurance", "安全生产责任保险")
    third_party_service: Flag = _alias("third_party_service", "第三方服务")
    accidents_3y: Count = _alias("accidents_3y", "近三年事故数")
    fatalities_3y: Count = _alias("fatalities_3y", "近三年死亡人数")
    violations_12m: Count = _alias("violations_12m", "近12月违法次数")
    penalties_12m: Count = _alias("penalties_12m", "近12月处罚次数")
    last_inspection: Date = _alias("last_inspection", "最近监管检查日期")
    # v1.1
    hazardous_goods: Flag = _alias("hazardous_goods", "危险物品", "涉及危险物品")
    safety_investment: Flag = _alias("safety_investment", "安全生产投入", "安全投入保障")
    safety_staff_on_duty: Flag = _alias("safety_staff_on_duty", "安全管理人员在岗履职")
    rescue_team: Flag = _alias("rescue_team", "应急救援组织", "应急救援人员")
    last_onsite_drill: Date = _alias("last_onsite_drill", "最近现场处置方案演练日期")
    canteen_uses_gas: Flag = _alias("canteen_uses_gas", "食堂使用燃气", "单位食堂使用燃气")
    worst_accident_deaths_3y: Count = _alias(
        "worst_accident_deaths_3y", "近三年单起事故最多死亡人数"
    )
    penalties_180d: Count = _alias("penalties_180d", "近180天处罚次数")
    refused_correction: Flag = _alias("refused_correction", "拒不改正")

    @model_validator(mode="after")
    def _cross_field(self) -> Enterprise:
        problems = []
        pairs = [
            ("migrant_workers", self.migrant_workers, "employees", self.employees),
            ("workers_trained", self.workers_trained, "employees", self.employees),
            (
                "migrant_workers_trained",
                self.migrant_workers_trained,
                "migrant_workers",
                self.migrant_workers,
            ),
            (
                "special_workers_certified",
                self.special_workers_certified,
                "special_workers",
                self.special_workers,
            ),
            ("special_workers", self.special_workers, "employees", self.employees),
            (
                "worst_accident_deaths_3y",
                self.worst_accident_deaths_3y,
                "fatalities_3y",
                self.fatalities_3y,
            ),
            ("penalties_180d", self.penalties_180d, "penalties_12m", self.penalties_12m),
        ]
        for name, value, total_name, total in pairs:
            if value is not None and total is not None and value > total:
                problems.append(f"{name} ({value}) exceeds {total_name} ({total})")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def declared_value(value: Any, kind: str, values: list[str] | None = None) -> Any:
    """A value of a fact a policy declares itself, of type ``kind`` (bool, int, number, date,
    str or enum with ``values``); raises ValueError naming what was expected. The one rule for
    such facts: grading, the columnar validation and ``check`` all read them through this.
    Yes/no facts and dates read the schema's spellings (:func:`~riskgrade.values.parse_bool`,
    :func:`~riskgrade.values.parse_date`); enums :func:`~riskgrade.values.own_enum_value`."""
    if value is None:
        return None
    if kind == "bool":  # 是/否, 有/无, √/×, Y/N ... as for the schema's yes/no facts
        read = parse_bool(value)
        if read is not None and not isinstance(read, bool):
            raise ValueError(f"expected true or false (是/否, 有/无, √/×, Y/N), got {value!r}")
        return read
    if kind in ("int", "number"):
        if isinstance(value, str):  # "40", " 40 ", "40.0": read as the schema's counts are
            value = _number_text(value, kind)
            if value is None:
                return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):  # as the schema's numbers
            raise ValueError(f"expected a finite number, got {value!r}")
        if kind == "int" and not float(value).is_integer():
            raise ValueError(f"expected a whole number, got {value!r}")
        return value
    if kind == "date":
        return _iso_date(value)
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    if kind == "enum" and values is not None:  # any case, width and spacing; else did you mean
        return own_enum_value(value, values) if value.strip() else None
    return value


_NUMBER_TEXT = {
    "int": TypeAdapter(int),
    "number": TypeAdapter(float, config=ConfigDict(allow_inf_nan=False)),
}


def _number_text(text: str, kind: str) -> int | float | None:
    """Number text read by pydantic's rules for the schema's counts and amounts (surrounding
    spaces, ``40.0`` for a count); a blank is unknown. Raises ValueError naming the kind."""
    if not text.strip():
        return None
    try:
        number: int | float = _NUMBER_TEXT[kind].validate_python(text)
    except ValidationError:
        whole = "whole " if kind == "int" else ""
        raise ValueError(f"expected a {whole}number, got {text!r}") from None
    return number


def fact_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """Turn pydantic's errors into ``(field path, message)`` pairs."""
    out: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "(enterprise)"
        message = err["msg"]
        if loc == "(enterprise)" or not err["loc"]:
            # A cross-field check: name each field it mentions.
            for problem in message.removeprefix("Value error, ").split("; "):
                out.append((problem.split(" ", 1)[0], problem))
            continue
        out.append((loc, message.removeprefix("Value error, ")))
    return out


def parse_enterprise(facts: dict[str, Any] | Enterprise) -> Enterprise:
    """Validate raw facts into an :class:`Enterprise`, raising :class:`FactError` on bad input."""
    if isinstance(facts, Enterprise):
        return facts
    if not isinstance(facts, dict):
        raise FactError([("(enterprise)", f"expected a mapping, got {type(facts).__name__}")])
    try:
        return Enterprise.model_validate(facts)
    except ValidationError as exc:
        entity = facts.get("id") if isinstance(facts.get("id"), str) else None
        raise FactError(fact_errors(exc), entity_id=entity) from exc


Direction = Literal["higher", "lower", "true", "false", "older"]
"""Which way a fact gets worse: a larger or smaller number, ``true`` or ``false``, an older
date."""

WORSE: dict[str, Direction] = {
    # more people exposed, more incidents: worse
    "employees": "higher",
    "migrant_workers": "higher",
    "special_workers": "higher",
    "accidents_3y": "higher",
    "fatalities_3y": "higher",
    "violations_12m": "higher",
    "penalties_12m": "higher",
    "worst_accident_deaths_3y": "higher",
    "penalties_180d": "higher",
    # fewer safety staff, trained or certified people, checks: worse
    "full_time_safety_staff": "lower",
    "part_time_safety_staff": "lower",
    "workers_trained": "lower",
    "migrant_workers_trained": "lower",
    "special_workers_certified": "lower",
    "self_inspections_90d": "lower",
    # a duty met is better than not
    "safety_department": "false",
    "responsibility_system": "false",
    "safety_rules": "false",
    "principal_certified": "false",
    "safety_staff_certified": "false",
    "ppe_provided": "false",
    "risk_register": "false",
    "emergency_plan": "false",
    "gas_alarm": "false",
    "liability_insurance": "false",
    "safety_investment": "false",
    "safety_staff_on_duty": "false",
    "rescue_team": "false",
    "refused_correction": "true",
    # hazardous conditions present: worse
    "uses_gas": "true",
    "confined_spaces": "true",
    "combustible_dust": "true",
    "hazardous_goods": "true",
    "canteen_uses_gas": "true",
    "last_drill": "older",
    "last_onsite_drill": "older",
}
"""The declared worse direction of each fact of schema v1 that has one (identity, location,
industry, size and revenue have none). Property tests worsen facts along these."""

ITEM_WORSE: dict[str, dict[str, Direction]] = {
    "buildings": {
        "height_m": "higher",
        "fire_alarm_ok": "false",
        "sprinklers_ok": "false",
        "fire_water_ok": "false",
        "smoke_control_ok": "false",
        "last_fire_test": "older",
        "control_room_staffed": "false",
        "floors": "higher",
        "industrial": "false",
    },
    "elevators": {
        "registered": "false",
        "commissioned_year": "lower",
        "last_maintenance": "older",
        "last_inspection": "older",
        "inspection_passed": "false",
        "in_use": "true",
        "last_self_test": "older",
        "safety_assessed": "false",
    },
}
"""Worse directions of the fields of list items. For ``hazards``, one more open hazard is worse."""


ITEM_LABELS: dict[str, dict[str, str]] = {
    "hazards": {"id": "隐患编号", "level": "隐患等级", "found_on": "发现日期",
                "deadline": "整改期限", "rectified_on": "整改完成日期"},
    "buildings": {"id": "建筑编号", "height_m": "建筑高度（米）", "floors": "地上层数",
                  "residential": "住宅", "industrial": "厂房或仓库",
                  "fire_alarm_ok": "火灾自动报警系统完好", "sprinklers_ok": "自动喷水灭火系统完好",
                  "fire_water_ok": "消防给水完好", "smoke_control_ok": "防烟排烟系统完好",
                  "last_fire_test": "最近消防设施检测日期",
                  "control_room_staffed": "消防控制室有人值守"},
    "elevators": {"id": "电梯编号", "registered": "已办理使用登记", "commissioned_year": "投用年份",
                  "last_maintenance": "最近维保日期", "last_inspection": "最近定期检验日期",
                  "inspection_passed": "定期检验合格", "in_use": "在用",
                  "last_self_test": "最近自行检测日期", "safety_assessed": "已做安全评估"},
}  # fmt: skip
"""The Chinese header of each field of a hazard, building or lift, as a ledger's linked sheet
(隐患, 建筑, 电梯) names it."""


def fact_label(name: str, lang: str = "zh") -> str:
    """A fact's name as a reader knows it: its first Chinese ledger header for ``zh`` (the
    name itself where it has none, or for ``en``)."""
    field = Enterprise.model_fields.get(name)
    if lang != "zh" or field is None or not isinstance(field.validation_alias, AliasChoices):
        return name
    chinese = [c for c in field.validation_alias.choices if isinstance(c, str) and c != name]
    return chinese[0] if chinese else name
