"""Reading the files people give (scenarios, edge lists) without hanging or blowing up memory.

Only regular files of bounded size are read: a FIFO, a device such as ``/dev/zero``, a socket or
a folder is refused from its ``fstat``, before a single byte is read (the file is opened
non-blocking, so even opening a FIFO with no writer returns at once).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

SCENARIO_LIMIT = 16 * 1024**2
"""Largest scenario file read (16 MiB: far above any list of type weights the schema allows)."""

EDGELIST_LIMIT = 4 * 1024**3
"""Largest edge-list file read (4 GiB)."""


class InputFileError(ValueError):
    """A file that cannot be used as input; the message says why, without its content."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size(size: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} bytes"


def read_bounded(path: str | os.PathLike, limit: int) -> bytes:
    """The content of a regular file of at most ``limit`` bytes.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    InputFileError
        If ``path`` is not a regular file, is larger than ``limit``, or cannot be read.
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be opened ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(f"{path}: is {_kind(info.st_mode)}, not a regular file; give "
                                 "a file on disk")
        if info.st_size > limit:
            raise InputFileError(f"{path}: is {_size(info.st_size)}, larger than the "
                                 f"{_size(limit)} accepted")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise InputFileError(f"{path}: grew beyond the {_size(limit)} accepted while read")
        return b"".join(chunks)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def short_token(text: str, limit: int = 20) -> str:
    """An offending token quoted for a message, cut short (no more of a person's file)."""
    token = text.strip().split()[0] if text.strip() else ""
    if len(token) > limit:
        token = token[:limit] + "…"
    return repr(token)
