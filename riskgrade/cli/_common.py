"""Options and helpers shared by the commands."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from riskgrade.batch import read as io
from riskgrade.bundled import sample_enterprises_path
from riskgrade.errors import EncodingError, InputError, PolicyError
from riskgrade.i18n import COMMAND_EXAMPLES, COMMAND_HELP, default_lang, t
from riskgrade.policy import Policy, load_policy

F = TypeVar("F", bound=Callable[..., Any])

SAMPLE_AS_OF = dt.date(2026, 11, 28)
"""The date the bundled sample data describes: the bundled sample is graded as of this day
unless ``--as-of`` says otherwise (user data is graded as of today)."""


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
        help="评估日期 / Evaluation date, YYYY-MM-DD "
        f"(default: today; the bundled sample: {SAMPLE_AS_OF}).",
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


def resolve_as_of(as_of: dt.datetime | None, sample: bool = False, lang: str = "zh") -> dt.date:
    """The ``--as-of`` day given, else today for user data, else (``sample``) the day the
    bundled sample describes, said on stderr."""
    if as_of:
        return as_of.date()
    if sample:
        click.echo(t("sample_as_of", lang, date=SAMPLE_AS_OF), err=True)
        return SAMPLE_AS_OF
    return dt.date.today()


def _codec(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--encoding``'s check: a codec Python knows (else a usage error naming it)."""
    if value is None:
        return None
    try:
        codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(f"unknown encoding {value!r} (e.g. gbk, big5, utf-8)") from None
    return value


def encoding_option(func: F) -> F:
    """Add ``--encoding``, the text encoding of a CSV input (default: UTF-8, else GB18030);
    every command that reads a ledger has it, with this one meaning and help text."""
    return click.option(
        "--encoding",
        default=None,
        metavar="CODEC",
        callback=_codec,
        help="CSV 输入的编码 / Text encoding of a CSV input, e.g. gbk, gb18030, big5, utf-8 "
        "(default: UTF-8, else GB18030).",
    )(func)


def input_problem(exc: InputError, lang: str) -> str:
    """The message for an input that cannot be read; text in another encoding gets the hint
    to name it with ``--encoding`` (every command reading a ledger has that option)."""
    if isinstance(exc, EncodingError):
        return t("bad_input", lang, error=exc.reason) + t("try_encoding", lang)
    return t("bad_input", lang, error=exc)


def add_epilogs(commands: Iterable[click.Command]) -> None:
    """Give every command its Chinese one-line help above its English docstring, and an epilog
    with the exit statuses and examples, in both languages."""
    for command in commands:
        name = command.name or ""
        if name in COMMAND_HELP and command.help and COMMAND_HELP[name] not in command.help:
            command.help = f"{COMMAND_HELP[name]}\n\n{command.help}"
        examples = "\n".join(f"  {line}" for line in COMMAND_EXAMPLES.get(name, ()))
        heading = " / ".join(t("help_examples", lang) for lang in ("zh", "en"))
        exits = "\n".join(t("help_exit", lang) for lang in ("zh", "en"))
        command.epilog = f"\b\n{exits}\n\n\b\n{heading}\n{examples}"


def console() -> Console:
    """A rich console for tables: the terminal's width, or 150 columns when output is piped."""
    return Console(width=None if sys.stdout.isatty() else 150, highlight=False)


def open_policy(path: Path | None, lang: str) -> Policy:
    """Load a policy or print its diagnostics and exit 2."""
    try:
        return load_policy(path)
    except PolicyError as exc:
        click.echo(t("policy_problems", lang, count=len(exc.diagnostics)), err=True)
        for diagnostic in exc.diagnostics:
            click.echo(diagnostic.render(lang), err=True)
        sys.exit(2)


def read_mapping(path: Path | None, *, policy: Any = None, strict: bool = False) -> io.Columns:
    """``--mapping``: the header aliases plus the user's file (and ``policy``'s own facts;
    ``strict`` refuses unknown columns); a file that is not valid YAML or JSON, or not UTF-8,
    is an :class:`InputError` naming it."""
    import yaml

    try:
        return io.load_mapping(path, policy=policy, strict=strict)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a mapping file ({reason})") from exc


def policy_files(path: Path | None) -> list[Path]:
    """The files of ``--policy`` (a file, or a folder's YAML files): inputs never written over."""
    if path is None:
        return []
    return sorted(path.glob("*.y*ml")) if path.is_dir() else [path]


def read_rows(
    path: Path, lang: str, encoding: str | None = None, columns: io.Columns | None = None
) -> list[dict[str, Any]]:
    """Enterprises from any ledger format ``riskgrade grade`` reads (JSON, JSON Lines, CSV,
    XLSX, Parquet); a row that cannot be read becomes a row that fails to grade."""
    return [row.facts for row in read_ledger(path, lang, encoding, columns)]


def read_ledger(
    path: Path, lang: str, encoding: str | None = None, columns: io.Columns | None = None
) -> list[io.Row]:
    """The rows of a ledger (a CSV one in ``encoding``) with their numbers and the problem of
    a row the reader could not read (nested too deep, a cell too long ...), so that a command
    can name it; ``columns`` learns which header gave each fact (to name failed fields)."""
    try:
        return list(io.read_rows(path, mapping=columns, encoding=encoding))
    except io.InputError as exc:
        raise click.BadParameter(input_problem(exc, lang)) from exc


def sample_rows() -> list[dict[str, Any]]:
    """The bundled sample enterprises."""
    text = sample_enterprises_path().read_text("utf-8")
    rows: list[dict[str, Any]] = json.loads(text)
    return rows
