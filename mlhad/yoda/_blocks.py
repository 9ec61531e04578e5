"""Split YODA text into ``BEGIN ... END`` blocks: annotations, data metadata, data rows.

Layout of a block (YODA1 "V2" and YODA2 "V3")::

    BEGIN YODA_<TYPE>_V<k> <path>       # older files: "# BEGIN ...", no _V<k> (format 1)
    Key: value                           # annotations (YAML-like), until ---
    ---
    Edges(A1): [0, 0.5, 1]               # V3 only: binning, error labels, masked bins
    ErrorLabels: ["stats"]
    # comment
    <data rows>
    END YODA_<TYPE>_V<k>

Format 1 blocks have ``Key=value`` annotation lines mixed with the data and no ``---``.
Lines are numbered from 1 so every error can point at its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from mlhad.exceptions import YodaFormatError

__all__ = ["Block", "split_blocks"]

_TYPE_TOKEN = re.compile(r"^YODA_(?P<type>.+?)(?:_V(?P<version>\d+))?$")
# After '---' (format >= 2) data rows start like a number (digits, sign, point, nan, inf);
# BEGIN/END, comments, metadata and "Total"/"Underflow" rows do not, so rows can skip the
# other checks. Format-1 blocks mix "Key=value" annotations in and take the slow path.
_NUMERIC_START = frozenset("0123456789+-.nNiI")
_META_KEY = re.compile(r"^(?P<key>Edges\(A\d+\)|ErrorLabels|MaskedBins)\s*:\s*(?P<value>.*)$")


@dataclass
class Block:
    """One object's text, tokenised but not yet interpreted.

    Attributes:
        token: The full type token of the BEGIN line (``YODA_HISTO1D_V3``).
        kind: Upper-case type without prefix/version (``HISTO1D``, ``BINNEDESTIMATE<I>``).
        version: Block format version (1 if the token has no ``_V<k>``).
        path: Object path from the BEGIN line.
        begin: Line number of the BEGIN line.
        annotations: key -> raw value string.
        meta: V3 data metadata key -> (line number, raw value).
        rows: Data rows as (line number, tokens).
    """

    token: str
    kind: str
    version: int
    path: str
    begin: int
    annotations: dict[str, str] = field(default_factory=dict)
    annotation_lines: dict[str, int] = field(default_factory=dict)
    meta: dict[str, tuple[int, str]] = field(default_factory=dict)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def _marker(stripped: str) -> str:
    """``BEGIN``/``END`` lines may carry leading ``#`` in old files; return them without."""
    return stripped.lstrip("#").strip() if stripped.startswith("#") else stripped


def _add_annotation(block: Block, key: str, value: str, lineno: int, source: str) -> None:
    if key in block.annotations:
        raise YodaFormatError(
            f"{source}, line {lineno} (object {block.path}): annotation {key!r} given twice "
            f"(first on line {block.annotation_lines[key]}); remove one"
        )
    block.annotations[key] = value
    block.annotation_lines[key] = lineno


def split_blocks(
    lines: list[str], source: str, keep: Callable[[str], bool]
) -> Iterator[Block]:
    """Yield the blocks of a YODA text whose path passes ``keep``.

    Skipped blocks are still scanned for their END line, so truncation is always caught.

    Raises:
        YodaFormatError: A line outside any block that is not BEGIN/comment/blank, a
            BEGIN inside a block, an END of another type, or a missing END.
    """
    block: Block | None = None
    skipping = False
    in_annotations = False
    last_key: str | None = None
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        if block is None:
            if not stripped or (stripped.startswith("#") and "BEGIN" not in stripped):
                continue
            marker = _marker(stripped)
            parts = marker.split(None, 2)
            if len(parts) < 2 or parts[0] != "BEGIN":
                raise YodaFormatError(
                    f"{source}, line {lineno}: expected 'BEGIN YODA_<TYPE> <path>' to start an object, "
                    f"got {stripped!r:.100}; is this a YODA file?"
                )
            match = _TYPE_TOKEN.match(parts[1])
            if not match:
                raise YodaFormatError(
                    f"{source}, line {lineno}: object type {parts[1]!r} does not look like YODA_<TYPE>_V<k>"
                )
            path = parts[2].strip() if len(parts) > 2 else ""
            if any(c.isspace() for c in path):
                raise YodaFormatError(f"{source}, line {lineno}: object path {path!r} contains whitespace")
            version = int(match.group("version") or 1)
            block = Block(token=parts[1], kind=match.group("type").upper(), version=version, path=path, begin=lineno)
            skipping = not keep(path)
            in_annotations = version >= 2
            last_key = None
            continue

        if block.version >= 2 and not in_annotations and not skipping and stripped[:1] in _NUMERIC_START:
            block.rows.append((lineno, stripped.split()))
            continue
        marker = _marker(stripped)
        if marker.startswith("BEGIN ") or marker == "BEGIN":
            raise YodaFormatError(
                f"{source}, line {lineno}: new BEGIN inside object {block.path} (begun on line {block.begin}); "
                f"the file is truncated or an 'END {block.token}' line is missing"
            )
        if marker.startswith("END ") or marker == "END":
            parts = marker.split()
            if len(parts) < 2 or parts[1] != block.token:
                found = parts[1] if len(parts) > 1 else "nothing"
                raise YodaFormatError(
                    f"{source}, line {lineno}: 'END {found}' closes object {block.path} of type {block.token} "
                    f"(begun on line {block.begin}); expected 'END {block.token}'"
                )
            if not skipping:
                yield block
            block = None
            continue
        if skipping:
            continue

        if in_annotations:
            if stripped == "---":
                in_annotations = False
            elif not stripped or stripped.startswith("#"):
                continue
            elif line[:1].isspace() and last_key is not None:
                # YAML continuation line: part of the previous value, kept verbatim
                block.annotations[last_key] += "\n" + line
            else:
                key, sep, value = line.partition(":")
                if not sep or not key.strip() or any(c.isspace() for c in key.strip()):
                    raise YodaFormatError(
                        f"{source}, line {lineno} (object {block.path}): expected an annotation 'Key: value' "
                        f"or '---' before the data, got {stripped!r:.100}"
                    )
                last_key = key.strip()
                _add_annotation(block, last_key, value.strip(), lineno, source)
            continue

        if not stripped or stripped.startswith("#"):
            continue
        if block.version == 1 and "=" in stripped:
            key, _, value = stripped.partition("=")
            _add_annotation(block, key.strip(), value.strip(), lineno, source)
            continue
        meta = _META_KEY.match(stripped) if block.version >= 3 else None
        if meta:
            key = meta.group("key")
            if key in block.meta:
                raise YodaFormatError(f"{source}, line {lineno} (object {block.path}): {key} given twice")
            block.meta[key] = (lineno, meta.group("value"))
            continue
        block.rows.append((lineno, stripped.split()))

    if block is not None:
        raise YodaFormatError(
            f"{source}: object {block.path} (type {block.token}, begun on line {block.begin}) has no END line; "
            "the file is truncated (an interrupted write?); regenerate it"
        )
