"""The triage page's server path: only regular files under ONCALL_LOG_DIRS, bounded, no hints."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from services.assistant.logfiles import LogAccessError, read_server_log


@pytest.fixture
def logs(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "app.log").write_text("2026-11-21 ERROR boom\n")
    secret = tmp_path / "oncall.db"
    secret.write_text("SECRET-DATABASE")
    return folder, secret


def refused(path: str, folder: Path) -> str:
    with pytest.raises(LogAccessError) as caught:
        read_server_log(path, (folder,), 1_000_000)
    return str(caught.value)


def test_a_file_in_the_folder_is_read_by_full_or_relative_path(logs):
    folder, _ = logs
    assert read_server_log(str(folder / "app.log"), (folder,), 1000) == ("2026-11-21 ERROR boom\n", False)
    assert read_server_log("app.log", (folder,), 1000)[0].startswith("2026-11-21 ERROR")


def test_files_outside_and_escapes_are_refused_with_one_message(logs):
    folder, secret = logs
    (folder / "escape.log").symlink_to(secret)
    (folder / "zero.log").symlink_to("/dev/zero")
    messages = {
        refused(p, folder)
        for p in (
            str(secret),
            "../oncall.db",
            str(folder / "escape.log"),
            "zero.log",
            str(folder / "missing.log"),
            "/etc/passwd",
            "/nonexistent/x",
        )
    }
    assert len(messages) == 1  # the same words whether the path exists or not
    assert "only regular files under" in messages.pop()


def test_a_named_pipe_does_not_hang(logs):
    folder, _ = logs
    os.mkfifo(folder / "pipe.log")
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(refused("pipe.log", folder)), daemon=True)
    reader.start()
    reader.join(5)
    assert result, "reading a named pipe hung"


def test_a_large_file_is_capped_to_its_last_part(logs):
    folder, _ = logs
    (folder / "big.log").write_text("".join(f"line {i} ERROR\n" for i in range(100_000)))
    text, truncated = read_server_log("big.log", (folder,), 10_000)
    assert truncated and len(text.encode()) <= 10_000 and text.rstrip().endswith("line 99999 ERROR")
    assert text.startswith("line ")  # the partial first line is dropped


def test_without_configured_folders_the_feature_is_off(logs):
    folder, _ = logs
    with pytest.raises(LogAccessError, match="ONCALL_LOG_DIRS"):
        read_server_log(str(folder / "app.log"), (), 1000)
