"""Output folders written atomically: filled in a staging sibling, then renamed into place.

A run folder, a sweep folder or a validation report that exists is therefore complete; an
interrupted or failed write leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
