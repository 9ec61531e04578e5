"""Interpret YODA2 blocks (``YODA_<TYPE>_V3``).

After ``---`` a binned object lists its binning once, then one row per bin in global
order (first axis fastest; continuous axes: underflow, bins, overflow; discrete axes: an
"other" bin, then the labelled bins)::

    Edges(A1): [0.0, 0.5, 1.0]          # discrete axes: [1, 2] or ["a", "b"]
    MaskedBins: [2]                      # optional
    ErrorLabels: ["stats", "sys"]        # estimates only, optional
    # value  errDn(1)  errUp(1)  errDn(2)  errUp(2)
    nan      ---       ---       ---       ---

Histo1D rows: ``sumW sumW2 sumW(A1) sumW2(A1) numEntries``; Histo2D and Profile1D rows:
``sumW sumW2 sumW(A1) sumW2(A1) sumW(A2) sumW2(A2) sumW(A1,A2) numEntries``; scatters:
``val err- err+`` per dimension (positive magnitudes); counters ``sumW sumW2 numEntries``.
"""

from __future__ import annotations

import re

import numpy as np

from mlhad.yoda._base import YodaObject
from mlhad.yoda._blocks import Block
from mlhad.yoda._parse_common import matrix, single_row
from mlhad.yoda._text import BlockError, parse_list
from mlhad.yoda.estimate import BinnedEstimate, Estimate0D, Estimate1D, Estimate2D
from mlhad.yoda.histo import Counter, Histo1D, Histo2D, Profile1D
from mlhad.yoda.scatter import Scatter1D, Scatter2D, Scatter3D

__all__ = ["parse_v3", "v3_supported", "V3_KINDS"]

_KIND_CODES = {"D": "d", "DOUBLE": "d", "I": "i", "INT": "i", "S": "s", "STRING": "s", "STD::STRING": "s"}
_TEMPLATE = re.compile(r"^BINNEDESTIMATE<(?P<args>[^<>]*)>$")
_HISTO_COLS = ("sumW", "sumW2", "sumW(A1)", "sumW2(A1)", "numEntries")
_DBN2_COLS = ("sumW", "sumW2", "sumW(A1)", "sumW2(A1)", "sumW(A2)", "sumW2(A2)", "sumW(A1,A2)", "numEntries")


def _axis(block: Block, k: int, kind: str) -> object:
    key = f"Edges(A{k})"
    if key not in block.meta:
        raise BlockError(block.begin, f"no '{key}: [...]' line: the binning of axis {k} is missing")
    lineno, text = block.meta[key]
    items = parse_list(text, lineno, key)
    if kind == "s":
        return tuple(item for item, _ in items)
    if any(quoted for _, quoted in items):
        raise BlockError(lineno, f"{key}: quoted labels on a numeric axis")
    try:
        if kind == "i":
            return tuple(int(item) for item, _ in items)
        return np.array([float(item) for item, _ in items])
    except ValueError:
        raise BlockError(lineno, f"{key}: entries must be {'integers' if kind == 'i' else 'numbers'}: {text!r:.120}") from None


def _masked(block: Block) -> tuple[int, ...]:
    if "MaskedBins" not in block.meta:
        return ()
    lineno, text = block.meta["MaskedBins"]
    try:
        return tuple(int(item) for item, _ in parse_list(text, lineno, "MaskedBins"))
    except ValueError:
        raise BlockError(lineno, f"MaskedBins must list integer bin indices: {text!r:.120}") from None


def _labels(block: Block) -> list[str]:
    if "ErrorLabels" not in block.meta:
        return []
    lineno, text = block.meta["ErrorLabels"]
    return [item for item, _ in parse_list(text, lineno, "ErrorLabels")]


def _binned_table(block: Block, shape: tuple[int, ...], masked: tuple[int, ...], columns: tuple[str, ...],
                  missing_ok: tuple[int, ...], fill: float) -> np.ndarray:
    """All bin rows as (n_total, ncol); rows of masked bins may be absent (then ``fill``)."""
    n_total = int(np.prod(shape))
    table = matrix(block.rows, columns, missing_ok=missing_ok)
    if table.shape[0] == n_total:
        return table
    if masked and table.shape[0] == n_total - len(masked):
        full = np.full((n_total, len(columns)), fill)
        full[[i for i in range(n_total) if i not in set(masked)]] = table
        return full
    where = block.rows[-1][0] if block.rows else block.begin
    raise BlockError(
        where,
        f"{table.shape[0]} data rows for {n_total} bins (shape {shape} incl. under/overflow); "
        "the rows do not match the Edges lines",
    )


