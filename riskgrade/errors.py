"""The riskgrade exception tree.

Every exception riskgrade raises derives from :class:`RiskgradeError`::

    RiskgradeError
    ├── PolicyError        a policy did not load or check clean (carries .diagnostics)
    ├── FactError          facts about an enterprise are invalid (also a ValueError)
    ├── EngineError        the rule engine failed or is unavailable
    └── GradeError         one row of a batch could not be graded (returned, not raised,
                           by ``Policy.grade_many``)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riskgrade.diagnostics import Diagnostic


class RiskgradeError(Exception):
    """Root of every riskgrade exception."""


class PolicyError(RiskgradeError):
    """A policy failed to load or check; ``diagnostics`` holds every problem found."""

    subject = "policy"

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: list[Diagnostic] = sorted(diagnostics, key=lambda d: d.sort_key)
        lines = [d.render() for d in self.diagnostics]
        count = len(lines)
        header = f"{self.subject} has {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n".join([header, *lines]))


class SettingsError(PolicyError):
    """A supervision settings file (inspection targets, caps, key areas) is invalid."""

    subject = "supervision settings file"


class FactError(RiskgradeError, ValueError):
    """Facts about an enterprise are invalid; ``errors`` maps each bad field to its problem."""

    def __init__(self, errors: Sequence[tuple[str, str]], entity_id: str | None = None) -> None:
        self.errors: list[tuple[str, str]] = list(errors)
        self.entity_id = entity_id
        self.fields: list[str] = [field for field, _ in self.errors]
        who = f" for {entity_id!r}" if entity_id else ""
        details = "; ".join(f"{field}: {message}" for field, message in self.errors)
        super().__init__(f"invalid facts{who}: {details}")


class EngineError(RiskgradeError):
    """The rule engine failed, is unavailable, or returned something unexpected."""


class GradeError(RiskgradeError):
    """One row of a batch that could not be graded; yielded in its place by ``grade_many``."""

    def __init__(
        self,
        index: int,
        entity_id: str | None,
        errors: Sequence[tuple[str, str]],
        cause: BaseException | None = None,
    ) -> None:
        self.index = index
        self.entity_id = entity_id
        self.errors: list[tuple[str, str]] = list(errors)
        self.cause = cause
        details = "; ".join(f"{field}: {message}" for field, message in self.errors)
        super().__init__(f"row {index} ({entity_id or 'no id'}): {details}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the failed row."""
        return {
            "index": self.index,
            "entity_id": self.entity_id,
            "errors": [{"field": f, "message": m} for f, m in self.errors],
        }
