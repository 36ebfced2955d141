"""The riskgrade exception tree.

Every exception riskgrade raises derives from :class:`RiskgradeError`, and every one is
defined here::

    RiskgradeError
    ├── PolicyError          a policy did not load or check clean (carries .diagnostics)
    │   └── SettingsError    a supervision settings file is invalid (same .diagnostics)
    ├── FactError            facts about an enterprise are invalid (also a ValueError)
    ├── EngineError          the rule engine failed or is unavailable
    ├── GradeError           one row of a batch could not be graded (returned, not raised,
    │                        by ``Policy.grade_many``)
    ├── InputError           an input file cannot be read at all (not a row problem)
    │   └── EncodingError    its text is in none of the encodings tried (name the encoding)
    ├── OutputError          an output cannot be written where asked (over an input, two
    │                        outputs in one file, a missing or read-only folder)
    ├── RunAborted           a batch stopped partway (full disk, dead worker); resumable
    ├── SessionError         a live session refused an operation (unknown unit or event)
    ├── MissingExtra         an optional dependency is not installed (also an ImportError)
    └── PropertyFailure      a policy broke a property of the testing kit (also an
                             AssertionError, so pytest reports it as a failed assertion)

Where a caller expects a builtin, the error is one too (``except ValueError`` catches a
``FactError``).
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


class InputError(RiskgradeError):
    """An input file cannot be read at all (not a row problem)."""


class EncodingError(InputError):
    """An input's text (a CSV header) is in none of the encodings tried; ``reason`` says so
    without the hint, for a caller that names its own way to give the encoding (the command
    line's ``--encoding``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"{reason}; name the file's encoding (encoding='gbk', 'big5' ...)")
        self.reason = reason


class OutputError(RiskgradeError):
    """An output cannot be written where asked: it is one of the inputs (by any path, link or
    spelling), two outputs name one file, or its folder is missing or read-only. Raised before
    anything is opened for writing."""


class RunAborted(RiskgradeError):
    """A batch run stopped partway (the disk filled up, a worker process died): the files
    hold the rows up to the last checkpoint, and ``--resume`` continues from there."""


class SessionError(RiskgradeError):
    """A session operation was refused (unknown unit, unknown event, bad event data)."""


class MissingExtra(RiskgradeError, ImportError):
    """A feature needs an optional dependency that is not installed; the message names the
    ``pip install`` command (e.g. the district page needs the ``report`` extra)."""


class PropertyFailure(RiskgradeError, AssertionError):
    """A policy broke a property checked by :mod:`riskgrade.testing`; the message names the
    property, the minimal enterprise and what changed."""
