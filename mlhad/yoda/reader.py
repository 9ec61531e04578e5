"""Read YODA text files (YODA1 and YODA2, plain or gzipped) into YODA objects.

What to use when:
    - :func:`read_yoda` for a file on disk (``.yoda`` or ``.yoda.gz``; gzip is detected
      from the content, as YODA does).
    - :func:`reads_yoda` for text already in memory.

Both return ``{path: object}`` in file order. Bookkeeping objects (``/RAW/``,
``/_EVTCOUNT``, ``/_XSEC``...) are read too; check ``obj.is_bookkeeping`` or filter with
``unpatterns=["^/RAW/", "/_"]``.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Iterable
from pathlib import Path

from mlhad.exceptions import InputFileNotFoundError, YodaFormatError
from mlhad.yoda._base import YodaObject
from mlhad.yoda._blocks import Block, split_blocks
from mlhad.yoda._parse_v2 import V2_KINDS, parse_v2
from mlhad.yoda._parse_v3 import V3_KINDS, parse_v3, v3_supported
from mlhad.yoda._text import BlockError

__all__ = ["read_yoda", "reads_yoda", "path_filter"]

_GZIP_MAGIC = b"\x1f\x8b"


def _compile(patterns: str | Iterable[str] | None, what: str) -> list[re.Pattern[str]]:
    if patterns is None:
        return []
    if isinstance(patterns, str):
        patterns = [patterns]
    compiled = []
    for p in patterns:
        try:
            compiled.append(re.compile(p))
        except re.error as err:
            raise YodaFormatError(f"{what} entry {p!r} is not a valid regular expression: {err}") from err
    return compiled


def path_filter(patterns: str | Iterable[str] | None = None, unpatterns: str | Iterable[str] | None = None):
    """Predicate on object paths: keep if any pattern matches (``re.search``; all if none)
    and no unpattern matches."""
    keep_any, drop_any = _compile(patterns, "patterns"), _compile(unpatterns, "unpatterns")

    def keep(path: str) -> bool:
        if keep_any and not any(p.search(path) for p in keep_any):
            return False
        return not any(p.search(path) for p in drop_any)

    return keep


def _build(block: Block, source: str) -> YodaObject:
    where = f"{source}, line {block.begin} ({block.token} {block.path})"
    if block.version > 3:
        raise YodaFormatError(f"{where}: format version V{block.version} is newer than this reader (V1-V3); update mlhad")
    if block.version <= 2 and block.kind not in V2_KINDS:
        raise YodaFormatError(
            f"{where}: unsupported YODA1 object type {block.kind!r}; supported: {', '.join(sorted(V2_KINDS))}. "
            f"Skip it with unpatterns=[{re.escape(block.path)!r}]"
        )
    if block.version == 3 and not v3_supported(block.kind):
        raise YodaFormatError(
            f"{where}: unsupported YODA2 object type {block.kind!r}; supported: {', '.join(sorted(V3_KINDS))} "
            f"and BINNEDESTIMATE<...>. Skip it with unpatterns=[{re.escape(block.path)!r}]"
        )
    path_ann = block.annotations.get("Path")
    if path_ann is not None and path_ann != block.path:
        line = block.annotation_lines.get("Path", block.begin)
        raise YodaFormatError(
            f"{source}, line {line}: annotation 'Path: {path_ann}' disagrees with the BEGIN line path "
            f"{block.path!r} (line {block.begin}); make them equal"
        )
    try:
        return parse_v2(block) if block.version <= 2 else parse_v3(block)
    except BlockError as err:
        line = block.begin if err.lineno is None else err.lineno
        raise YodaFormatError(f"{source}, line {line} (object {block.path}, {block.token}): {err.message}") from None
    except YodaFormatError as err:
        raise YodaFormatError(f"{where}: {err}") from None


def reads_yoda(
    text: str,
    source: str = "<string>",
    *,
    patterns: str | Iterable[str] | None = None,
    unpatterns: str | Iterable[str] | None = None,
) -> dict[str, YodaObject]:
    """Parse YODA text.

    Args:
        text: The file content.
        source: Name used in error messages.
        patterns: Regular expression(s); only objects whose path matches one are kept.
        unpatterns: Regular expression(s); objects whose path matches one are skipped
            (their content is not even parsed).

    Returns:
        ``{path: object}`` in file order.

    Raises:
        YodaFormatError: Malformed text; the message names ``source``, the line, the
            object path and what to fix.
    """
    keep = path_filter(patterns, unpatterns)
    out: dict[str, YodaObject] = {}
    first_line: dict[str, int] = {}
    for block in split_blocks(text.splitlines(), source, keep):
        if block.path in out:
            raise YodaFormatError(
                f"{source}, line {block.begin}: object {block.path} appears twice (first on line "
                f"{first_line[block.path]}); paths must be unique"
            )
        out[block.path] = _build(block, source)
        first_line[block.path] = block.begin
    return out


def _decode(data: bytes, source: str) -> str:
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise YodaFormatError(
                f"{source}: looks gzipped but cannot be decompressed ({err}); the file is truncated or corrupt"
            ) from err
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise YodaFormatError(
            f"{source}, line {line}: not UTF-8 text (byte {data[err.start]:#04x}); is this a YODA text file?"
        ) from err


def read_yoda(
    path: str | os.PathLike[str],
    *,
    patterns: str | Iterable[str] | None = None,
    unpatterns: str | Iterable[str] | None = None,
) -> dict[str, YodaObject]:
    """Read a YODA file (YODA1 or YODA2 blocks, plain or gzipped).

    Args:
        path: File to read.
        patterns, unpatterns: Path filters, see :func:`reads_yoda`.

    Returns:
        ``{full path: object}``, e.g. key ``/REF/ALEPH_1996_S3486095/d01-x01-y01``.

    Raises:
        FileNotFoundError: No such file.
        YodaFormatError: Malformed content (file, line, object and fix in the message).

    Example:
        >>> from mlhad.yoda import read_yoda, reference_path
        >>> ref = read_yoda(reference_path("ALEPH_1996_S3486095"))
        >>> ref["/REF/ALEPH_1996_S3486095/d01-x01-y01"].edges[:3].tolist()
        [0.0, 0.005, 0.01]
    """
    file = Path(path)
    if not file.is_file():
        what = "is a directory, not a file" if file.is_dir() else "does not exist"
        raise InputFileNotFoundError(f"YODA file {str(file)!r} {what}; check the path (cwd is {os.getcwd()!r})")
    return reads_yoda(_decode(file.read_bytes(), str(file)), str(file), patterns=patterns, unpatterns=unpatterns)
