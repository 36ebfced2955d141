"""Batch runs that go wrong: stale or corrupt checkpoints, full disks, missing folders, dead
workers, bad mapping files, interruptions. Each ends with a clear message and its own exit
status (2: bad input or usage; 3: the run stopped partway), never a traceback, never a results
file that looks complete but is not."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import riskgrade
import riskgrade.batch.run as batch
import riskgrade.batch.write as rio
from riskgrade.cli import main
from riskgrade.errors import RunAborted
from tests.conftest import AS_OF, ROOT


def _grade(*args: str) -> Any:
    return CliRunner().invoke(main, ["grade", *args, "--lang", "en"], catch_exceptions=False)


def _ledger(tmp_path: Path, count: int, bad: tuple[int, ...] = ()) -> Path:
    rows = [
        {"id": f"U{i}", "industry": "retail", "employees": -1 if i in bad else 5 + i % 50}
        for i in range(count)
    ]
    path = tmp_path / "units.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """Make the results writer stop the run (as a kill would) after ``count`` rows."""
    original = rio.ResultWriter.write_prepared
    seen = {"n": 0}

    def stop(self: Any, record: Any, text: str) -> None:
        seen["n"] += 1
        if seen["n"] > count:
            raise KeyboardInterrupt
        original(self, record, text)

    monkeypatch.setattr(rio.ResultWriter, "write_prepared", stop)


def test_an_interrupted_run_exits_3_and_says_how_to_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, out = _ledger(tmp_path, 1200), tmp_path / "out.csv"
    _interrupt_after(monkeypatch, 700)
    result = CliRunner().invoke(main, ["grade", str(source), "-o", str(out), "--lang", "en"])
    assert result.exit_code == 3, result.output
    assert "interrupted" in result.output and "--resume" in result.output
    assert "Traceback" not in result.output


def test_a_fresh_run_removes_a_stale_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run 1 stopped after its checkpoint; run 2 started over without --resume and finished
    part of the way: --resume must not pad the file with NUL bytes and skip rows."""
    source, out = _ledger(tmp_path, 1200), tmp_path / "out.csv"
    _interrupt_after(monkeypatch, 1100)  # checkpoint at 1,000 rows
    CliRunner().invoke(main, ["grade", str(source), "-o", str(out)])
    assert batch.checkpoint_path(out).exists()
    _interrupt_after(monkeypatch, 0)  # run 2: stopped before its first checkpoint
    CliRunner().invoke(main, ["grade", str(source), "-o", str(out)])
    monkeypatch.undo()
    result = _grade(str(source), "-o", str(out), "--resume")
    data = out.read_bytes()
    assert b"\x00" not in data
    if result.exit_code == 0:  # nothing to resume from: a clean full run
        assert data.count(b"\n") == 1201
    else:
        assert result.exit_code == 2 and "checkpoint" in result.output


def test_resume_refuses_results_shorter_than_the_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, out = _ledger(tmp_path, 1200), tmp_path / "out.csv"
    _interrupt_after(monkeypatch, 1100)
    assert _grade(str(source), "-o", str(out)).exit_code == 3
    monkeypatch.undo()
    data = out.read_bytes()
    out.write_bytes(data[:1000])  # shortened
    result = _grade(str(source), "-o", str(out), "--resume")
    assert result.exit_code == 2 and "shorter" in result.output, result.output
    out.unlink()  # deleted
    result = _grade(str(source), "-o", str(out), "--resume")
    assert result.exit_code == 2 and "checkpoint" in result.output, result.output
    assert "Traceback" not in result.output


def test_resume_refuses_results_changed_since_the_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, out = _ledger(tmp_path, 1200), tmp_path / "out.csv"
    _interrupt_after(monkeypatch, 1100)
    assert _grade(str(source), "-o", str(out)).exit_code == 3
    monkeypatch.undo()
    data = bytearray(out.read_bytes())
    data[200:203] = b"XYZ"  # same length, other content
    out.write_bytes(bytes(data))
    result = _grade(str(source), "-o", str(out), "--resume")
    assert result.exit_code == 2 and "changed" in result.output, result.output


@pytest.mark.parametrize("text", ["{not json", "[]", '{"rows": "many"}', ""])
def test_a_corrupt_checkpoint_is_a_clean_error(tmp_path: Path, text: str) -> None:
    source, out = _ledger(tmp_path, 3), tmp_path / "out.csv"
    out.write_text("", encoding="utf-8")
    batch.checkpoint_path(out).write_text(text, encoding="utf-8")
    result = _grade(str(source), "-o", str(out), "--resume")
    assert result.exit_code == 2 and "checkpoint" in result.output, result.output


