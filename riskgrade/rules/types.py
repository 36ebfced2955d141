"""The static types of the expression language and the schema they are checked against."""

from __future__ import annotations

import datetime as dt
import types as _pytypes
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel


@dataclass(frozen=True)
class Type:
    """A type in the expression language: number, bool, str, enum, date or list of records."""

    kind: Literal["number", "bool", "str", "enum", "date", "list", "null", "any"]
    values: tuple[str, ...] = ()
    item: Schema | None = field(default=None, compare=False)

    def __str__(self) -> str:
        if self.kind == "enum":
            return "enum(" + ", ".join(self.values) + ")"
        if self.kind == "list":
            return "list"
        return self.kind

    @property
    def is_textual(self) -> bool:
        """True for str and enum, which compare with each other by ``==`` and ``!=`` only."""
        return self.kind in ("str", "enum")


NUMBER = Type("number")
BOOL = Type("bool")
STR = Type("str")
DATE = Type("date")
NULL = Type("null")
ANY = Type("any")


def enum(*values: str) -> Type:
    """An enum type holding exactly ``values``, e.g. ``enum("red", "orange")``."""
    return Type("enum", tuple(values))


Schema = dict[str, Type]
"""Fact name -> type."""


def comparable(a: Type, b: Type) -> bool:
    """Whether ``a == b`` / ``a < b`` type-check."""
    if ANY in (a, b):
        return True
    if a.is_textual and b.is_textual:
        return True
    return a.kind == b.kind and a.kind in ("number", "bool", "date")


def _type_of_annotation(annotation: Any) -> Type:
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _type_of_annotation(get_args(annotation)[0])
    if origin in (Union, _pytypes.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _type_of_annotation(args[0])
    if origin is Literal:
        return enum(*(str(v) for v in get_args(annotation)))
    if origin in (tuple, list):
        (item,) = get_args(annotation)[:1]
        return Type("list", item=schema_of_model(item))
    if annotation is bool:
        return BOOL
    if annotation in (int, float):
        return NUMBER
    if annotation is str:
        return STR
    if annotation is dt.date:
        return DATE
    raise TypeError(f"unsupported fact annotation {annotation!r}")


def schema_of_model(model: type[BaseModel]) -> Schema:
    """The expression-language schema of a pydantic fact model."""
    return {name: _type_of_annotation(info.annotation) for name, info in model.model_fields.items()}


def type_from_name(name: str, values: list[str] | None = None) -> Type | None:
    """The type a policy names in its ``facts:`` or ``derived:`` sections."""
    if name in ("int", "number", "float"):
        return NUMBER
    if name == "enum":
        return enum(*(values or []))
    return {"bool": BOOL, "str": STR, "date": DATE}.get(name)
