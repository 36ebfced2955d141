"""Pydantic validation errors of a policy file -> located diagnostics with "did you mean"."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from riskgrade.check.format import PolicyFile
from riskgrade.check.load import Document
from riskgrade.diagnostics import Diagnostic, did_you_mean


def _document_path(loc: tuple[Any, ...], data: Any, missing_last: bool) -> tuple[Any, ...]:
    """The part of pydantic's error location that names real keys and indexes of the document
    (pydantic adds its own steps, such as union member names, which are not in the YAML)."""
    path: list[Any] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif last and missing_last and isinstance(node, dict):
            path.append(part)  # a required key that is absent
    return tuple(path)


def structure_problems(
    exc: ValidationError, document: Document, model: type[BaseModel] = PolicyFile
) -> list[Diagnostic]:
    """One RG101 diagnostic per pydantic error, located at the key or value at fault
    (``model`` is what the document was validated as, for "did you mean" on keys)."""
    out = []
    errors = exc.errors()
    # A misspelt key is one mistake: "unknown key 'severety'", not also "missing 'severity'".
    misspelt = {
        (tuple(err["loc"][:-1]), str(err["loc"][-1]))
        for err in errors
        if err["type"] == "extra_forbidden" and err["loc"]
    }
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "missing" and loc and _misspelt(loc, misspelt):
            continue
        path = _document_path(loc, document.data, err["type"] == "missing")
        name = path[-1] if path else (loc[-1] if loc else "policy")
        message = err["msg"]
        hint = None
        value = err.get("input")
        if isinstance(value, str) and "：" in value:
            hint = "full-width colon '：' — use ':'"
        if err["type"] == "extra_forbidden":
            message = f"unknown key {name!r}"
            hint = _key_hint(path, model) if path else None
        elif err["type"] == "missing":
            message = f"missing required key {name!r}"
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


def _misspelt(loc: tuple[Any, ...], extras: set[tuple[tuple[Any, ...], str]]) -> bool:
    """True when the missing key at ``loc`` is spelt close to an unknown key beside it."""
    beside = [key for parent, key in extras if parent == loc[:-1]]
    return bool(did_you_mean(str(loc[-1]), beside))


def _key_hint(path: tuple[Any, ...], root: type[BaseModel]) -> str | None:
    """ "Did you mean" for a misspelt key, looked up in the model that refused it."""
    model: Any = root
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
