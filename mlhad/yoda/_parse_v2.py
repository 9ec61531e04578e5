"""Interpret YODA1 blocks (format versions 1 and 2: ``YODA_<TYPE>_V2`` or no suffix).

Row layouts (YODA 1.x ``WriterYODA``)::

    Scatter1D/2D/3D  xval xerr- xerr+ [yval yerr- yerr+ [zval zerr- zerr+]]
    Counter          sumW sumW2 numEntries
    Histo1D          Total|Underflow|Overflow (label twice) sumw sumw2 sumwx sumwx2 numEntries
                     then per bin: xlow xhigh sumw sumw2 sumwx sumwx2 numEntries
    Profile1D        as Histo1D with sumwy sumwy2 before numEntries
    Histo2D          Total row, then xlow xhigh ylow yhigh + 8 moments (no 2D outflows)

Bins may come in any order and with gaps (YODA1 allows them); gaps become masked empty
bins so the binning is contiguous.
"""

from __future__ import annotations

import numpy as np

from mlhad.yoda._base import YodaObject
from mlhad.yoda._blocks import Block
from mlhad.yoda._parse_common import matrix, single_row
from mlhad.yoda._text import BlockError
from mlhad.yoda.histo import Counter, Histo1D, Histo2D, Profile1D
from mlhad.yoda.scatter import Scatter1D, Scatter2D, Scatter3D

__all__ = ["parse_v2", "V2_KINDS"]

_SCATTER_COLS = ("val", "err-", "err+")
_FLOW_LABELS = ("Total", "Underflow", "Overflow")


def _scatter(block: Block, ndim: int) -> YodaObject:
    names = "xyz"[:ndim]
    cols = [f"{a}{c}" for a in names for c in _SCATTER_COLS]
    data = matrix(block.rows, cols)
    kw: dict = {}
    for k, a in enumerate(names):
        kw[a] = data[:, 3 * k]
        kw[f"{a}err_minus"] = data[:, 3 * k + 1]
        kw[f"{a}err_plus"] = data[:, 3 * k + 2]
    cls = {1: Scatter1D, 2: Scatter2D, 3: Scatter3D}[ndim]
    return cls(path=block.path, annotations=block.annotations, **kw)


def _counter(block: Block) -> YodaObject:
    row = single_row(block.rows, ("sumW", "sumW2", "numEntries"), "Counter", block.begin)
    return Counter(path=block.path, annotations=block.annotations, sumw=row[0], sumw2=row[1], numentries=row[2])


def _split_flows(block: Block, moments: tuple[str, ...], n_bin_coords: int):
    """Separate Total/Underflow/Overflow rows from bin rows."""
    flows: dict[str, tuple[int, np.ndarray]] = {}
    bins: list[tuple[int, list[str]]] = []
    for lineno, tokens in block.rows:
        if tokens and tokens[0] in _FLOW_LABELS:
            label = tokens[0]
            if len(tokens) < 2 or tokens[1] != label:
                raise BlockError(lineno, f"a {label} row starts with '{label} {label}', got {' '.join(tokens)!r:.80}")
            if label in flows:
                raise BlockError(lineno, f"second {label} row (first on line {flows[label][0]})")
            flows[label] = (lineno, matrix([(lineno, tokens[2:])], moments)[0])
        else:
            bins.append((lineno, tokens))
    coords = ("xlow", "xhigh", "ylow", "yhigh")[:n_bin_coords]
    table = matrix(bins, coords + moments)
    return flows, bins, table


def _contiguous(block: Block, lows: np.ndarray, highs: np.ndarray, lines: list[int], axis: str):
    """Sort bins, fill gaps with extra (masked) bins: return edges and, per input bin, its new index."""
    order = np.argsort(lows, kind="stable")
    lo_s, hi_s = lows[order], highs[order]
    if np.all(hi_s > lo_s) and np.array_equal(hi_s[:-1], lo_s[1:]):  # the usual case: no gaps
        index = np.empty(len(lows), dtype=int)
        index[order] = np.arange(len(lows))
        return np.append(lo_s, hi_s[-1]), index, []
    lows, highs = lows.tolist(), highs.tolist()  # plain floats: exact, and readable in messages
    edges = [lows[int(order[0])]]
    index = np.empty(len(lows), dtype=int)
    gaps: list[int] = []
    for rank, i in enumerate(order):
        if not highs[i] > lows[i]:
            raise BlockError(lines[i], f"bin [{lows[i]!r}, {highs[i]!r}] on the {axis} axis has no width")
        if rank > 0:
            if lows[i] < edges[-1]:
                raise BlockError(lines[i], f"bin [{lows[i]!r}, {highs[i]!r}] overlaps the previous bin ending at {edges[-1]!r}")
            if lows[i] > edges[-1]:
                gaps.append(len(edges) - 1)
                edges.append(lows[i])
        index[i] = len(edges) - 1
        edges.append(highs[i])
    return np.asarray(edges), index, gaps


