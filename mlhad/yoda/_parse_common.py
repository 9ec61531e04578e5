"""Shared helpers of the block parsers: numeric matrices with located errors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlhad.yoda._text import BlockError, parse_float

__all__ = ["matrix", "single_row"]


def matrix(
    rows: Sequence[tuple[int, list[str]]],
    columns: Sequence[str],
    *,
    missing_ok: Sequence[int] = (),
) -> np.ndarray:
    """Convert tokenised rows into an (n_rows, n_cols) float array.

    Args:
        rows: (line number, tokens) pairs.
        columns: Column names, for messages; their number is the required row length.
        missing_ok: Column indices where ``---`` (no value) is allowed; it reads as NaN.

    Raises:
        BlockError: A row with the wrong number of columns or a non-numeric entry,
            located at its line.
    """
    ncol = len(columns)
    for lineno, tokens in rows:
        if len(tokens) != ncol:
            raise BlockError(
                lineno,
                f"row has {len(tokens)} columns, expected {ncol} ({' '.join(columns)}): {' '.join(tokens)!r:.120}",
            )
    if not rows:
        return np.zeros((0, ncol))
    table = [tokens for _, tokens in rows]
    if missing_ok:
        allowed = set(missing_ok)
        table = [[("nan" if (t == "---" and j in allowed) else t) for j, t in enumerate(tok)] for tok in table]
    flat = [t for tokens in table for t in tokens]
    try:
        return np.fromiter(map(float, flat), dtype=np.float64, count=len(flat)).reshape(len(table), ncol)
    except ValueError:
        # find the offending entry to point at it
        for (lineno, _), tokens in zip(rows, table, strict=True):
            for name, token in zip(columns, tokens, strict=True):
                parse_float(token, lineno, f"column {name}")
        raise


def single_row(rows: Sequence[tuple[int, list[str]]], columns: Sequence[str], what: str, begin: int,
               *, missing_ok: Sequence[int] = ()) -> np.ndarray:
    """Exactly one data row (Counter, Estimate0D) as a 1D array."""
    if len(rows) != 1:
        where = rows[1][0] if len(rows) > 1 else begin
        raise BlockError(where, f"a {what} has exactly one data row, found {len(rows)}")
    return matrix(rows, columns, missing_ok=missing_ok)[0]
