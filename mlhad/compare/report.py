"""The comparison report: a markdown and an HTML page with the chi2 table (worst first) and the plots.

Files written into the report directory::

    index.md, index.html      chi2/ndf per histogram (worst first), totals, skipped objects
    chi2.csv                  the same table, machine readable
    summary.json              totals, per-histogram values, provenance
    plots/<ANALYSIS>/<name>.png
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlhad.io.chunks import atomic_write_text

from .comparison import Comparison, HistogramComparison
from .labels import plot_labels

__all__ = ["write_report", "table_rows", "markdown_table"]


def table_rows(comparison: Comparison) -> list[dict[str, Any]]:
    """One dict per histogram, worst chi2/ndf first: path, title, normalisation, chi2, ndf, chi2/ndf."""
    rows = []
    for h in comparison.worst_first():
        rows.append({
            "path": h.path, "analysis": h.analysis, "name": h.name, "title": plot_labels(h.path).title,
            "normalisation": h.normalisation, "chi2": h.chi2, "ndf": h.ndf, "chi2_ndf": h.chi2_ndf,
            "n_points": len(h.data), "in_total": h.path not in comparison.excluded and h.ndf > 0,
            "plot": f"plots/{h.analysis}/{h.name}.png",
        })
    return rows


def _totals(comparison: Comparison) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for h in comparison.included:
        t = out.setdefault(h.analysis, {"chi2": 0.0, "ndf": 0})
        t["chi2"] += h.chi2
        t["ndf"] += h.ndf
    for t in out.values():
        t["chi2_ndf"] = t["chi2"] / t["ndf"] if t["ndf"] else float("nan")
    return out


def markdown_table(comparison: Comparison, *, links: bool = True) -> str:
    """The chi2 table in markdown (worst first)."""
    lines = ["| # | histogram | observable | normalisation | chi2/ndf | chi2 | ndf |",
             "|---|---|---|---|---:|---:|---:|"]
    for i, r in enumerate(table_rows(comparison), start=1):
        name = f"[{r['analysis']} {r['name']}]({r['plot']})" if links else f"{r['analysis']} {r['name']}"
        flag = "" if r["in_total"] else " (not in total)"
        lines.append(f"| {i} | {name}{flag} | {r['title'].replace('|', '&#124;')} | {r['normalisation']} | "
                     f"{r['chi2_ndf']:.2f} | {r['chi2']:.1f} | {r['ndf']} |")
    return "\n".join(lines)


def _markdown(comparison: Comparison, meta: Mapping[str, Any]) -> str:
    out = [f"# {meta.get('title', 'Data vs MC comparison')}", ""]
    for key in ("sample", "events", "generator", "data", "weight_file", "event_weights", "mc_errors", "chi2"):
        if key in meta and meta[key] not in (None, ""):
            out.append(f"- **{key.replace('_', ' ')}**: {meta[key]}")
    out += ["", "## Totals", "", "| analysis | chi2/ndf | chi2 | ndf |", "|---|---:|---:|---:|"]
    for name, t in _totals(comparison).items():
        out.append(f"| {name} | {t['chi2_ndf']:.2f} | {t['chi2']:.1f} | {t['ndf']} |")
    out.append(f"| **all** | **{comparison.chi2_ndf:.2f}** | {comparison.chi2:.1f} | {comparison.ndf} |")
    out += ["", "## Histograms, worst first", "", markdown_table(comparison), ""]
    if comparison.warnings:
        out += ["## Warnings", ""] + [f"- {w}" for w in comparison.warnings] + [""]
    if comparison.skipped:
        out += ["## Reference objects not compared", ""]
        out += [f"- `{p}`: {reason}" for p, reason in comparison.skipped.items()] + [""]
    return "\n".join(out)


def _html(comparison: Comparison, meta: Mapping[str, Any]) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
             f"<title>{e(str(meta.get('title', 'comparison')))}</title>",
             "<style>body{font-family:sans-serif;margin:2em} table{border-collapse:collapse}"
             " td,th{border:1px solid #ccc;padding:3px 8px;text-align:right} td.l{text-align:left}"
             " .plots img{width:420px;margin:4px}</style></head><body>",
             f"<h1>{e(str(meta.get('title', 'Data vs MC comparison')))}</h1><ul>"]
    for key in ("sample", "events", "generator", "data", "weight_file", "event_weights", "mc_errors", "chi2"):
        if key in meta and meta[key] not in (None, ""):
            parts.append(f"<li><b>{e(key.replace('_', ' '))}</b>: {e(str(meta[key]))}</li>")
    parts.append(f"</ul><p><b>Total chi2/ndf = {comparison.chi2_ndf:.2f}</b> "
                 f"({comparison.chi2:.1f} / {comparison.ndf})</p>")
    parts.append("<table><tr><th>#</th><th>histogram</th><th>observable</th><th>normalisation</th>"
                 "<th>chi2/ndf</th><th>chi2</th><th>ndf</th></tr>")
    for i, r in enumerate(table_rows(comparison), start=1):
        parts.append(f"<tr><td>{i}</td><td class='l'><a href='{e(r['plot'])}'>{e(r['analysis'])} {e(r['name'])}</a>"
                     f"{'' if r['in_total'] else ' (not in total)'}</td><td class='l'>{e(r['title'])}</td>"
                     f"<td class='l'>{e(r['normalisation'])}</td><td>{r['chi2_ndf']:.2f}</td><td>{r['chi2']:.1f}</td>"
                     f"<td>{r['ndf']}</td></tr>")
    parts.append("</table><div class='plots'>")
    for r in table_rows(comparison):
        parts.append(f"<a href='{e(r['plot'])}'><img src='{e(r['plot'])}' alt='{e(r['path'])}'></a>")
    parts.append("</div>")
    if comparison.skipped:
        parts.append("<h2>Reference objects not compared</h2><ul>")
        parts += [f"<li><code>{e(p)}</code>: {e(reason)}</li>" for p, reason in comparison.skipped.items()]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _csv(comparison: Comparison) -> str:
    buffer = io.StringIO()
    fields = ["path", "normalisation", "chi2", "ndf", "chi2_ndf", "n_points", "in_total", "title"]
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in table_rows(comparison):
        writer.writerow({**r, "chi2": f"{r['chi2']:.6g}", "chi2_ndf": f"{r['chi2_ndf']:.6g}"})
    return buffer.getvalue()


def _point_table(h: HistogramComparison) -> list[dict[str, float]]:
    return [{"xlow": float(a), "xhigh": float(b), "data": float(d), "data_err": float(s), "mc": float(m),
             "mc_err": float(e), "weight": float(w)}
            for a, b, d, s, m, e, w in zip(h.xlow, h.xhigh, h.data, h.data_err, h.mc, h.mc_err, h.weights)]


def _finite(value: Any) -> Any:
    """NaN/inf -> None, so that summary.json is strict JSON (chi2/ndf of a histogram with ndf 0)."""
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_report(comparison: Comparison, directory: str | Path, *, meta: Mapping[str, Any] | None = None,
                 plots: bool = True, progress: bool = False) -> Path:
    """Write the report files (see the module docstring) into ``directory``; return ``index.md``.

    The caller decides whether ``directory`` may already hold files (see
    :func:`mlhad.compare.compare_sample`); files of the same name are replaced.
    """
    from mlhad.progress import progress_bar

    from .plot import plot_comparison

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    info = dict(meta or {})
    if plots:
        with progress_bar(total=len(comparison.histograms), desc="plots", unit="plot", disable=not progress) as bar:
            for h in comparison.histograms:
                plot_comparison(h, root / "plots" / h.analysis / f"{h.name}.png",
                                mc_label=str(info.get("mc_label", "MC")), data_label=str(info.get("data_label", "Data")))
                bar.update(1)
    atomic_write_text(root / "index.md", _markdown(comparison, info))
    atomic_write_text(root / "index.html", _html(comparison, info))
    atomic_write_text(root / "chi2.csv", _csv(comparison))
    summary = {
        "meta": {k: v for k, v in info.items() if isinstance(v, (str, int, float, bool, type(None), list, dict))},
        "total": {"chi2": comparison.chi2, "ndf": comparison.ndf, "chi2_ndf": comparison.chi2_ndf},
        "per_analysis": _totals(comparison),
        "histograms": [{**r, "points": _point_table(comparison[r["path"]])} for r in table_rows(comparison)],
        "skipped": dict(comparison.skipped),
        "excluded": list(comparison.excluded),
        "warnings": list(comparison.warnings),
    }
    atomic_write_text(root / "summary.json", json.dumps(_finite(summary), indent=1, allow_nan=False))
    return root / "index.md"
