"""A pytest plugin (registered through the ``pytest11`` entry point) that collects a policy's
YAML test cases as pytest items: ``pytest path/to/policy`` runs them with normal reporting.

A YAML file is collected when its top-level mapping has a ``tests:`` section; the policy it
belongs to is the file itself when it holds a ``policy:`` section, else its folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from riskgrade.authoring.cases import CaseResult, run_case
from riskgrade.errors import PolicyError
from riskgrade.policy import Policy, load_policy

_TESTS = re.compile(r"^tests\s*:", re.MULTILINE)
_POLICY = re.compile(r"^policy\s*:", re.MULTILINE)
_CACHE: dict[Path, Policy | PolicyError] = {}


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    """Collect a ``.yaml``/``.yml`` file that has a top-level ``tests:`` section as a
    :class:`PolicyCasesFile`; any other file is left to pytest."""
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    try:
        text = file_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not _TESTS.search(text):
        return None
    return PolicyCasesFile.from_parent(parent, path=file_path)


def _policy_for(path: Path) -> Policy | PolicyError:
    text = path.read_text(encoding="utf-8")
    root = path if _POLICY.search(text) else path.parent
    if root not in _CACHE:
        try:
            _CACHE[root] = load_policy(root)
        except PolicyError as exc:
            _CACHE[root] = exc
    return _CACHE[root]


class PolicyCasesFile(pytest.File):
    """The test cases written in one policy YAML file."""

    def collect(self) -> Iterator[pytest.Item]:
        """One item per test case written in this file, or a single failing "policy loads"
        item when the policy does not load."""
        loaded = _policy_for(Path(self.path))
        if isinstance(loaded, PolicyError):
            yield PolicyLoadItem.from_parent(self, name="policy loads", error=loaded)
            return
        for case, location in loaded.checked.tests:
            if Path(location.file).resolve() == Path(self.path).resolve():
                yield PolicyCaseItem.from_parent(
                    self, name=case.name, policy=loaded, case=case, location=location
                )


class PolicyCaseFailure(Exception):
    """Raised by a failing case's item; carries the case result for the failure report."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.name)
        self.result = result


class PolicyCaseItem(pytest.Item):
    """One policy test case: facts in, expected grade and countermeasures out."""

    def __init__(self, *, policy: Policy, case: Any, location: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = policy
        self.case = case
        self.case_location = location

    def runtest(self) -> None:
        """Grade the case and fail when any expectation does not hold."""
        result = run_case(self.policy, self.case, self.case_location)
        if not result.passed:
            raise PolicyCaseFailure(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The report of a failed case: its location, then expected and actual for each
        mismatch (other errors are reported as pytest would)."""
        if isinstance(excinfo.value, PolicyCaseFailure):
            lines = [f"{self.case_location}: policy case {self.case.name!r} failed"]
            for mismatch in excinfo.value.result.mismatches:
                lines += [
                    f"  {mismatch.field}",
                    f"    - expected: {mismatch.expected}",
                    f"    + actual:   {mismatch.actual}",
                ]
            return "\n".join(lines)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where pytest shows the item: the YAML file, the case's line and its name."""
        return Path(self.path), self.case_location.line - 1, f"policy case: {self.case.name}"


class PolicyLoadItem(pytest.Item):
    """Stands for a policy that does not load, so its diagnostics fail the run."""

    def __init__(self, *, error: PolicyError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        """Fail with the error the policy raised when it was loaded."""
        raise self.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The policy's load diagnostics, without a traceback."""
        return str(self.error)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where pytest shows the item: the YAML file, as "policy loads"."""
        return Path(self.path), 0, "policy loads"
