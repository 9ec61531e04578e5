"""Render YODA objects as YODA1 ("V2") or YODA2 ("V3") text blocks.

Numbers are written in shortest round-trip form (see ``_text.fmt``), so reading the text
back gives bit-identical arrays. Annotations are written sorted by key, ``Path`` and
``Type`` included, as YODA does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlhad.exceptions import YodaFormatError
from mlhad.yoda._base import YodaObject
from mlhad.yoda._text import fmt, fmt_row, fmt_table, format_list, quote
from mlhad.yoda.estimate import BinnedEstimate, Estimate0D, axis_kind
from mlhad.yoda.histo import Counter, Histo1D, Histo2D, Profile1D
from mlhad.yoda.scatter import Scatter1D, Scatter2D, Scatter3D

__all__ = ["render_block"]


def _head(obj: YodaObject, version: int) -> list[str]:
    type_name = obj.type_name
    token = f"YODA_{type_name.upper()}_V{version}"
    ann = dict(obj.annotations)
    ann["Path"] = obj.path
    ann["Type"] = type_name
    lines = [f"BEGIN {token} {obj.path}"]
    lines += [f"{key}: {value}" if value else f"{key}:" for key, value in sorted(ann.items())]
    lines.append("---")
    return lines


def _tail(obj: YodaObject, version: int) -> list[str]:
    return [f"END YODA_{obj.type_name.upper()}_V{version}", ""]


def _scatter_rows(obj: Scatter1D | Scatter2D | Scatter3D) -> list[str]:
    cols = np.column_stack(obj.columns()) if obj.npoints else np.zeros((0, 3 * obj.ndim))
    return fmt_table(cols)


def _edges_lines(axes: tuple) -> list[str]:
    lines = []
    for k, axis in enumerate(axes, start=1):
        kind = axis_kind(axis)
        items = list(axis) if kind != "d" else [float(v) for v in axis]
        lines.append(f"Edges(A{k}): {format_list(items, quoted=(kind == 's'))}")
    return lines


def _masked_line(masked: tuple[int, ...]) -> list[str]:
    return [f"MaskedBins: [{', '.join(str(i) for i in masked)}]"] if masked else []


def _rows_first_axis_fastest(grid: np.ndarray, nd: int) -> np.ndarray:
    shape = grid.shape[:nd]
    return grid.reshape((int(np.prod(shape)),) + grid.shape[nd:], order="F")


def _error_cells(dn: float, up: float) -> str:
    if np.isnan(dn) and np.isnan(up):
        return "---\t---"
    return f"{fmt(dn)}\t{fmt(up)}"


def _estimate_body(values: np.ndarray, sources: dict) -> list[str]:
    labels = list(sources)
    lines = []
    if labels:
        lines.append("ErrorLabels: [" + ", ".join(quote(lab) for lab in labels) + "]")
    lines.append("# value\t" + "\t".join(f"errDn({i + 1})\terrUp({i + 1})" for i in range(len(labels))))
    pairs = [sources[lab] for lab in labels]
    for g, value in enumerate(values):
        cells = [fmt(value)] + [_error_cells(dn[g], up[g]) for dn, up in pairs]
        lines.append("\t".join(cells))
    return lines


def _v3_body(obj: YodaObject) -> list[str]:
    if isinstance(obj, (Scatter1D, Scatter2D, Scatter3D)):
        head = "\t".join(f"{c}{k + 1}{s}" for k in range(obj.ndim) for c, s in (("val", ""), ("err", "-"), ("err", "+")))
        return ["# " + head] + _scatter_rows(obj)
    if isinstance(obj, Counter):
        return ["# sumW\tsumW2\tnumEntries", fmt_row([obj.sumw, obj.sumw2, obj.numentries])]
    if isinstance(obj, Estimate0D):
        srcs = {k: (np.array([v[0]]), np.array([v[1]])) for k, v in obj.sources.items()}
        return _estimate_body(np.array([obj.value]), srcs)
    if isinstance(obj, BinnedEstimate):
        nd = len(obj.axes)
        values = _rows_first_axis_fastest(obj.content, nd)
        srcs = {k: (_rows_first_axis_fastest(dn, nd), _rows_first_axis_fastest(up, nd)) for k, (dn, up) in obj.sources.items()}
        return _edges_lines(obj.axes) + _masked_line(obj.masked) + _estimate_body(values, srcs)
    if isinstance(obj, (Histo1D, Profile1D)):
        cols = "sumW\tsumW2\tsumW(A1)\tsumW2(A1)\t" + ("sumW(A2)\tsumW2(A2)\tsumW(A1,A2)\t" if isinstance(obj, Profile1D) else "")
        return (_edges_lines((obj.edges,)) + _masked_line(obj.masked) + ["# " + cols + "numEntries"]
                + fmt_table(obj.dbn))
    if isinstance(obj, Histo2D):
        rows = _rows_first_axis_fastest(obj.dbn, 2)
        return (_edges_lines((obj.xedges, obj.yedges)) + _masked_line(obj.masked)
                + ["# sumW\tsumW2\tsumW(A1)\tsumW2(A1)\tsumW(A2)\tsumW2(A2)\tsumW(A1,A2)\tnumEntries"]
                + fmt_table(rows))
    raise YodaFormatError(f"{obj.path}: cannot write a {type(obj).__name__} as YODA2")


def _v2_flow_rows(label_rows: list[tuple[str, np.ndarray]]) -> list[str]:
    return [f"{label}\t{label}\t{fmt_row(row)}" for label, row in label_rows]


def _v2_profile_row(row: np.ndarray) -> np.ndarray:
    # YODA1 profiles carry no sumwxy: drop column 6
    return np.concatenate([row[:6], row[7:]])


def _v2_body(obj: YodaObject) -> list[str]:
    if isinstance(obj, (Scatter1D, Scatter2D, Scatter3D)):
        head = "\t".join(f"{a}{c}" for a in "xyz"[: obj.ndim] for c in ("val", "err-", "err+"))
        return ["# " + head] + _scatter_rows(obj)
    if isinstance(obj, Counter):
        return ["# sumW\tsumW2\tnumEntries", fmt_row([obj.sumw, obj.sumw2, obj.numentries])]
    if isinstance(obj, (Histo1D, Profile1D)):
        prof = isinstance(obj, Profile1D)
        conv: Callable[[np.ndarray], np.ndarray] = _v2_profile_row if prof else (lambda r: r)
        moments = "sumw\tsumw2\tsumwx\tsumwx2\t" + ("sumwy\tsumwy2\t" if prof else "") + "numEntries"
        lines = ["# ID\tID\t" + moments]
        lines += _v2_flow_rows([("Total", conv(np.array(obj.total))), ("Underflow", conv(obj.dbn[0])),
                                ("Overflow", conv(obj.dbn[-1]))])
        lines.append("# xlow\txhigh\t" + moments)
        keep = [i for i in range(obj.nbins) if i + 1 not in set(obj.masked)]  # masked bins are gaps in YODA1
        body = obj.dbn[1:-1] if not prof else np.delete(obj.dbn[1:-1], 6, axis=1)
        table = np.column_stack([obj.edges[:-1], obj.edges[1:], body])[keep]
        return lines + fmt_table(table)
    if isinstance(obj, Histo2D):
        moments = "sumw\tsumw2\tsumwx\tsumwx2\tsumwy\tsumwy2\tsumwxy\tnumEntries"
        lines = ["# ID\tID\t" + moments] + _v2_flow_rows([("Total", np.array(obj.total))])
        lines.append("# xlow\txhigh\tylow\tyhigh\t" + moments)
        nx2 = obj.xedges.shape[0] + 1
        masked = set(obj.masked)
        for j in range(obj.yedges.shape[0] - 1):
            for i in range(obj.xedges.shape[0] - 1):
                if (i + 1) + nx2 * (j + 1) in masked:
                    continue
                edges = [obj.xedges[i], obj.xedges[i + 1], obj.yedges[j], obj.yedges[j + 1]]
                lines.append(f"{fmt_row(edges)}\t{fmt_row(obj.dbn[i + 1, j + 1])}")
        return lines
    if isinstance(obj, (Estimate0D, BinnedEstimate)):
        raise YodaFormatError(
            f"{obj.path}: YODA1 has no {obj.type_name}; write version=2, or convert it first "
            "(Estimate1D.to_scatter() gives the Scatter2D that YODA1 tools expect)"
        )
    raise YodaFormatError(f"{obj.path}: cannot write a {type(obj).__name__} as YODA1")


def render_block(obj: YodaObject, version: int) -> str:
    """Text of one object; ``version`` is the YODA major version (1 -> V2 blocks, 2 -> V3)."""
    block = 2 if version == 1 else 3
    body = _v2_body(obj) if version == 1 else _v3_body(obj)
    return "\n".join(_head(obj, block) + body + _tail(obj, block)) + "\n"
