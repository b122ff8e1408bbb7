"""Output files and folders written atomically: filled in a staging sibling, then moved in place.

A run folder, a sweep folder or a validation report that exists is therefore complete; an
interrupted or failed write leaves nothing behind, and the staging folder a killed process
leaves is removed by the next write into the same parent folder.

The program never deletes what it did not write. Every folder it writes records its own files
in ``manifest.json`` (``"files"``: paths relative to the folder, glob patterns for the parts of a
sweep); an existing, non-empty output folder is refused unless the caller asks to overwrite it,
and overwriting removes only the recorded files, keeping anything a person added.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

MANIFEST = "manifest.json"
STAGING_MARK = ".staging-"
"""Part of the name of every staging folder: ``.NAME.staging-PID-RANDOM``."""


class OutputFolderError(ValueError):
    """An output folder that cannot or must not be written."""


class OutputWriteError(OSError):
    """Writing an output failed (disk full, permission lost, ...): one line naming the path."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "write failed"


def utc_now() -> str:
    """The current time, ISO 8601 in UTC, to the second (for manifests)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_error(exc: OSError, path: str | os.PathLike, what: str = "") -> OutputWriteError:
    """An :class:`OutputWriteError` for ``exc`` that names ``path`` (not a temporary name)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.ENOSPC or "No space left" in str(exc):
        reason = "no space left on the device"
    text = f"cannot write {path}: {reason}"
    return OutputWriteError(f"{text}; {what}" if what else text)


def as_write_error(exc: BaseException, path: str | os.PathLike) -> OutputWriteError | None:
    """An :class:`OutputWriteError` naming ``path`` if ``exc`` is the disk failing, else None.

    Covers the operating system's errors and those polars reports as text ("os error 28").
    """
    if isinstance(exc, OutputWriteError):
        return exc
    if isinstance(exc, OSError):
        return write_error(exc, path)
    from_polars = isinstance(exc, Exception) and type(exc).__module__.startswith("polars")
    match = re.search(r"os error (\d+)", str(exc)) if from_polars else None
    if match:
        number = int(match.group(1))
        return write_error(OSError(number, os.strerror(number)), path)
    if from_polars and _disk_full(path):
        # polars may lose the operating system's error on a full disk and report a damaged
        # file instead ("Invalid thrift: transport error"): the disk is the cause
        return write_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), path)
    return None


def _disk_full(path: str | os.PathLike, margin: int = 1 << 20) -> bool:
    """Whether the file system holding ``path`` (or its nearest existing parent) is full."""
    folder = Path(path).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free < margin
    except OSError:
        return False


