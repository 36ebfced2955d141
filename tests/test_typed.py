"""riskgrade is a typed package (PEP 561): a program that uses it, checked by ``mypy --strict``
as an integrator's CI would, sees riskgrade's real types; every riskgrade error is importable
from the top level."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

import riskgrade
from riskgrade import errors
from tests.conftest import ROOT

CONSUMER = """\
import datetime as dt

import riskgrade
from riskgrade import Assessment, DutyGrade, Finding, GradeError, Recommendation, RiskLevel

policy: riskgrade.Policy = riskgrade.load_policy()
facts = {"id": "u1", "industry": "retail", "employees": 8}
a: Assessment = policy.grade(facts, as_of=dt.date(2026, 11, 28))
level: RiskLevel = a.risk_level
grade: DutyGrade = a.duty_grade
findings: list[Finding] = a.findings
rules: list[str] = [f.rule for f in a.findings]
recommendations: list[Recommendation] = a.recommendations
for item in policy.grade_many([facts, {"id": "u2"}], as_of=dt.date(2026, 11, 28)):
    if isinstance(item, GradeError):
        index: int = item.index
    else:
        other: RiskLevel = item.risk_level
wrong: str = a.risk_level
"""


def _mypy(site: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``mypy --strict`` on the consumer, for a Python where riskgrade is installed only in
    ``site`` (a bare virtual environment seeing this one's libraries but not its riskgrade, so
    that mypy's search for a typed package finds this copy or nothing)."""
    (tmp_path / "consumer.py").write_text(CONSUMER, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--python-executable", str(site / "python"), "consumer.py"],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False,
    )  # fmt: skip


def _install(tmp_path: Path, *, marker: bool) -> Path:
    """A virtual environment with a copy of riskgrade (``py.typed`` only with ``marker``);
    returns the folder holding its ``python``."""
    env = tmp_path / "env"
    venv.create(env, with_pip=False, symlinks=True)
    found = sorted(env.glob("lib/python*/site-packages")) or sorted(env.glob("Lib/site-packages"))
    packages = found[0]
    libraries = [p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir()]
    (packages / "libraries.pth").write_text("\n".join(map(str, libraries)) + "\n", "utf-8")
    ignore = shutil.ignore_patterns("__pycache__", *([] if marker else ["py.typed"]))
    shutil.copytree(ROOT / "riskgrade", packages / "riskgrade", ignore=ignore)
    return env / "bin"


@pytest.mark.slow
def test_mypy_strict_sees_riskgrades_types(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    done = _mypy(_install(tmp_path, marker=True), tmp_path)
    lines = [line for line in done.stdout.splitlines() if ": error:" in line]
    # exactly the one wrong assignment: the real type of risk_level reached the checker
    assert lines == [
        f"consumer.py:{CONSUMER.count(chr(10))}: error: Incompatible types in assignment "
        '(expression has type "RiskLevel", variable has type "str")  [assignment]'
    ], done.stdout + done.stderr


@pytest.mark.slow
def test_without_the_marker_mypy_sees_no_types(tmp_path: Path) -> None:
    """The test above can fail: without ``py.typed`` the package is untyped to mypy."""
    pytest.importorskip("mypy")
    done = _mypy(_install(tmp_path, marker=False), tmp_path)
    assert "import-untyped" in done.stdout and "RiskLevel" not in done.stdout, done.stdout


def test_the_marker_ships_in_the_wheel() -> None:
    assert (ROOT / "riskgrade" / "py.typed").is_file()
    build = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]
    wheel = build["build"]["targets"]["wheel"]
    assert wheel["packages"] == ["riskgrade"]  # every file under the package ships
    assert not wheel.get("exclude") and not build["build"].get("exclude")


def test_every_riskgrade_error_is_exported_at_the_top_level() -> None:
    defined = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, errors.RiskgradeError)
    }
    assert defined <= set(riskgrade.__all__), defined - set(riskgrade.__all__)
