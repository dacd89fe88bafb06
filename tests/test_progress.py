"""Progress of long CLI steps: shown on a terminal's stderr, never in pipes, captured output or the stdout summary."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.conftest import REPO
from yibao import progress
from yibao.cli import app

CASE = REPO / "settlement_cases" / "alliance-two-alliances"
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
"""Terminal control sequences: colours, cursor moves, line erases."""


def _read_all(fd: int, into: bytearray) -> None:
    """Everything written to a pty, until its other end is closed."""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the writing end is closed
            return
        if not chunk:
            return
        into.extend(chunk)


def test_a_step_on_a_terminal_shows_its_name_and_time(monkeypatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    leader, follower = pty.openpty()
    shown = bytearray()
    reader = threading.Thread(target=_read_all, args=(leader, shown))
    reader.start()
    with os.fdopen(follower, "w", encoding="utf-8") as terminal:
        console = Console(file=terminal)
        with progress.step("分组 grouping 12 stays", console):
            pass
        with pytest.raises(RuntimeError), progress.step("结算 settling", console):
            raise RuntimeError("stopped")
    reader.join(timeout=10)
    os.close(leader)
    text = ESCAPE.sub("", shown.decode("utf-8"))
    assert "✓ 分组 grouping 12 stays" in text and " s" in text
    assert "settling" in text and "✓ 结算" not in text  # a step that fails is not ticked off


@pytest.mark.parametrize("force_terminal", [False, True])
def test_a_step_off_a_terminal_shows_nothing(force_terminal: bool) -> None:
    """Not in a file or a pipe, and not when FORCE_COLOR-style settings pretend one is a terminal."""
    file = io.StringIO()
    with progress.step("settling", Console(file=file, force_terminal=force_terminal)):
        pass
    assert file.getvalue() == ""


def test_cli_output_captured_has_no_progress(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["settle", str(CASE), "--out", str(tmp_path / "out")], terminal_width=160)
    assert result.exit_code == 0, result.output
    assert result.stderr == "" and "settling" not in result.output


def test_settle_on_a_terminal_shows_the_steps_on_stderr_and_the_summary_on_stdout(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    shown = bytearray()
    reader = threading.Thread(target=_read_all, args=(leader, shown))
    reader.start()
    command = [sys.executable, "-c", "from yibao.cli import app; app()", "settle", str(CASE),
               "--out", str(tmp_path / "out"), "--db", f"sqlite:///{tmp_path / 'runs.db'}"]  # fmt: skip
    environment = {**os.environ, "TERM": "xterm", "COLUMNS": "160"}
    environment.pop("FORCE_COLOR", None)
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=follower, env=environment, check=False, timeout=300)
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    stderr = ESCAPE.sub("", shown.decode("utf-8"))
    assert done.returncode == 0, stderr
    for label in ("读取 loading the case", "结算 settling", "写出 writing the results", "记录 recording the run"):
        assert f"✓ {label}" in stderr
    stdout = done.stdout.decode("utf-8")
    assert "run 1 recorded" in stdout and "包干资金" in stdout
    assert "✓" not in stdout and "\x1b" not in stdout
