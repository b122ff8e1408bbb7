"""The integrity of a sweep folder: identities, checksums, edits, the lock.

Every part carries the sweep's identity in its Parquet metadata (a hash of the resolved plan and
of its run's scenario and seed) and its SHA-256 is appended to ``checksums.sha256`` once it is
in place. A session starts by checking every part against both: a part of another sweep, or
one whose bytes differ (damaged), is moved to ``rejected/`` and its run run again. An edited
``scenario.toml`` is described key by key. :class:`_SweepLock` keeps a second session out.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from ecosystem.experiments.plan import Plan
from ecosystem.folders import write_error

PARTS = "parts"
FAILURES = "failures"
REJECTED = "rejected"
LOCK = ".lock"
CHECKSUMS = "checksums.sha256"
IDENTITY_KEY = "ecosystem.sweep_part"
"""Parquet metadata key of a part's identity (see :class:`_Identities`)."""


class SweepError(ValueError):
    """A sweep that cannot start or resume (a bad folder, a bad executor setting)."""


# -- identity -----------------------------------------------------------------------------------
def _digest(content: Any) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_identity(plan: Plan) -> str:
    """A hash of a sweep's resolved plan: its scenario, swept values, design and seeds."""
    return _digest({"plan": plan.to_json(), "scenario": plan.scenario.to_dict()})


class _Identities:
    """The identity of every part of a plan: plan hash, the run's scenario and seed, the run.

    Runs of one grid cell and design point (replicates) share a scenario, hashed once.
    """

    def __init__(self, plan: Plan):
        self.plan = plan
        self.sweep = plan_identity(plan)
        self._slots: dict[int, str] = {}

    def __call__(self, run: int) -> str:
        slot = run // self.plan.replicates
        if slot not in self._slots:
            self._slots[slot] = _digest(self.plan.run_scenario(run))
        return _digest([self.sweep, self._slots[slot], self.plan.seeds[run], run])


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and dotted.count(".") < 1:
            out.update(_flatten(value, f"{dotted}."))
        else:
            out[dotted] = value
    return out


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _changed_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """``key: old → new`` for every dotted key whose value differs."""
    old, new = _flatten(before), _flatten(after)
    changed = []
    for key in sorted(set(old) | set(new)):
        if old.get(key, "(absent)") != new.get(key, "(absent)"):
            changed.append(f"{key}: {_short(old.get(key, '(absent)'))} → "
                           f"{_short(new.get(key, '(absent)'))}")
    return changed


def _set_aside(folder: Path, path: Path) -> str:
    """Move a rejected part to ``rejected/`` (never deleted: it may be someone's file)."""
    place = folder / REJECTED
    place.mkdir(exist_ok=True)
    target = place / path.name
    number = 1
    while target.exists():
        target = place / f"{path.stem}.{number}{path.suffix}"
        number += 1
    os.replace(path, target)
    return target.relative_to(folder).as_posix()


def _is_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a panic of polars' Rust core (raised on some damaged files)."""
    return type(exc).__name__ == "PanicException"


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _recorded_checksums(folder: Path) -> dict[str, str]:
    """``parts/run-NNNNNN.parquet`` → SHA-256 of the part as written (``checksums.sha256``).

    The format is that of ``sha256sum``; a line cut short by a kill is ignored (its part is
    then run again).
    """
    out: dict[str, str] = {}
    try:
        text = (folder / CHECKSUMS).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        match = re.fullmatch(r"([0-9a-f]{64})  (parts/run-\d+\.parquet)", line)
        if match:
            out[match.group(2)] = match.group(1)
    return out


def _verify_parts(folder: Path, plan: Plan, identity: _Identities | None
                  ) -> tuple[set[int], list[dict[str, str]]]:
    """The runs whose part is this sweep's and intact; the others are set aside.

    A part is intact when its bytes hash to the checksum recorded when it was written, and it
    is this sweep's when the identity in its metadata is the one its run should have. A folder
    from before parts carried identities (``identity`` None) is checked by reading each part.
    """
    for place in (folder, folder / PARTS, folder / FAILURES):  # an interrupted session's
        for stale in place.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
    recorded = _recorded_checksums(folder)
    done, rejected = set(), []
    for path in sorted((folder / PARTS).glob("run-*.parquet")):
        match = re.fullmatch(r"run-(\d+)\.parquet", path.name)
        if match is None:
            continue
        run = int(match.group(1))
        name = f"{PARTS}/{path.name}"
        if run >= plan.n_runs:
            reason = f"not a run of this sweep (it has {plan.n_runs} runs)"
        elif identity is None:
            reason = _legacy_check(path)
        else:
            reason = _check_part(path, name, recorded, identity(run))
        if reason is None:
            done.add(run)
            continue
        moved = _set_aside(folder, path)
        rejected.append({"file": name, "reason": reason, "moved_to": moved})
    return done, rejected


def _check_part(path: Path, name: str, recorded: dict[str, str], expected: str) -> str | None:
    """Why a part cannot be kept, or None."""
    try:
        if recorded.get(name) == _file_digest(path):
            return None
        found = pl.read_parquet_metadata(path).get(IDENTITY_KEY)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return "damaged: it cannot be read"
    if found is not None and found != expected:
        return "not a part of this sweep (its identity does not match the plan)"
    if name not in recorded:
        return "not a part of this sweep (no checksum was recorded for it)"
    return "damaged: its content does not match the checksum recorded when it was written"


def _legacy_check(path: Path) -> str | None:
    try:
        pl.read_parquet(path)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return "damaged: it cannot be read to its end"
    return None


class _SweepLock:
    """The lock a session holds on its sweep folder: two sessions cannot run one sweep.

    ``flock`` on ``.lock`` (released by the system when the process ends, even when killed),
    with the holder's process number written in it for the message; where ``flock`` does not
    exist, an exclusively created file whose holder is checked for life.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / LOCK
        self.fd: int | None = None

    def _holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "?"
        except OSError:
            return "?"

    def _refuse(self) -> SweepError:
        return SweepError(f"{self.folder}: another session (process {self._holder()}) is "
                          "running this sweep now; wait for it to end, or stop it first")

    def __enter__(self) -> _SweepLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX
            fcntl = None
        try:
            if fcntl is not None:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    raise self._refuse() from None
            else:  # pragma: no cover - not on POSIX
                try:
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:
                    holder = self._holder()
                    from ecosystem.folders import _alive

                    if holder.isdigit() and _alive(int(holder)):
                        raise self._refuse() from None
                    self.path.unlink(missing_ok=True)
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as exc:
            raise write_error(exc, self.path) from None
        self.fd = fd
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)
        os.close(self.fd)  # releases the flock
        self.fd = None
        if "fcntl" not in sys.modules:  # pragma: no cover - the exclusive-file lock
            self.path.unlink(missing_ok=True)


