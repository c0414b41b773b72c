"""Log files on the dashboard's server, for triage: only regular files under ONCALL_LOG_DIRS.

The path comes from a person in a browser, so it is untrusted: it must resolve (symlinks
followed) inside a configured folder, be a regular file (no /dev/zero, no named pipe that
would hang the page), and only its last `max_bytes` are read. Every refusal gives the same
message, so the answer does not reveal whether a path exists.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class LogAccessError(RuntimeError):
    """The path cannot be read; the message never says whether it exists."""


def read_server_log(path_text: str, allowed_dirs: tuple[Path, ...], max_bytes: int) -> tuple[str, bool]:
    """(text, truncated): the file's last `max_bytes` bytes as text."""
    if not allowed_dirs:
        raise LogAccessError("Reading log files on the server is off: the operator can allow folders with ONCALL_LOG_DIRS.")
    refusal = LogAccessError(f"Cannot read that path: only regular files under {', '.join(map(str, allowed_dirs))} can be read.")
    raw = Path(path_text.strip()).expanduser()
    candidates = [raw] if raw.is_absolute() else [folder / raw for folder in allowed_dirs]
    for candidate in candidates:
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if not any(resolved.is_relative_to(folder.resolve()) for folder in allowed_dirs):
            continue
        try:
            return _read_tail(resolved, max_bytes)
        except OSError:
            continue
    raise refusal


def _read_tail(path: Path, max_bytes: int) -> tuple[str, bool]:
    # O_NONBLOCK: opening a named pipe must not wait for a writer; O_NOFOLLOW: no swap to a link.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("not a regular file")
        truncated = info.st_size > max_bytes
        if truncated:
            os.lseek(fd, info.st_size - max_bytes, os.SEEK_SET)
        data = os.read(fd, max_bytes)
    finally:
        os.close(fd)
    text = data.decode("utf-8", errors="replace")
    if truncated and "\n" in text:
        text = text.split("\n", 1)[1]  # drop the partial first line
    return text, truncated