def _histo1d(block: Block, profile: bool) -> YodaObject:
    moments = ("sumw", "sumw2", "sumwx", "sumwx2") + (("sumwy", "sumwy2") if profile else ()) + ("numEntries",)
    flows, bins, table = _split_flows(block, moments, 2)
    if not bins:
        raise BlockError(block.begin, "histogram has no bins")
    edges, index, gaps = _contiguous(block, table[:, 0], table[:, 1], [ln for ln, _ in bins], "x")
    ncol = 8 if profile else 5

    def widen(row: np.ndarray) -> np.ndarray:
        # YODA1 profiles have no sumwxy column: insert it as 0 before numEntries
        return np.concatenate([row[:6], [0.0], row[6:]]) if profile else row

    dbn = np.zeros((edges.shape[0] + 1, ncol))
    body = table[:, 2:]
    dbn[index + 1] = np.insert(body, 6, 0.0, axis=1) if profile else body
    for label, pos in (("Underflow", 0), ("Overflow", -1)):
        if label in flows:
            dbn[pos] = widen(flows[label][1])
    total = widen(flows["Total"][1]) if "Total" in flows else None
    cls = Profile1D if profile else Histo1D
    return cls(path=block.path, annotations=block.annotations, edges=edges, dbn=dbn, total=total,
               masked=tuple(g + 1 for g in gaps))


def _histo2d(block: Block) -> YodaObject:
    moments = ("sumw", "sumw2", "sumwx", "sumwx2", "sumwy", "sumwy2", "sumwxy", "numEntries")
    for lineno, tokens in block.rows:
        if tokens and tokens[0] in ("Underflow", "Overflow"):
            raise BlockError(lineno, "YODA1 Histo2D files have no 1D Underflow/Overflow rows")
    flows, bins, table = _split_flows(block, moments, 4)
    if not bins:
        raise BlockError(block.begin, "histogram has no bins")
    lines = [ln for ln, _ in bins]
    xe = np.unique(np.concatenate([table[:, 0], table[:, 1]]))
    ye = np.unique(np.concatenate([table[:, 2], table[:, 3]]))
    ix = np.searchsorted(xe, table[:, 0])
    iy = np.searchsorted(ye, table[:, 2])
    dbn = np.zeros((len(xe) + 1, len(ye) + 1, 8))
    seen = np.zeros((len(xe) - 1, len(ye) - 1), dtype=bool)
    for k in range(len(bins)):
        if xe[ix[k] + 1] != table[k, 1] or ye[iy[k] + 1] != table[k, 3]:
            raise BlockError(lines[k], "Histo2D bins do not form a grid (a bin spans several grid cells); not supported")
        if seen[ix[k], iy[k]]:
            raise BlockError(lines[k], "two Histo2D bins cover the same cell")
        seen[ix[k], iy[k]] = True
        dbn[ix[k] + 1, iy[k] + 1] = table[k, 4:]
    nx2 = len(xe) + 1
    masked = tuple(int((i + 1) + nx2 * (j + 1)) for i, j in zip(*np.nonzero(~seen), strict=True))
    total = flows["Total"][1] if "Total" in flows else None
    return Histo2D(path=block.path, annotations=block.annotations, xedges=xe, yedges=ye, dbn=dbn,
                   total=total, masked=masked)


V2_KINDS = {
    "SCATTER1D": lambda b: _scatter(b, 1),
    "SCATTER2D": lambda b: _scatter(b, 2),
    "SCATTER3D": lambda b: _scatter(b, 3),
    "COUNTER": _counter,
    "HISTO1D": lambda b: _histo1d(b, profile=False),
    "PROFILE1D": lambda b: _histo1d(b, profile=True),
    "HISTO2D": _histo2d,
}


def parse_v2(block: Block) -> YodaObject:
    """Build the object of a YODA1 block (the caller has checked ``block.kind`` is known)."""
    return V2_KINDS[block.kind](block)
