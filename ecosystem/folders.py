"""Output files and folders written atomically: filled in a staging sibling, then renamed.

A run folder, a sweep folder or a validation report that exists is therefore complete; an
interrupted or failed write leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


class OutputFolderError(ValueError):
    """An output folder that cannot or must not be written."""


def utc_now() -> str:
    """The current time, ISO 8601 in UTC, to the second (for manifests)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_output_folder(
    target: str | os.PathLike, is_ours: Callable[[Path], bool], what: str
) -> None:
    """Refuse an output folder that would destroy or fail: checked before any work starts.

    ``target`` may be missing, empty, or one of ours (``is_ours``, e.g. an earlier run folder,
    which is then replaced); its nearest existing parent must be a writable folder.

    Raises
    ------
    OutputFolderError
        Naming the folder and what is wrong with it.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputFolderError(f"{target}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not is_ours(target):
        raise OutputFolderError(
            f"{target}: folder exists, is not empty and is not a {what}; nothing was written"
        )
    parent = target.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputFolderError(f"{target}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputFolderError(f"{target}: cannot write in {parent}")


@contextmanager
def staged_file(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling path to write; when the block succeeds, it replaces ``target``.

    A reader never sees a half-written ``target``; a failed write leaves no temporary file.
    The temporary name is ``.NAME.PID.tmp`` (a sweep's resume clears stale ones).
    """
    target = Path(target)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        yield staging
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


@contextmanager
def staged_folder(target: str | os.PathLike, *, replace: bool = True) -> Iterator[Path]:
    """Yield an empty staging folder; when the block succeeds, it becomes ``target``.

    Parameters
    ----------
    target : path
        The folder to create.
    replace : bool
        Remove an existing ``target`` first (the caller has checked that it may); with False an
        existing ``target`` must be empty.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield staging
        if target.is_dir():
            if replace:
                shutil.rmtree(target)
            else:
                target.rmdir()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
