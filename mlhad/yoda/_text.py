"""Low-level text helpers of the YODA format: numbers, bracketed lists, quoting.

Numbers are written in Python's shortest round-trip form (``repr(float)``): reading it
back, in Python or with C's ``strtod`` as YODA does, gives the identical double. Names
of non-finite values follow YODA (``nan``, ``inf``, ``-inf``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "fmt",
    "fmt_row",
    "fmt_table",
    "parse_float",
    "parse_list",
    "format_list",
    "quote",
    "BlockError",
]


class BlockError(Exception):
    """Internal: a problem inside a block, at ``lineno`` (made a YodaFormatError by the reader)."""

    def __init__(self, lineno: int | None, message: str) -> None:
        super().__init__(message)
        self.lineno = lineno
        self.message = message


def fmt(value: float) -> str:
    """Shortest string that reads back as exactly ``value`` (``0.1``, ``1e-05``, ``nan``).

    ``repr`` of a Python float is the shortest round-trip form, and spells non-finite
    values ``nan``, ``inf``, ``-inf`` exactly as YODA does.
    """
    return repr(float(value))


def fmt_row(values: Iterable[float]) -> str:
    """Tab-separated row of :func:`fmt` numbers."""
    return "\t".join(map(repr, map(float, values)))


def fmt_table(table: np.ndarray) -> list[str]:
    """Rows of a 2D float array as tab-separated :func:`fmt` numbers (fast path)."""
    return ["\t".join(map(repr, row)) for row in np.asarray(table, dtype=np.float64).tolist()]


def parse_float(token: str, lineno: int | None, what: str) -> float:
    """``float(token)`` with a located error for non-numeric input."""
    try:
        return float(token)
    except ValueError:
        raise BlockError(lineno, f"{what}: {token!r} is not a number") from None


def quote(text: str) -> str:
    """Double-quote a label the way C++ ``std::quoted`` does (escape ``"`` and ``\\``)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_list(text: str, lineno: int | None, what: str) -> list[tuple[str, bool]]:
    """Parse ``[a, b, "c d"]`` into ``[(item, was_quoted), ...]``."""
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise BlockError(lineno, f"{what}: expected a bracketed list [...], got {text!r:.80}")
    body = text[1:-1]
    if not body.strip():
        return []
    if '"' not in body and "'" not in body:  # fast path: plain numbers
        raw = [(item.strip(), False) for item in body.split(",")]
    else:
        raw = _split_unquoted(body, lineno, what)
    if any(item == "" and not quoted for item, quoted in raw):
        raise BlockError(lineno, f"{what}: empty entry in list [{body:.80}]")
    return raw


def _split_unquoted(body: str, lineno: int | None, what: str) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    i, n = 0, len(body)
    while True:
        while i < n and body[i].isspace():
            i += 1
        if i < n and body[i] in "\"'":
            q = body[i]
            i += 1
            chars = []
            while i < n and body[i] != q:
                if body[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(body[i])
                i += 1
            if i >= n:
                raise BlockError(lineno, f"{what}: unterminated quoted label in [{body:.80}]")
            i += 1
            out.append(("".join(chars), True))
            while i < n and body[i].isspace():
                i += 1
            if i < n and body[i] != ",":
                raise BlockError(lineno, f"{what}: expected ',' after a quoted label in [{body:.80}]")
        else:
            j = body.find(",", i)
            j = n if j < 0 else j
            out.append((body[i:j].strip(), False))
            i = j
        if i >= n:
            return out
        i += 1  # skip the comma


def format_list(items: Sequence[object], *, quoted: bool) -> str:
    """``[a, b]`` with :func:`fmt` numbers, or quoted labels."""
    if quoted:
        return "[" + ", ".join(quote(str(v)) for v in items) + "]"
    return "[" + ", ".join(str(v) if isinstance(v, int) else fmt(v) for v in items) + "]"  # type: ignore[arg-type]
