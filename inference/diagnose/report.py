"""The diagnosis report: a ranked markdown table, a JSON file with every number, the gap plots.

Layout::

    index.md          ranked observables, flagged ones with explanations and plots
    diagnosis.json    configuration, fits, every observable's scores, pulls, correlations
    plots/<analysis>_<histogram>.png    one per listed gap
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mlhad.inference.sbi.report import prepare_output, versions

from .diagnose import Diagnosis
from .plots import plot_gap

__all__ = ["write_diagnosis_report", "markdown_ranking"]


def _p(p: float) -> str:
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def _explain(diagnosis: Diagnosis, path: str) -> str:
    model = diagnosis.gap_models.get(path)
    if model is None:
        return ""
    good = [e for e in model.explanations if e.fraction >= 0.3]
    singles = [e for e in good if len(e.params) == 1]
    if not good:
        return f"no parameter closes it (best: {model.explanations[0].fraction:.0%} by " \
               f"{'/'.join(p.split(':')[-1] for p in model.explanations[0].params)})"
    parts = []
    for e in (singles or good)[:3]:
        who = e.params[0].split(":")[-1] if len(e.params) == 1 else "all together"
        shift = ", ".join(f"{v:+.3g}" for v in e.shift) if len(e.params) == 1 else ""
        parts.append(f"{who} {shift} closes {e.fraction:.0%}{' (at a limit)' if e.at_limit else ''}".replace("  ", " "))
    return "; ".join(parts)


def markdown_ranking(diagnosis: Diagnosis, *, plots: dict[str, str] | None = None) -> str:
    """The ranked table of all observables (worst first), with links to the plots."""
    d = len(diagnosis.limits.names)
    thr = diagnosis.config.alpha / len(diagnosis.ranking)
    lines = ["| rank | histogram | status | chi2/n at fit | p at fit | chi2/n alone | p alone | bins out of reach | "
             "AUC (correct model: median, 95 %) | candidate explanation | most correlated parameter |",
             "|---:|---|---|---|---|---|---|---|---|---|---|"]
    index = {h.path: i for i, h in enumerate(diagnosis.observation.histograms)}
    for r, s in enumerate(diagnosis.ranking, start=1):
        corr = diagnosis.correlations[index[s.path]]
        k = int(np.argmax(np.abs(corr)))
        name = s.path.split("/", 2)[-1]
        link = f"[{name}]({plots[s.path]})" if plots and s.path in plots else name
        auc = "" if s.auc is None else f"{s.auc:.3f} ({s.auc_null:.3f}, {s.auc_null95:.3f})"
        lines.append(f"| {r} | {link} | **{s.status}** | {s.chi2_fit:.1f}/{s.n_points} | {_p(s.p_fit)} | "
                     f"{s.chi2_alone:.1f}/{max(s.n_points - d, 1)} | {_p(s.p_alone)} | {s.n_unreachable}/{s.n_points} | "
                     f"{auc} | {_explain(diagnosis, s.path)} | "
                     f"{diagnosis.limits.names[k].split(':')[-1]} ({corr[k]:+.2f}) |")
    lines.append("")
    lines.append(f"Flag threshold: p < {thr:.1e} (alpha = {diagnosis.config.alpha} over {len(diagnosis.ranking)} "
                 "observables, Bonferroni). *gap*: no point inside the limits describes the observable even on its "
                 "own; *tension*: some point does, but not the one the other observables prefer.")
    return "\n".join(lines)


def write_diagnosis_report(diagnosis: Diagnosis, out: str | Path, *, meta: dict[str, Any] | None = None,
                           plots: bool = True, overwrite: bool = False) -> Path:
    """Write ``index.md``, ``diagnosis.json`` and the gap plots into ``out``; returns ``index.md``."""
    root = prepare_output(out, overwrite)
    info = dict(meta or {})
    info["versions"] = versions()
    drawn: dict[str, str] = {}
    if plots:
        for s in diagnosis.flagged[:diagnosis.config.max_gaps]:
            name = "plots/" + s.path.strip("/").replace("/", "_") + ".png"
            plot_gap(diagnosis, s.path, root / name)
            drawn[s.path] = name
    payload = diagnosis.to_dict()
    payload["meta"] = info
    (root / "diagnosis.json").write_text(json.dumps(payload, indent=1, default=float), encoding="utf-8")
    fit = diagnosis.fit
    lines = [f"# Mismodelling diagnosis: {info.get('title', '')}", "",
             f"- data: {info.get('data')}", f"- base sample: {info.get('sample')}",
             f"- parameters and limits: {diagnosis.limits.as_text()}",
             f"- {diagnosis.observation.n_points} points in {len(diagnosis.ranking)} histograms; "
             f"{len(diagnosis.observation.skipped)} reference objects skipped (listed at the end)",
             f"- design: {diagnosis.scan.theta.shape[0]} points of the box ({diagnosis.scan.n_uncovered} dropped by "
             f"the n_eff guard); correlations over {diagnosis.correlation_source}",
             f"- versions: {info['versions']}", "",
             "## Best fit", "",
             "| parameter | robust fit | error | plain chi2 fit | error |", "|---|---|---|---|---|"]
    for k, name in enumerate(diagnosis.limits.names):
        lines.append(f"| {name} | {fit.theta[k]:.4g} | {fit.uncertainties[k]:.2g} | {diagnosis.chi2_fit.theta[k]:.4g} | "
                     f"{diagnosis.chi2_fit.uncertainties[k]:.2g} |")
    lines += ["", f"chi2 at the robust fit {fit.chi2:.1f}, at the chi2 fit {diagnosis.chi2_fit.chi2:.1f} "
              f"({diagnosis.observation.n_points} points). Parameters at a limit: "
              f"{[n for n, a in zip(diagnosis.limits.names, fit.at_limit) if a] or 'none'}.", "",
              "## Observables, worst described first", "", markdown_ranking(diagnosis, plots=drawn), ""]
    gaps = diagnosis.gaps
    lines += ["## Gaps with no obvious explanation", ""]
    if gaps:
        lines += [f"- {s.path}: chi2 {s.chi2_alone:.1f} for {s.n_points} points even with the parameters chosen for "
                  f"it alone; {s.n_unreachable} bins out of reach of every point in the limits" for s in gaps]
    else:
        lines.append("none: every observable is described by some point inside the limits.")
    if drawn:
        lines += ["", "## Plots", ""] + [f"![{p}]({f})" for p, f in drawn.items()]
    lines += ["", "## Skipped reference objects", ""]
    lines += [f"- `{p}`: {why}" for p, why in diagnosis.observation.skipped.items()] or ["none"]
    lines += ["", f"Timings (s): {json.dumps({k: round(v, 1) for k, v in diagnosis.timings.items()})}", ""]
    index = root / "index.md"
    index.write_text("\n".join(lines), encoding="utf-8")
    return index
