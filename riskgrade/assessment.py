"""The result types: :class:`Assessment` and what it is made of."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from riskgrade.i18n import LEVEL_LABELS


class RiskLevel(IntEnum):
    """The four-colour risk level (安全风险四色分级), ordered from low to high."""

    BLUE = 1
    YELLOW = 2
    ORANGE = 3
    RED = 4

    @property
    def label_zh(self) -> str:
        """The Chinese label, e.g. ``红/重大风险``."""
        return LEVEL_LABELS[self.name.lower()][0]

    @property
    def label_en(self) -> str:
        """The English label, e.g. ``red/major risk``."""
        return LEVEL_LABELS[self.name.lower()][1]

    def label(self, lang: str = "zh") -> str:
        """The label in ``lang`` ("zh" or "en")."""
        return self.label_zh if lang == "zh" else self.label_en

    @classmethod
    def from_name(cls, name: str) -> RiskLevel:
        """The level named ``name`` as policies write it ("red" .. "blue")."""
        return cls[name.upper()]

    @classmethod
    def names(cls, *, worst_first: bool = False) -> tuple[str, ...]:
        """The levels' names as policies and reports write them, blue first (or red first):
        the one place their order is stated."""
        names = tuple(level.name.lower() for level in cls)
        return names[::-1] if worst_first else names


class DutyGrade(StrEnum):
    """A duty-fulfilment grade, "A" (best) to "D" (worst); ``DutyGrade.A == "A"``."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def rank(self) -> int:
        """0 for A (best) to 3 for D (worst)."""
        return _GRADE_RANK[self]

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The grades, best (A) first: the one place their order is stated."""
        return tuple(grade.value for grade in cls)


_GRADE_RANK = {grade: rank for rank, grade in enumerate(DutyGrade)}


SeverityName = Literal["info", "minor", "serious", "major"]
SEVERITY_ORDER: dict[str, int] = {"info": 0, "minor": 1, "serious": 2, "major": 3}


_Plan = tuple[dict[str, None], tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...]]
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type[BaseModel]) -> _Plan:
    """A result type's field names, plain defaults and default factories."""
    fields = cls.__pydantic_fields__
    _PLANS[cls] = plan = (
        dict.fromkeys(fields),
        tuple(
            (n, f.default)
            for n, f in fields.items()
            if f.default_factory is None and not f.is_required()
        ),
        tuple((n, f.default_factory) for n, f in fields.items() if f.default_factory is not None),
    )
    return plan


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """Build from values riskgrade computed itself, already of the fields' types.

        The grading hot path: no validation (``model_validate`` round-trips are tested to give
        the same object); unlike ``model_construct`` it refuses a missing or unknown field."""
        names, defaults, factories = _PLANS.get(cls) or _plan(cls)
        given = set(values)
        if len(values) != len(names):  # ``values`` is our own dict: fill in the defaults
            for name, default in defaults:
                values.setdefault(name, default)
            for name, factory in factories:
                if name not in values:
                    values[name] = factory()
        try:
            data = {name: values[name] for name in names}  # declared order, as JSON shows
        except KeyError:
            data = None
        if data is None or len(data) != len(
            values
        ):  # a field missing, or one the type does not have
            missing, unknown = sorted(names.keys() - values), sorted(values.keys() - names.keys())
            raise TypeError(f"{cls.__name__}.trusted: missing {missing}, unknown {unknown}")
        instance = cls.__new__(cls)
        object.__setattr__(instance, "__dict__", data)
        object.__setattr__(instance, "__pydantic_fields_set__", given)
        object.__setattr__(instance, "__pydantic_extra__", None)
        object.__setattr__(instance, "__pydantic_private__", None)
        return instance


class Finding(_Result):
    """Why a unit was graded as it was, with its legal basis and the facts used as evidence.

    ``kind`` is ``violation`` (a breached duty), ``data_gap`` (a fact the policy needed but
    lacked), ``override`` (a rule that raised the risk level) or ``risk`` (the risk level
    itself, when the level alone calls for a countermeasure)."""

    rule: str
    kind: Literal["violation", "data_gap", "override", "risk"] = "violation"
    duty: str
    severity: SeverityName
    deduction: float = 0
    basis: str
    bases: list[str]
    message: str
    messages: dict[str, str]
    evidence: dict[str, Any]
    missing: list[str] = Field(default_factory=list)
    assumed: bool = False
    """True when the violation was assumed because facts were unknown (pessimistic rule)."""
    source: str = ""


class Recommendation(_Result):
    """A targeted countermeasure from the policy's catalogue."""

    id: str
    priority: int
    deadline_days: int
    responsible: str
    because: list[str]
    title: str
    titles: dict[str, str]
    message: str
    messages: dict[str, str]
    basis: str = ""