# -- what the program wrote ---------------------------------------------------------------------
def written_files(folder: str | os.PathLike) -> list[str] | None:
    """The files the program recorded as its own in ``folder/manifest.json`` (None: no record)."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
        return None
    return files


def _inside(folder: Path, pattern: str) -> Iterator[Path]:
    """The existing files matching a recorded ``pattern``, never outside ``folder``."""
    if not pattern or Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        return
    root = folder.resolve()
    for path in folder.glob(pattern):
        if path.is_symlink() or path.is_file():
            try:
                path.parent.resolve().relative_to(root)
            except ValueError:
                continue
            yield path


def remove_written(folder: str | os.PathLike, keep: Iterable[str] = ()) -> None:
    """Remove the files the program recorded in ``folder`` (``manifest.json`` last).

    Files not recorded stay; folders the removal leaves empty go. ``keep`` are relative paths
    not to remove (files about to be replaced in place).
    """
    folder = Path(folder)
    files = written_files(folder)
    if files is None:
        return
    keep = set(keep)
    emptied: set[Path] = set()
    for pattern in files:
        if pattern == MANIFEST:
            continue
        for path in _inside(folder, pattern):
            if path.relative_to(folder).as_posix() in keep:
                continue
            path.unlink(missing_ok=True)
            if path.parent != folder:
                emptied.add(path.parent)
    for place in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        # a folder holding something else stays: a person's file, and so its folder
        with contextlib.suppress(OSError):
            place.rmdir()
    if MANIFEST not in keep:
        (folder / MANIFEST).unlink(missing_ok=True)


def record_files(folder: str | os.PathLike, names: Iterable[str]) -> None:
    """Add ``names`` (relative paths or patterns) to the files ``manifest.json`` records."""
    folder = Path(folder)
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(manifest, dict):
        return
    files = manifest.get("files") if isinstance(manifest.get("files"), list) else []
    new = [name for name in names if name not in files]
    if not new:
        return
    manifest["files"] = [*files, *new]
    with staged_file(path) as staging:
        staging.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


# -- checks before any work ---------------------------------------------------------------------
def check_output_folder(
    target: str | os.PathLike,
    is_ours: Callable[[Path], bool],
    what: str,
    *,
    overwrite: bool = False,
) -> Path:
    """Refuse an output folder that would destroy or fail: checked before any work starts.

    ``target`` may be missing or empty; a non-empty folder is refused unless ``overwrite`` is
    given and the folder is one of ours (``is_ours``) with a record of the files the program
    wrote there. A symbolic link is followed: the folder it points to is the one written.

    Returns
    -------
    pathlib.Path
        The folder to write (``target`` with a symbolic link resolved).

    Raises
    ------
    OutputFolderError
        Naming the folder and what is wrong with it.
    """
    given = Path(target)
    target = given
    if given.is_symlink():
        target = given.resolve()
    if target.exists() and not target.is_dir():
        raise OutputFolderError(f"{given}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        if not overwrite:
            kind = f"holds a {what}" if is_ours(target) else "is not empty"
            raise OutputFolderError(
                f"{given}: folder exists and {kind}; nothing was written. Choose another "
                f"folder, or add --overwrite to replace the files this program wrote there "
                "(files you added are kept)"
            )
        if not is_ours(target) or written_files(target) is None:
            raise OutputFolderError(
                f"{given}: folder exists, is not empty and holds no {what} this program "
                "recorded; --overwrite removes only files the program wrote, so nothing was "
                "written. Choose another folder"
            )
    parent = target.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputFolderError(f"{given}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputFolderError(f"{given}: cannot write in {parent}")
    return target


def safe_folder_name(name: str, limit: int = 80) -> str:
    """A folder name from free text: no separators, ``..``, control characters, capped length.

    Used for the default ``runs/NAME-...`` folders, so that a scenario name cannot place its
    output outside ``runs/`` or fail after the simulation.
    """
    cleaned = "".join(
        "-" if (ch in '/\\:*?"<>|' or ord(ch) < 32 or ord(ch) == 127) else ch for ch in name
    )
    cleaned = "-".join(part for part in cleaned.split() if part)  # no blanks in folder names
    while ".." in cleaned:
        cleaned = cleaned.replace("..", ".")
    cleaned = cleaned.strip(".-") or "unnamed"
    encoded = cleaned.encode("utf-8")[:limit]
    return encoded.decode("utf-8", errors="ignore").rstrip(".-") or "unnamed"


# -- atomic writes ------------------------------------------------------------------------------
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


def clean_stale_staging(parent: str | os.PathLike) -> list[Path]:
    """Remove staging folders in ``parent`` whose writing process no longer runs.

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    removed = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return removed
    for path in entries:
        name = path.name
        if not (name.startswith(".") and STAGING_MARK in name) or path.is_symlink():
            continue
        try:
            pid = int(name.rsplit(STAGING_MARK, 1)[1].split("-", 1)[0])
        except ValueError:
            continue
        if path.is_dir() and not _alive(pid):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _files_of(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix()
                  for path in folder.rglob("*") if path.is_file())


def _record_staged(staging: Path) -> None:
    """Write the list of staged files into the staged ``manifest.json`` (if there is one)."""
    path = staging / MANIFEST
    if not path.is_file():
        return
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict):
        return
    declared = manifest.get("files") if isinstance(manifest.get("files"), list) else []
    files = list(dict.fromkeys([*_files_of(staging), *declared, MANIFEST]))
    manifest["files"] = files
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


@contextmanager
def staged_folder(target: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty staging folder; when the block succeeds, its files land in ``target``.

    The staged ``manifest.json`` gets the list of the files written (``"files"``). A missing or
    empty ``target`` is replaced by the staging folder in one rename. An existing ``target``
    needs ``overwrite`` (the caller has checked it with :func:`check_output_folder`): the files
    the program recorded there are removed, the new files moved in, ``manifest.json`` last, and
    every other file stays.

    Raises
    ------
    OutputWriteError
        If the disk refuses a write (full, read-only, ...), naming ``target``; nothing of the
        staging folder is left behind.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_staging(target.parent)
        staging = Path(tempfile.mkdtemp(
            prefix=f".{target.name[:60]}{STAGING_MARK}{os.getpid()}-", dir=target.parent))
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # an ordinary folder once in place, not mkdtemp's 0700
    except OSError as exc:
        raise write_error(exc, target) from None
    try:
        yield staging
        _record_staged(staging)
        if target.is_dir() and any(target.iterdir()):
            if not overwrite:
                raise OutputFolderError(f"{target}: folder is not empty; nothing was written")
            new = _files_of(staging)
            remove_written(target, keep=new)
            for name in [n for n in new if n != MANIFEST] + [MANIFEST]:
                source = staging / name
                if source.exists():
                    (target / name).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(source, target / name)
            shutil.rmtree(staging, ignore_errors=True)
        else:
            if target.is_dir():
                target.rmdir()
            staging.rename(target)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        failure = as_write_error(exc, target)
        if failure is None or failure is exc:
            raise
        raise failure from None
