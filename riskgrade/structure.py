"""Pydantic validation errors of a policy file -> located diagnostics with "did you mean"."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from riskgrade.diagnostics import Diagnostic, did_you_mean
from riskgrade.load import Document
from riskgrade.model import PolicyFile


def structure_problems(exc: ValidationError, document: Document) -> list[Diagnostic]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = tuple(
            part
            for part in loc
            if not (isinstance(part, str) and ("[" in part or part.startswith("function-")))
        )
        message = err["msg"]
        hint = None
        if err["type"] == "extra_forbidden":
            message = f"unknown key {path[-1]!r}"
            hint = _key_hint(path, document)
        elif err["type"] == "missing":
            message = f"missing required key {path[-1]!r}"
        where = ".".join(str(p) for p in path)
        out.append(
            document.diagnostic(
                "RG101",
                f"{where}: {message}" if err["type"] != "extra_forbidden" else message,
                path,
                hint,
            )
        )
    return out


def _key_hint(path: tuple[Any, ...], document: Document) -> str | None:
    """ "Did you mean" for a misspelt key, looked up in the model that refused it."""
    model: Any = PolicyFile
    for part in path[:-1]:
        if isinstance(part, int):
            continue
        annotation = None
        if isinstance(model, type) and issubclass(model, BaseModel):
            info = model.model_fields.get(part) or next(
                (f for f in model.model_fields.values() if f.alias == part), None
            )
            annotation = info.annotation if info else None
        if annotation is None:
            break
        model = _innermost_model(annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        names = [f.alias or n for n, f in model.model_fields.items()]
        return did_you_mean(str(path[-1]), names)
    return None


def _innermost_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _innermost_model(arg)
        if found is not None:
            return found
    return None