def test_a_full_disk_stops_the_run_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, out = _ledger(tmp_path, 1200), tmp_path / "out.csv"
    original = rio.ResultWriter.write_prepared
    seen = {"n": 0}

    def full(self: Any, record: Any, text: str) -> None:
        seen["n"] += 1
        if seen["n"] > 1100:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        original(self, record, text)

    monkeypatch.setattr(rio.ResultWriter, "write_prepared", full)
    result = _grade(str(source), "-o", str(out))
    assert result.exit_code == 3, result.output
    assert "No space left on device" in result.output and "--resume" in result.output
    monkeypatch.undo()
    resumed = _grade(str(source), "-o", str(out), "--resume")  # after space was freed
    assert resumed.exit_code == 0 and "rows 1200 · graded 1200" in resumed.output
    assert out.read_bytes().count(b"\n") == 1201


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_errors_to_dev_full_stop_the_run_cleanly(tmp_path: Path) -> None:
    source = _ledger(tmp_path, 600, bad=tuple(range(0, 600, 3)))
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"), "--errors", "/dev/full")
    assert result.exit_code == 3, result.output
    assert "No space left on device" in result.output and "Traceback" not in result.output


def test_a_missing_output_folder_is_a_clean_error(tmp_path: Path) -> None:
    source = _ledger(tmp_path, 3)
    result = _grade(str(source), "-o", str(tmp_path / "nowhere" / "out.csv"))
    assert result.exit_code == 2 and "nowhere" in result.output, result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_a_clean_error(tmp_path: Path) -> None:
    source = _ledger(tmp_path, 3)
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = _grade(str(source), "-o", str(folder / "out.csv"))
    finally:
        folder.chmod(0o700)
    assert result.exit_code == 2 and "locked" in result.output, result.output


def test_a_permission_error_on_the_output_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-only folder case as the system reports it, whoever runs the tests (root may
    write into read-only folders)."""
    source, out = _ledger(tmp_path, 3), tmp_path / "locked" / "out.csv"
    out.parent.mkdir()
    opened = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.parent == out.parent:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    result = _grade(str(source), "-o", str(out))
    assert result.exit_code == 2 and "Permission denied" in result.output, result.output


@pytest.mark.parametrize(
    "text", ["a: [unclosed\n", "- just\n- a list\n", b"\xff\xfe\x00bad".decode("latin-1")]
)
def test_a_bad_mapping_file_is_a_clean_error(tmp_path: Path, text: str) -> None:
    source = _ledger(tmp_path, 3)
    mapping = tmp_path / "map.yaml"
    mapping.write_bytes(text.encode("latin-1"))
    for command in (
        ["grade", str(source), "-o", str(tmp_path / "out.csv")],
        ["plan", str(source), "-o", str(tmp_path / "p.csv"), "--inspectors", "1", "--days", "2"],
    ):
        result = CliRunner().invoke(main, [*command, "--mapping", str(mapping), "--lang", "en"])
        assert result.exit_code == 2, (command, result.output)
        assert "map.yaml" in result.output and result.exception.__class__ is SystemExit


@pytest.mark.slow
def test_a_killed_worker_stops_the_run_cleanly(tmp_path: Path) -> None:
    import multiprocessing

    source, out = _ledger(tmp_path, 4000), tmp_path / "out.csv"
    killed: list[int] = []

    def kill_a_worker(rows: int) -> None:
        if not killed and rows >= 100:
            worker = multiprocessing.active_children()[0]
            assert worker.pid is not None
            os.kill(worker.pid, signal.SIGKILL)
            killed.append(worker.pid)

    policy = riskgrade.load_policy()
    with pytest.raises(RunAborted, match="worker"):
        batch.grade_file(
            policy, policy.source, source, out, as_of=AS_OF,
            workers=2, on_progress=kill_a_worker,
        )  # fmt: skip
    assert killed
    resumed = ("--resume", "--workers", "2", "--as-of", AS_OF.isoformat())
    result = _grade(str(source), "-o", str(out), *resumed)
    assert result.exit_code == 0 and "rows 4000 · graded 4000" in result.output, result.output


_ORPHAN = """
import datetime as dt, multiprocessing, sys, time
from pathlib import Path
import riskgrade
from riskgrade.batch.run import grade_file

def report(rows):
    if rows >= 100:
        print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
        time.sleep(600)  # the test kills this process here

policy = riskgrade.load_policy()
grade_file(policy, policy.source, Path(sys.argv[1]), Path(sys.argv[2]),
           as_of=dt.date(2026, 11, 28), workers=2, on_progress=report)
"""


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_workers_exit_when_the_parent_dies(tmp_path: Path) -> None:
    source = _ledger(tmp_path, 6000)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN, str(source), str(tmp_path / "out.csv")],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert parent.stdout is not None
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert len(workers) == 2 and all(_alive(p) for p in workers)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30  # a bound, not a timing assertion
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in workers if _alive(p)]
    for pid in left:  # do not leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left


def test_an_unexpected_failure_exits_3_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import riskgrade.cli.batching as command

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(command, "grade_file", broken)
    source = _ledger(tmp_path, 3)
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 3 and "internal error" in result.output
    assert "RuntimeError: something inside broke" in result.output
    assert "Traceback" not in result.output