def _to_grid(table: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    # global index runs first-axis fastest, i.e. Fortran order
    return table.reshape(shape + table.shape[1:], order="F")


def _estimate(block: Block, kinds: str) -> YodaObject:
    axes = tuple(_axis(block, k + 1, kind) for k, kind in enumerate(kinds))
    shape = tuple(len(a) + 1 for a in axes)
    labels = _labels(block)
    cols = ("value",) + tuple(f"err{d}({i + 1})" for i in range(len(labels)) for d in ("Dn", "Up"))
    masked = _masked(block)
    table = _binned_table(block, shape, masked, cols, tuple(range(1, len(cols))), np.nan)
    grid = _to_grid(table, shape)
    sources = {lab: (grid[..., 1 + 2 * i], grid[..., 2 + 2 * i]) for i, lab in enumerate(labels)}
    cls = {"d": Estimate1D, "dd": Estimate2D}.get(kinds, BinnedEstimate)
    return cls(path=block.path, annotations=block.annotations, axes=axes, content=grid[..., 0],
               sources=sources, masked=masked)


def _estimate0d(block: Block) -> YodaObject:
    labels = _labels(block)
    cols = ("value",) + tuple(f"err{d}({i + 1})" for i in range(len(labels)) for d in ("Dn", "Up"))
    row = single_row(block.rows, cols, "Estimate0D", block.begin, missing_ok=tuple(range(1, len(cols))))
    sources = {lab: (row[1 + 2 * i], row[2 + 2 * i]) for i, lab in enumerate(labels)}
    return Estimate0D(path=block.path, annotations=block.annotations, value=row[0], sources=sources)


def _histo(block: Block, cls: type, ndim: int, columns: tuple[str, ...]) -> YodaObject:
    axes = tuple(_axis(block, k + 1, "d") for k in range(ndim))
    shape = tuple(len(a) + 1 for a in axes)
    masked = _masked(block)
    grid = _to_grid(_binned_table(block, shape, masked, columns, (), 0.0), shape)
    if ndim == 1:
        return cls(path=block.path, annotations=block.annotations, edges=axes[0], dbn=grid, masked=masked)
    return cls(path=block.path, annotations=block.annotations, xedges=axes[0], yedges=axes[1], dbn=grid, masked=masked)


def _scatter(block: Block, ndim: int) -> YodaObject:
    cols = tuple(f"{c}{k + 1}{s}" for k in range(ndim) for c, s in (("val", ""), ("err", "-"), ("err", "+")))
    data = matrix(block.rows, cols)
    kw: dict = {}
    for k, a in enumerate("xyz"[:ndim]):
        kw[a], kw[f"{a}err_minus"], kw[f"{a}err_plus"] = data[:, 3 * k], data[:, 3 * k + 1], data[:, 3 * k + 2]
    cls = {1: Scatter1D, 2: Scatter2D, 3: Scatter3D}[ndim]
    return cls(path=block.path, annotations=block.annotations, **kw)


def _counter(block: Block) -> YodaObject:
    row = single_row(block.rows, ("sumW", "sumW2", "numEntries"), "Counter", block.begin)
    return Counter(path=block.path, annotations=block.annotations, sumw=row[0], sumw2=row[1], numentries=row[2])


V3_KINDS = {
    "SCATTER1D": lambda b: _scatter(b, 1),
    "SCATTER2D": lambda b: _scatter(b, 2),
    "SCATTER3D": lambda b: _scatter(b, 3),
    "COUNTER": _counter,
    "ESTIMATE0D": _estimate0d,
    "ESTIMATE1D": lambda b: _estimate(b, "d"),
    "ESTIMATE2D": lambda b: _estimate(b, "dd"),
    "ESTIMATE3D": lambda b: _estimate(b, "ddd"),
    "HISTO1D": lambda b: _histo(b, Histo1D, 1, _HISTO_COLS),
    "HISTO2D": lambda b: _histo(b, Histo2D, 2, _DBN2_COLS),
    "PROFILE1D": lambda b: _histo(b, Profile1D, 1, _DBN2_COLS),
}


def _template_kinds(kind: str) -> str | None:
    match = _TEMPLATE.match(kind)
    if not match:
        return None
    codes = [a.strip() for a in match.group("args").split(",")]
    if not codes or any(c not in _KIND_CODES for c in codes):
        return None
    return "".join(_KIND_CODES[c] for c in codes)


def v3_supported(kind: str) -> bool:
    """True if a V3 block of this kind can be read."""
    return kind in V3_KINDS or _template_kinds(kind) is not None


def parse_v3(block: Block) -> YodaObject:
    """Build the object of a YODA2 block (the caller has checked ``v3_supported``)."""
    if block.kind in V3_KINDS:
        return V3_KINDS[block.kind](block)
    return _estimate(block, _template_kinds(block.kind) or "")
