"""How a failed row's fields are named to the person who wrote the ledger: by their own column
headers, in their language.

Validation names fields by fact (``employees``, ``hazards.0.level``, ``migrant_workers (9)
exceeds employees (5)``); the reader knows which header of the ledger gave each fact
(:attr:`~riskgrade.batch.columns.Columns.headers`). :class:`FieldNames` turns the one into the
other where failed rows are written (the errors file, whichever engine graded) and where the
command line reports them::

    >>> names = FieldNames({"employees": "从业人员数"}, "zh")
    >>> names.field("employees"), names.field("hazards.0.level")
    ('从业人员数', '隐患第1项·隐患等级')
    >>> names.message("migrant_workers (9) exceeds employees (5)")
    '农民工人数（9）超过从业人员数（5）'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from riskgrade.facts import ITEM_LABELS, fact_label
from riskgrade.i18n import t

_EXCEEDS = re.compile(r"^(\w+) \((.*)\) exceeds (\w+) \((.*)\)$")
_BEFORE = re.compile(r"^(\w+) is before (\w+)$")


class FieldNames:
    """Names fields by the ledger's ``headers`` (fact -> the header that gave it, filled as the
    ledger is read) and, for a fact no header gave, in ``lang``: its Chinese header for
    ``"zh"``, its name for ``"en"``; items of a list read as "隐患第1项·隐患等级" or "hazards item
    1: level". With ``lang`` None only the headers are put in (the API's default)."""

    def __init__(self, headers: Mapping[str, str] | None = None, lang: str | None = None) -> None:
        """``headers`` is read at each call, so a mapping still being filled may be given."""
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        self.lang = lang

    def fact(self, name: str) -> str:
        """A top-level fact (or a header already) as the ledger's reader knows it."""
        if name in self.headers:
            return self.headers[name]
        return fact_label(name, "zh") if self.lang == "zh" else name

    def _item_field(self, items: str, name: str) -> str:
        return ITEM_LABELS.get(items, {}).get(name, name) if self.lang == "zh" else name

    def field(self, path: str) -> str:
        """A field path of a validation error (``employees``, ``hazards.0.level``) named."""
        parts = path.split(".")
        if len(parts) == 1:
            return self.fact(path)
        items = self.fact(parts[0])
        if self.lang is None or not parts[1].isdigit():
            return ".".join([items, *parts[1:]])
        n = int(parts[1]) + 1
        if len(parts) == 2:
            return t("field_item", self.lang, items=items, n=n)
        field = self._item_field(parts[0], ".".join(parts[2:]))
        return t("field_item_field", self.lang, items=items, n=n, field=field)

    def message(self, message: str, path: str = "") -> str:
        """A cross-field message (``a (9) exceeds b (5)``, an item's ``deadline is before
        found_on``) with the fields it names named as :meth:`field` names them."""
        lang = self.lang or "en"
        if match := _EXCEEDS.match(message):
            a, value, b, total = match.groups()
            return t("field_exceeds", lang, field=self.fact(a), value=value, total=self.fact(b),
                     total_value=total)  # fmt: skip
        if (match := _BEFORE.match(message)) and "." in path:
            items = path.split(".", 1)[0]
            a, b = (self._item_field(items, name) for name in match.groups())
            return t("field_before", lang, field=a, other=b)
        return message

    def errors(self, errors: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """``(field path, message)`` pairs named for the reader."""
        return [(self.field(f), self.message(m, f)) for f, m in errors]


__all__ = ["FieldNames"]