class WaiverNote(_Result):
    """A waiver the policy holds for this unit, and whether it applied on the grading date."""

    rule: str
    status: Literal["applied", "expired"]
    justification: dict[str, str]
    approved_by: str
    expires: dt.date


class TraceEvent(_Result):
    """One step of an evaluation: a rule that fired, with its YAML location."""

    stage: Literal["rule", "override", "factor"]
    id: str
    outcome: Literal["true", "unknown"]
    source: str


class Score(_Result):
    """The numbers behind the grades."""

    duty_score: float
    duty_start: float
    deductions: dict[str, float]
    risk_method: str
    factors: dict[str, float]
    risk_score: float
    band_level: str
    overrides: list[str]
    tier: str | None = None


_OWN_DICT = BaseModel.__dict__["__dict__"]  # an instance's own attribute dict
_set = object.__setattr__
_LOAD = "riskgrade: parts still to build"
DEFERRED = ("score", "findings", "recommendations", "trace", "waivers")
"""The fields of an :meth:`Assessment.deferred` assessment built when first read."""


class Assessment(_Result):
    """How one enterprise fulfils its duties and how risky it is, with what to do about it.

    An assessment from :meth:`~riskgrade.Policy.grade_many` on the columnar engine builds its
    score, findings, recommendations, trace and waivers when one of them is first read
    (:meth:`deferred`); it is the same assessment in every other way: equal, dumped, copied
    and pickled with the values it then has."""

    entity_id: str
    name: str | None = None
    as_of: dt.date
    risk_level: RiskLevel
    duty_grade: DutyGrade
    score: Score
    findings: list[Finding]
    recommendations: list[Recommendation]
    trace: list[TraceEvent]
    waivers: list[WaiverNote] = Field(default_factory=list)
    policy_name: str
    policy_version: str
    policy_hash: str
    engine: str

    @classmethod
    def deferred(
        cls, load: Callable[[dict[str, Any]], dict[str, Any]], values: dict[str, Any]
    ) -> Self:
        """An assessment of ``values`` (every field but :data:`DEFERRED`, and any other keys
        ``load`` needs; the dict is kept) whose deferred fields ``load(values)`` gives when one
        of them, its ``__dict__``, ``model_fields_set`` or any dump is first read. One ``load``
        serves many assessments: a batch makes no object per assessment beyond it and its dict.

        ``load`` may run twice if two threads read at once; it must give equal values."""
        instance = cls.__new__(cls)
        values[_LOAD] = load  # until built (only ``__dict__`` reads it)
        _OWN_DICT.__set__(instance, values)
        _set(instance, "__pydantic_fields_set__", _ALL_SET)
        _set(instance, "__pydantic_extra__", None)
        _set(instance, "__pydantic_private__", None)
        return instance

    # pydantic reads and writes fields through ``__dict__`` (dumps, equality, copies, pickles):
    # reading it builds what is deferred, so each of them sees the whole assessment.
    @property  # type: ignore[misc]
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        own: dict[str, Any] = _OWN_DICT.__get__(self)
        load = own.get(_LOAD)
        if load is not None:
            built = load(own)
            own = {name: own[name] if name in own else built[name] for name in _FIELDS}
            _OWN_DICT.__set__(self, own)  # in the declared order, as JSON shows them
            _set(self, "__pydantic_fields_set__", set(_FIELDS))
        return own

    @__dict__.setter  # type: ignore[no-redef, attr-defined]
    def __dict__(self, value: dict[str, Any]) -> None:
        _OWN_DICT.__set__(self, value)

    @property
    def model_fields_set(self) -> set[str]:
        """As pydantic's: the fields given (all of them); built first if deferred, so the set
        is this assessment's own."""
        self.__dict__  # noqa: B018
        fields: set[str] = self.__pydantic_fields_set__
        return fields

    if not TYPE_CHECKING:  # (a ``__getattr__`` would let mypy pass any attribute)

        def __getattr__(self, name: str) -> Any:
            if name in DEFERRED:  # not built yet
                return self.__dict__[name]
            return super().__getattr__(name)

    @property
    def violations(self) -> list[Finding]:
        """The findings that are breached duties (``kind == "violation"``)."""
        return [f for f in self.findings if f.kind == "violation"]

    @property
    def data_gaps(self) -> list[Finding]:
        """The findings that are facts the policy needed but the unit's data lacked."""
        return [f for f in self.findings if f.kind == "data_gap"]


_FIELDS = tuple(Assessment.__pydantic_fields__)
_ALL_SET = frozenset(_FIELDS)  # every field given: deferred assessments' until built
