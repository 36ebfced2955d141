"""Checkpoints of batch runs: how far a run got, so that an interrupted one can resume.

A checkpoint (``<output>.checkpoint.json``, replaced atomically) records the run it belongs to
(input file, its size and time, policy hash, date, engine), the rows done, and for the results
and errors files their length and the SHA-256 of their bytes up to there. Resuming refuses a
checkpoint that is unreadable, damaged or from another run, and files shorter than it or
changed since, so a resumed file is never padded, cut wrong or silently incomplete.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskgrade.batch.read import InputError

if TYPE_CHECKING:
    from riskgrade.batch.write import ErrorWriter, ResultWriter
    from riskgrade.policy import Policy


def checkpoint_path(output: Path) -> Path:
    """Where the checkpoint of a run writing ``output`` is kept."""
    return output.with_name(output.name + ".checkpoint.json")


def run_key(policy: Policy, input_path: Path, as_of: dt.date, engine: str) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: the input file, policy, date and engine."""
    stat = input_path.stat()
    return {
        "input": str(input_path.resolve()),
        "input_bytes": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "policy_hash": policy.content_hash,
        "as_of": as_of.isoformat(),
        "engine": engine,
    }


class Prefix:
    """The SHA-256 of a file's first ``size`` bytes, advanced as the file grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self.hash = hashlib.sha256()

    def advance(self, size: int) -> str:
        """Hash the bytes from the last offset to ``size``; return the digest so far."""
        with self.path.open("rb") as handle:
            handle.seek(self.size)
            left = size - self.size
            while left > 0:
                block = handle.read(min(left, 1 << 20))
                if not block:
                    break
                self.hash.update(block)
                left -= len(block)
        self.size = size - left
        return self.hash.hexdigest()


def save_checkpoint(
    marker: Path,
    key: dict[str, Any],
    counts: tuple[int, int, int],
    writer: ResultWriter,
    error_writer: ErrorWriter,
    prefixes: tuple[Prefix, Prefix],
) -> None:
    """Flush both files and record how far the run got, with a hash of what they hold."""
    output_bytes, errors_bytes = writer.checkpoint(), error_writer.checkpoint()
    rows, graded, failed = counts
    state = {
        **key,
        "rows": rows,
        "graded": graded,
        "failed": failed,
        "output_bytes": output_bytes,
        "errors_bytes": errors_bytes,
        "output_sha256": prefixes[0].advance(output_bytes),
        "errors_sha256": prefixes[1].advance(errors_bytes),
    }
    temporary = marker.with_suffix(".tmp")
    temporary.write_text(json.dumps(state), encoding="utf-8")
    os.replace(temporary, marker)  # atomic: a crash leaves the old or the new checkpoint


_COUNTS = ("rows", "graded", "failed", "output_bytes", "errors_bytes")


def recorded_engine(marker: Path) -> str | None:
    """The engine the run that left the checkpoint ``marker`` graded on, if it can be read
    (a resumed run goes on on it unless told otherwise); :func:`load_checkpoint` judges the
    rest."""
    try:
        state = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    engine = state.get("engine") if isinstance(state, dict) else None
    return engine if isinstance(engine, str) else None


def load_checkpoint(marker: Path, key: dict[str, Any]) -> dict[str, Any] | None:
    """The saved state, if there is a checkpoint; InputError if it is unreadable, damaged or
    was written for another run."""
    if not marker.exists():
        return None
    again = "start again without --resume"
    try:
        state = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{marker}: unreadable checkpoint ({exc}); {again}") from exc
    if not isinstance(state, dict):
        raise InputError(f"{marker}: damaged checkpoint; {again}")
    if not all(state.get(k) == v for k, v in key.items()):
        raise InputError(
            f"{marker}: written for another input, policy, date or engine; not resuming"
        )
    counts = [state.get(k) for k in _COUNTS]
    digests = [state.get(k) for k in ("output_sha256", "errors_sha256")]
    if not all(type(n) is int and n >= 0 for n in counts) or not all(
        isinstance(d, str) for d in digests
    ):
        raise InputError(f"{marker}: damaged checkpoint; {again}")
    if state["rows"] != state["graded"] + state["failed"]:
        raise InputError(f"{marker}: damaged checkpoint; {again}")
    return state


def verified_prefix(path: Path, state: dict[str, Any], name: str) -> Prefix:
    """The prefix of ``path`` the checkpoint describes, checked: the file must be at least as
    long as the checkpoint says and hold the same bytes up to there (InputError if not)."""
    size, digest = state[f"{name}_bytes"], state[f"{name}_sha256"]
    again = "its checkpoint no longer describes it; start again without --resume"
    try:
        actual = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: missing ({exc.strerror}); {again}") from exc
    if actual < size:
        raise InputError(
            f"{path}: shorter ({actual} bytes) than its checkpoint says ({size} bytes); {again}"
        )
    prefix = Prefix(path)
    if prefix.advance(size) != digest:
        raise InputError(f"{path}: changed since its checkpoint; {again}")
    return prefix
