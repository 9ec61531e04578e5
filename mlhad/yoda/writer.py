"""Write YODA objects as YODA2 (default) or YODA1 text, atomically.

``version=2`` writes YODA2 "V3" blocks (Rivet 4, YODA >= 2.0); ``version=1`` writes
YODA1 "V2" blocks (Rivet 3, YODA 1.x, Professor 2). Numbers are written in shortest
round-trip form, so ``read_yoda(write_yoda(...))`` returns identical objects.

A file is first written to a temporary name in the target directory, flushed to disk,
then moved into place, so a crash never leaves a half-written file under the real name,
and an existing file is never replaced unless ``overwrite=True``.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from mlhad.exceptions import InputFileNotFoundError, OutputExistsError, YodaFormatError
from mlhad.yoda._base import YodaObject
from mlhad.yoda._render import render_block

__all__ = ["write_yoda", "writes_yoda"]


def _objects(objects: Mapping[str, YodaObject] | Iterable[YodaObject]) -> list[YodaObject]:
    if isinstance(objects, YodaObject):
        objects = [objects]
    out: list[YodaObject] = []
    seen: set[str] = set()
    if isinstance(objects, Mapping):
        for key, obj in objects.items():
            if not isinstance(obj, YodaObject):
                raise YodaFormatError(f"entry {key!r} is a {type(obj).__name__}, not a YODA object")
            if key != obj.path:
                raise YodaFormatError(
                    f"entry {key!r} holds an object with path {obj.path!r}; keys must equal paths "
                    "(use obj.replace(path=...) to rename)"
                )
            out.append(obj)
            seen.add(key)
        return out
    for obj in objects:
        if not isinstance(obj, YodaObject):
            raise YodaFormatError(f"cannot write a {type(obj).__name__}: expected YODA objects")
        if obj.path in seen:
            raise YodaFormatError(f"two objects have the path {obj.path!r}; paths in a file must be unique")
        seen.add(obj.path)
        out.append(obj)
    return out


def writes_yoda(objects: Mapping[str, YodaObject] | Iterable[YodaObject], version: int = 2) -> str:
    """Render objects as YODA text.

    Args:
        objects: ``{path: object}`` (as returned by :func:`read_yoda`) or an iterable of
            objects; written in the given order.
        version: 2 for YODA2 ("V3" blocks, default) or 1 for YODA1 ("V2" blocks).

    Raises:
        YodaFormatError: Unknown version, key/path mismatch, duplicate paths, or an
            object the chosen version cannot hold (estimates in YODA1).
    """
    if version not in (1, 2):
        raise YodaFormatError(f"version must be 1 (YODA1, V2 blocks) or 2 (YODA2, V3 blocks), got {version!r}")
    return "".join(render_block(obj, version) for obj in _objects(objects))


def write_yoda(
    path: str | os.PathLike[str],
    objects: Mapping[str, YodaObject] | Iterable[YodaObject],
    *,
    version: int = 2,
    overwrite: bool = False,
) -> Path:
    """Write objects to a YODA file (gzipped if the name ends in ``.gz``), atomically.

    Args:
        path: Target file; its directory must exist.
        objects: See :func:`writes_yoda`.
        version: 2 (YODA2, default) or 1 (YODA1).
        overwrite: Replace an existing file; without it an existing file is an error.

    Returns:
        The path written.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False (nothing is written).
        FileNotFoundError: The target directory does not exist.
        YodaFormatError: See :func:`writes_yoda`.
    """
    target = Path(path)
    # render first: a bad object must not leave any file behind
    data = writes_yoda(objects, version=version).encode("utf-8")
    if target.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)  # mtime=0: identical input gives identical bytes
    if not target.parent.is_dir():
        raise InputFileNotFoundError(f"cannot write {str(target)!r}: directory {str(target.parent)!r} does not exist")
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{str(target)!r} already exists; pass overwrite=True to replace it")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp creates 0600; a written file gets the usual mode
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if target appeared meanwhile: never clobbers
            except FileExistsError:
                raise OutputExistsError(f"{str(target)!r} already exists; pass overwrite=True to replace it") from None
            except OSError:
                # filesystems without hard links: best effort, checked just above
                os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return target
