"""Options and helpers shared by the commands."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from riskgrade.batch import read as io
from riskgrade.bundled import sample_enterprises_path
from riskgrade.errors import InputError, PolicyError
from riskgrade.i18n import default_lang, t
from riskgrade.policy import Policy, load_policy

F = TypeVar("F", bound=Callable[..., Any])

SAMPLE_AS_OF = dt.date(2026, 11, 28)
"""The date the bundled sample data describes; commands grade as of this day by default."""


def lang_option(func: F) -> F:
    """Add ``--lang zh|en`` to a command (None when not given: see :func:`resolve_lang`)."""
    return click.option(
        "--lang",
        type=click.Choice(["zh", "en"]),
        default=None,
        help="Output language (default: from the locale, Chinese first).",
    )(func)


def as_of_option(func: F) -> F:
    """Add ``--as-of YYYY-MM-DD``, the date to grade as of (see :func:`resolve_as_of`)."""
    return click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help=f"Evaluation date, YYYY-MM-DD (default: {SAMPLE_AS_OF}).",
    )(func)


def engine_option(func: F) -> F:
    """Add ``--engine durable|python``, the evaluation path (durable by default)."""
    return click.option(
        "--engine",
        type=click.Choice(["durable", "python"]),
        default="durable",
        show_default=True,
        help="Evaluation path.",
    )(func)


def resolve_lang(lang: str | None) -> str:
    """The ``--lang`` given, else the locale's language (Chinese unless it asks for English)."""
    return lang or default_lang()


def resolve_as_of(as_of: dt.datetime | None) -> dt.date:
    """The ``--as-of`` day given, else :data:`SAMPLE_AS_OF`, the day the sample data describes."""
    return as_of.date() if as_of else SAMPLE_AS_OF


def console() -> Console:
    """A rich console for tables: the terminal's width, or 150 columns when output is piped."""
    return Console(width=None if sys.stdout.isatty() else 150, highlight=False)


def open_policy(path: Path | None, lang: str) -> Policy:
    """Load a policy or print its diagnostics and exit 1."""
    try:
        return load_policy(path)
    except PolicyError as exc:
        click.echo(t("policy_problems", lang, count=len(exc.diagnostics)), err=True)
        for diagnostic in exc.diagnostics:
            click.echo(diagnostic.render(lang), err=True)
        sys.exit(1)


def read_mapping(path: Path | None) -> dict[str, str]:
    """``--mapping``: the header aliases plus the user's file; a file that is not valid YAML or
    JSON, or not UTF-8, is an :class:`InputError` naming it."""
    import yaml

    try:
        return io.load_mapping(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a mapping file ({reason})") from exc


def policy_files(path: Path | None) -> list[Path]:
    """The files of ``--policy`` (a file, or a folder's YAML files): inputs never written over."""
    if path is None:
        return []
    return sorted(path.glob("*.y*ml")) if path.is_dir() else [path]


def read_rows(path: Path, lang: str) -> list[dict[str, Any]]:
    """Enterprises from any ledger format ``riskgrade grade`` reads (JSON, JSON Lines, CSV,
    XLSX, Parquet); a row that cannot be read becomes a row that fails to grade."""
    try:
        return [row.facts for row in io.read_rows(path)]
    except io.InputError as exc:
        raise click.BadParameter(t("bad_input", lang, error=exc)) from exc


def sample_rows() -> list[dict[str, Any]]:
    """The bundled sample enterprises."""
    text = sample_enterprises_path().read_text("utf-8")
    rows: list[dict[str, Any]] = json.loads(text)
    return rows
