"""Diagnostics in the forms CI systems read: GitHub Actions annotations, JUnit XML and SARIF.

``riskgrade check --format github|junit|sarif`` prints these; each carries every diagnostic's
file, line, column and stable code, so a pull request shows the problem on the line::

    ::error file=policy/rules.yaml,line=14,col=9,title=RG203::unknown fact 'employes' ...
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from riskgrade.diagnostics import Diagnostic
from riskgrade.i18n import CODES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def display_path(file: str) -> str:
    """``file`` relative to the working directory when it lies under it (CI systems match
    annotations on repository-relative paths), with forward slashes."""
    path = Path(file)
    try:
        path = path.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        pass
    return path.as_posix()


def _message(diagnostic: Diagnostic) -> str:
    """The message with its hint, as the text renderer shows them."""
    hint = f" ({diagnostic.hint})" if diagnostic.hint else ""
    return f"{diagnostic.message}{hint}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(diagnostics: Sequence[Diagnostic]) -> str:
    """One GitHub Actions workflow command per diagnostic (``::error`` or ``::warning``)."""
    lines = []
    for d in diagnostics:
        props = [f"file={_escape_property(display_path(d.file))}"]
        if d.line > 0:
            props += [f"line={d.line}", f"col={max(d.column, 1)}"]
        props.append(f"title={_escape_property(d.code)}")
        lines.append(f"::{d.severity} {','.join(props)}::{_escape_data(_message(d))}")
    return "\n".join(lines)


def to_junit(diagnostics: Sequence[Diagnostic], policy: str) -> str:
    """A JUnit XML report: one test case per diagnostic (an error fails it, a warning passes
    with its text in ``system-out``), or one passing case when the policy checks clean."""
    errors = [d for d in diagnostics if d.severity == "error"]
    suites = ET.Element("testsuites", name="riskgrade check")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"riskgrade check {display_path(policy)}",
        tests=str(max(len(diagnostics), 1)),
        failures=str(len(errors)),
        errors="0",
    )
    if not diagnostics:
        ET.SubElement(suite, "testcase", classname=display_path(policy), name="policy checks clean")
    for d in diagnostics:
        where = f"{display_path(d.file)}:{d.line}:{d.column}"
        case = ET.SubElement(
            suite,
            "testcase",
            classname=display_path(d.file),
            name=f"{d.code} {where}",
            file=display_path(d.file),
            line=str(d.line),
        )
        text = f"{where}: {d.code} {_message(d)}"
        if d.severity == "error":
            failure = ET.SubElement(case, "failure", message=_message(d), type=d.code)
            failure.text = text
        else:
            ET.SubElement(case, "system-out").text = text
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def to_sarif(diagnostics: Sequence[Diagnostic]) -> str:
    """A SARIF 2.1.0 log with one run of the ``riskgrade`` tool: its rules are the codes
    used (titled in English and Chinese), its results the diagnostics, each located."""
    try:
        version = metadata.version("riskgrade")
    except metadata.PackageNotFoundError:  # run from a source tree
        version = "0"
    codes = sorted({d.code for d in diagnostics})
    rules = [
        {
            "id": code,
            "name": code,
            "shortDescription": {"text": CODES.get(code, (code, code))[0]},
            "fullDescription": {"text": " / ".join(CODES.get(code, (code, code)))},
        }
        for code in codes
    ]
    results = []
    for d in diagnostics:
        region = {"startLine": max(d.line, 1), "startColumn": max(d.column, 1)}
        results.append(
            {
                "ruleId": d.code,
                "ruleIndex": codes.index(d.code),
                "level": d.severity,
                "message": {"text": _message(d)},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(d.file)},
                            "region": region,
                        }
                    }
                ],
            }
        )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "riskgrade",
                        "version": version,
                        "informationUri": "https://pypi.org/project/riskgrade/",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, ensure_ascii=False, indent=2)


def _uri(file: str) -> str:
    """A relative URI under the working directory, else a ``file://`` URI."""
    shown = display_path(file)
    if os.path.isabs(shown):
        return Path(shown).as_uri()
    return shown
