"""A pytest plugin (registered through the ``pytest11`` entry point) that collects a policy's
YAML test cases as pytest items: ``pytest path/to/policy`` runs them with normal reporting.

Only policy files are collected, so the plugin leaves every other YAML file of a project
alone (a CI ``ci.yaml`` with a ``tests:`` key is no policy): a ``.yaml``/``.yml`` file with a
top-level ``tests:`` section is collected when it holds the policy's ``policy:`` header (a
``name`` and a ``version``), or when its cases read as policy cases (``as_of:`` and
``expect:`` keys) and another YAML file of its folder holds the header (a policy folder), or
when it lies under a path listed in the ``riskgrade_policies`` ini option::

    [tool.pytest.ini_options]
    riskgrade_policies = ["policies/district"]
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

_TESTS = re.compile(rb"^tests[ \t]*:", re.MULTILINE)
# The ``policy:`` header up to the next top-level key (block or flow style).
_HEADER = re.compile(rb"^policy[ \t]*:(?P<body>.*(?:\r?\n(?:[ \t#].*|[ \t]*))*)", re.MULTILINE)
_NAME = re.compile(rb"(?:^|[\s{,])name[ \t]*:")
_VERSION = re.compile(rb"(?:^|[\s{,])version[ \t]*:")
_CASE_KEYS = (
    re.compile(rb"^[ \t-]+as_of[ \t]*:", re.M),
    re.compile(rb"^[ \t-]+expect[ \t]*:", re.M),
)
_INI = "riskgrade_policies"
_CACHE: dict[Path, Policy | PolicyError] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``riskgrade_policies`` ini option: policy files or folders to collect."""
    parser.addini(
        _INI,
        "riskgrade policy files or folders whose YAML test cases are collected "
        "(besides any file holding a 'policy:' header)",
        type="paths",
        default=[],
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    """Collect a policy's ``.yaml``/``.yml`` file that has a top-level ``tests:`` section as a
    :class:`PolicyCasesFile`; any other file is left to pytest."""
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    data = _read(file_path)
    if data is None or not _TESTS.search(data):
        return None
    listed = parent.config.getini(_INI)
    in_folder = _CASE_KEYS[0].search(data) and _CASE_KEYS[1].search(data)
    in_folder = bool(in_folder) and _in_policy_folder(file_path)
    if not (_has_header(data) or in_folder or _under(file_path, listed)):
        return None
    return PolicyCasesFile.from_parent(parent, path=file_path)


def _read(path: Path) -> bytes | None:
    """The file's bytes (a policy saved in GBK is still collected, to fail with its fix)."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def _has_header(data: bytes) -> bool:
    """True when the text has a top-level ``policy:`` section naming a name and a version."""
    match = _HEADER.search(data)
    if match is None:
        return False
    body = match.group("body")
    return bool(_NAME.search(body) and _VERSION.search(body))


def _in_policy_folder(path: Path) -> bool:
    """True when another YAML file of the folder holds the policy's header."""
    for sibling in sorted(path.parent.iterdir()):
        if sibling != path and sibling.suffix in (".yaml", ".yml") and sibling.is_file():
            data = _read(sibling)
            if data is not None and _has_header(data):
                return True
    return False


def _under(path: Path, roots: list[Path]) -> bool:
    """True when ``path`` is one of ``roots`` or lies in one of them."""
    resolved = path.resolve()
    return any(resolved == r.resolve() or r.resolve() in resolved.parents for r in roots)


def _root(path: Path) -> Path:
    """The policy a YAML file of cases belongs to: the file itself when it holds the header,
    else its folder."""
    data = _read(path)
    return path if data is not None and _has_header(data) else path.parent


def _policy_for(path: Path) -> Policy | PolicyError:
    root = _root(path)
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
        # a loaded policy names its files relative to its folder (or a one-file policy by name)
        folder = _root(Path(self.path))
        folder = folder if folder.is_dir() else folder.parent
        for case, location in loaded.checked.tests:
            if (folder / location.file).resolve() == Path(self.path).resolve():
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
