"""A HOMER run's report: numbers (metrics.json), figures (plots/*.png) and report.md.

Everything is measured on the *test* events, which no training step saw: the
simulation's test split is weighted by (i) nothing, (ii) step 1's w_class, (iii) HOMER's
history weights and, when the "data" are a generated sample whose parameters mlhad can
reach exactly, (iv) the exact Lund weights, the ceiling any method can reach with these
statistics. Each weighting is compared with the data's test split on the observables
step 1 used and on observables it did not see.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlhad.io import Sample, open_sample
from mlhad.reweight import break_log_ratio, reweighter_from_sample

from .binned_fit import predict
from .breakweight import prepare_breaks
from .calibration import effective_sample_fraction
from .closure import PULL_LIMIT, ObservableComparison, closure_summary, compare_observable, exact_truth
from .config import DEFAULT_OBSERVABLES
from .features import parse_feature, sample_features
from .histories import BreakTable
from .pipeline import Homer, open_data
from .step2 import break_log_weights

__all__ = ["write_report", "VALIDATION_OBSERVABLES"]

#: Event-level observables the default step 1 does not use: the held-out closure checks.
VALIDATION_OBSERVABLES: tuple[str, ...] = (
    "sphericity", "aplanarity", "thrust_major", "thrust_minor", "oblateness", "m2_heavy", "b_narrow",
    "neg_ln_y23", "n_yt10",
)
#: registry observables whose histogram carries the same information as a step-1 feature
_SAME_INFORMATION = {("one_minus_thrust", "charged"): ("thrust", "charged"),
                     ("n_charged", "charged"): ("multiplicity", "charged")}


def _exact_weights(sim: Sample, point: dict[str, float], events: np.ndarray) -> np.ndarray:
    """Exact Lund weights of the given (sorted) sim events."""
    last = int(events.max())
    chunks, start = [], 0
    for info in sim.chunks:
        if start > last:
            break
        chunks.append(info.index)
        start += info.n_events
    rw = reweighter_from_sample(sim, params=list(point), chunks=chunks)
    return rw.weights(point).numpy()[events]


def _curves(homer: Homer, table: BreakTable, point: dict[str, float] | None
            ) -> tuple[np.ndarray, list[tuple[str, np.ndarray, np.ndarray | None]]]:
    """g(z) of the most frequent flavour pair at three mT^2 quantiles (and the exact ratio)."""
    pairs, counts = np.unique(np.stack([table.flav_old, table.flav_new], axis=1), axis=0, return_counts=True)
    flav_old, flav_new = pairs[np.argmax(counts)]
    same = (table.flav_old == flav_old) & (table.flav_new == flav_new)
    z = np.linspace(0.01, 0.99, 99)
    curves = []
    for q in (0.25, 0.5, 0.75):
        m2 = float(np.quantile(table.m2[same], q))
        n = z.size
        curve = BreakTable(z=z, m2=np.full(n, m2), flav_old=np.full(n, flav_old, np.int32),
                           flav_new=np.full(n, flav_new, np.int32), from_pos=np.ones(n, bool),
                           accepted=np.ones(n, bool), counts=np.array([n]))
        g = break_log_weights(homer.break_fit.model, prepare_breaks(curve, homer.break_fit.model))
        exact = (break_log_ratio(z, curve.m2, curve.flav_old, curve.flav_new, homer.base, point)
                 if point else None)
        curves.append((f"{flav_old}->{flav_new}, $m_T^2$={m2:.2f}", g, exact))
    return z, curves


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_report(homer: Homer, sim: Sample | str | Path, data: Sample | str | Path, out: str | Path, *,
                 validation_data: Sample | str | Path | None = None,
                 validation_observables: Sequence[str] = VALIDATION_OBSERVABLES, n_bins: int = 20,
                 truth: dict[str, float] | None | str = "auto") -> dict[str, Any]:
    """Write report.md, metrics.json and plots/ for a fitted run.

    Args:
        homer: fitted in this process (the held-out test events are needed).
        sim: the simulation it was fitted on.
        data: its data (sample or YODA file).
        out: output directory.
        validation_data: an unbinned data sample for the observable comparisons when
            ``data`` is binned (e.g. the generated sample the histograms came from).
        validation_observables: observables step 1 did not use.
        n_bins: bins per observable (quantiles of the data).
        truth: parameter point for exact weights; "auto" detects it when the data are a
            generated sample, None disables.

    Returns:
        The metrics written to metrics.json.
    """
    from .plots import plot_break_weights, plot_calibration, plot_losses, plot_observables, plot_weights

    if not homer.held_out:
        from mlhad.exceptions import InferenceError

        raise InferenceError("write_report needs a Homer fitted in this process (held-out events); a loaded run "
                             "has its numbers in homer.json")
    out = Path(out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    sim = sim if isinstance(sim, Sample) else open_sample(sim)
    data = open_data(data)
    unbinned = validation_data if validation_data is not None else (data if isinstance(data, Sample) else None)
    if isinstance(unbinned, (str, Path)):
        unbinned = open_sample(unbinned)
    h = homer.held_out
    test = h["sim_test"]
    weights: dict[str, np.ndarray | None] = {"simulation": None, "step 1": np.exp(h["log_w_class"]),
                                             "HOMER": np.exp(h["log_w_homer"])}
    if len(h.get("iterations", [])) > 1:  # the first round alone is HOMER as in arXiv 2410.06342
        weights["HOMER, 1 round"] = np.exp(h["iterations"][0]["log_w_homer"])
    point = exact_truth(sim, unbinned) if (truth == "auto" and unbinned is not None) else (
        None if truth == "auto" else truth)
    if point:
        weights["exact"] = _exact_weights(sim, point, test)
    labels = list(weights)
    metrics: dict[str, Any] = {"mode": homer.mode, "truth": point, "sources": homer.sources,
                               "diagnostics": homer.diagnostics, "pull_limit": PULL_LIMIT}

    # -- observables ------------------------------------------------------------------------
    comparisons: list[ObservableComparison] = []
    if unbinned is not None:
        if homer.mode == "unbinned" and homer.config.step1.features == "observables":
            fitted_names = list(homer.config.step1.observables)
            x_sim_fit, x_data_fit = h["x_sim"], h["x_data"]
        else:
            fitted_names = []
            x_sim_fit = x_data_fit = None
        names = fitted_names + [n for n in (DEFAULT_OBSERVABLES if not fitted_names else ())
                                if n not in fitted_names] + [n for n in validation_observables if n not in fitted_names]
        names = list(dict.fromkeys(names))
        extra = [n for n in names if n not in fitted_names]
        x_sim_extra = sample_features(sim, extra, events=test, progress=homer.progress)
        if homer.data_split is not None and unbinned is data:
            data_rows = homer.data_split.test
        else:
            n_val = unbinned.n_events if homer.config.max_events is None else min(homer.config.max_events,
                                                                                   unbinned.n_events)
            data_rows = np.arange(n_val)
        x_data_extra = sample_features(unbinned, extra, events=data_rows, progress=homer.progress)
        binned_observables = {(t.entry.observable, t.entry.compute_selection) for t in homer.targets}
        binned_observables |= {_SAME_INFORMATION.get(o, o) for o in binned_observables}
        for j, name in enumerate(names):
            if name in fitted_names:
                k = fitted_names.index(name)
                xs, xd, fitted = x_sim_fit[:, k], x_data_fit[:, k], True
            else:
                k = extra.index(name)
                xs, xd = x_sim_extra[:, k], x_data_extra[:, k]
                fitted = homer.mode == "binned" and parse_feature(name) in binned_observables
            comparisons.append(compare_observable(name, xs, xd, weights, fitted=fitted, n_bins=n_bins))
        metrics["closure"] = {label: closure_summary(comparisons, label) for label in labels}
        metrics["observables"] = {c.name: {"fitted": c.fitted, **{label: {
            "fraction_within": c.fraction_within(label), "chi2": c.chi2(label)[0], "bins": c.chi2(label)[1]}
            for label in labels}} for c in comparisons}
        fig = plot_observables(comparisons, labels)
        fig.savefig(out / "plots" / "observables.png", dpi=72)

    if homer.mode == "binned":
        stats = h["stats_test"]
        binned: dict[str, Any] = {}
        for label in labels:
            preds = predict(stats, homer.targets, weights[label])
            pulls = [(p - t.values) / np.sqrt(e**2 + t.errors**2) for t, (p, e) in zip(homer.targets, preds,
                                                                                        strict=True)]
            pulls = np.concatenate([p[np.isfinite(p)] for p in pulls])
            binned[label] = {"fraction_within": float(np.mean(np.abs(pulls) < PULL_LIMIT)),
                             "chi2": float(np.sum(pulls**2)), "points": int(pulls.size)}
        metrics["binned_targets_test"] = binned

    # -- weights and losses -------------------------------------------------------------------
    metrics["n_eff_fraction"] = {label: effective_sample_fraction(w) for label, w in weights.items() if w is not None}
    fig = plot_weights({k: v for k, v in weights.items() if v is not None})
    fig.savefig(out / "plots" / "weights.png", dpi=72)
    fig = plot_losses(homer.diagnostics)
    fig.savefig(out / "plots" / "losses.png", dpi=72)
    if homer.mode == "unbinned":
        fig = plot_calibration(homer.diagnostics["step1"])
        fig.savefig(out / "plots" / "calibration.png", dpi=72)

    # -- single-break weights ----------------------------------------------------------------
    table: BreakTable = h["test_table"]
    learned = break_log_weights(homer.break_fit.model, prepare_breaks(table, homer.break_fit.model))
    exact = break_log_ratio(table.z, table.m2, table.flav_old, table.flav_new, homer.base, point) if point else None
    corr = float(np.corrcoef(learned, exact)[0, 1]) if exact is not None else None
    metrics["breaks"] = {"n_test_breaks": int(table.n_breaks), "correlation_with_exact": corr,
                         "rms_learned": float(np.std(learned)),
                         "rms_exact": float(np.std(exact)) if exact is not None else None,
                         "rms_difference": float(np.sqrt(np.mean((learned - exact) ** 2))) if exact is not None
                         else None}
    if point:
        metrics["events"] = {"correlation_log_homer_vs_exact": float(np.corrcoef(h["log_w_homer"],
                                                                                 np.log(weights["exact"]))[0, 1]),
                             "correlation_log_class_vs_exact": float(np.corrcoef(h["log_w_class"],
                                                                                 np.log(weights["exact"]))[0, 1])}
    z, curves = _curves(homer, table, point)
    fig = plot_break_weights(z, curves, learned, exact, corr)
    fig.savefig(out / "plots" / "break_weights.png", dpi=72)

    import matplotlib.pyplot as plt

    plt.close("all")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1, default=_default), encoding="utf-8")
    (out / "report.md").write_text(_markdown(homer, metrics, comparisons, labels), encoding="utf-8")
    return metrics


def _default(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    return str(v)


def _markdown(homer: Homer, m: dict[str, Any], comparisons: Sequence[ObservableComparison], labels: Sequence[str]) -> str:
    d = homer.diagnostics
    lines = ["# HOMER report", "",
             f"Simulation `{homer.sources.get('sim')}`, data `{homer.sources.get('data')}` ({homer.mode}); "
             f"{d.get('n_sim')} simulated events, seed {homer.config.seed}. "
             f"Method: arXiv 2410.06342 (see docs/homer.md).", ""]
    if m.get("truth"):
        lines += [f"Closure test: the data were generated at {m['truth']}; the exact Lund weights are the ceiling.",
                  ""]
    secs = d.get("seconds", {})
    lines += [f"Wall time: step 1 {secs.get('step1', 0):.1f} s, step 2 {secs.get('step2', 0):.1f} s, "
              f"total {secs.get('total', 0):.1f} s.", ""]
    s1 = d.get("step1", {})
    lines += ["## Step 1: event weights from observables", ""]
    if homer.mode == "unbinned":
        lines += [f"Test AUC {s1['auc_test']:.4f} on {s1['n_test'][0]} + {s1['n_test'][1]} events; Platt scaling "
                  f"slope {s1['platt'][0]:.3f}, offset {s1['platt'][1]:.3f}; expected calibration error "
                  f"{s1['reliability_raw']['ece']:.4f} raw, {s1['reliability_calibrated']['ece']:.4f} calibrated.",
                  "", "![calibration](plots/calibration.png)", ""]
    else:
        lines += [f"Maximum-entropy fit to {len(s1['histograms'])} histograms ({s1['n_points']} points): chi2 "
                  f"{s1['chi2_before']:.1f} -> {s1['chi2_after']:.1f} (ridge {s1['ridge']}).",
                  "", "Histograms: " + ", ".join(f"`{p}`" for p in s1["histograms"]), ""]
        if s1.get("skipped"):
            lines += [f"Skipped {len(s1['skipped'])} objects of the file (e.g. `{s1['skipped'][0][0]}`: "
                      f"{s1['skipped'][0][1]}).", ""]
    if s1.get("degenerate"):
        lines += [f"**Warning:** {s1['degenerate']}", ""]
    rounds = d.get("iterations", [])
    if len(rounds) > 1:
        rows = [[i + 1, r.get("auc_test", r.get("chi2_after", "-")), r["n_eff_target_test"], r["n_eff_homer_test"],
                 r["corr_log_homer_vs_target_test"]] for i, r in enumerate(rounds)]
        lines += ["Iterations (arXiv 2509.03592): step 1 of round k compares the data with the simulation weighted "
                  "by round k-1; its AUC (or chi2 for binned data) falls towards 0.5 (n_points) as HOMER closes.", "",
                  _markdown_table(["round", "step-1 AUC / chi2", "n_eff target", "n_eff HOMER",
                                   "r(log HOMER, log target)"], rows), ""]
    lines += ["![losses](plots/losses.png)", "", "## Weights (test events)", ""]
    lines += [_markdown_table(["weighting", "n_eff / N"], [[k, v] for k, v in m["n_eff_fraction"].items()]), "",
              "![weights](plots/weights.png)", ""]
    if "closure" in m:
        lines += ["## Closure on observables (test events)", "",
                  f"Fraction of bins with |pull| < {PULL_LIMIT:g} (95.4% expected for a perfect weighting) and "
                  "mean squared pull per bin.", ""]
        rows = []
        for label in labels:
            c = m["closure"][label]
            rows.append([label, c.get("fitted_fraction_within", "-"), c.get("fitted_chi2_per_bin", "-"),
                         c.get("held_out_fraction_within", "-"), c.get("held_out_chi2_per_bin", "-")])
        lines += [_markdown_table(["weighting", "fitted: within", "fitted: pull^2", "not fitted: within",
                                   "not fitted: pull^2"], rows), ""]
        rows = [[c.name, "yes" if c.fitted else "no"] + [c.fraction_within(label) for label in labels]
                for c in comparisons]
        lines += [_markdown_table(["observable", "fitted"] + [f"{label}: within" for label in labels], rows), "",
                  "![observables](plots/observables.png)", ""]
    if "binned_targets_test" in m:
        rows = [[k, v["fraction_within"], v["chi2"], v["points"]] for k, v in m["binned_targets_test"].items()]
        lines += ["## Fitted histograms (test events vs the measured histograms)", "",
                  _markdown_table(["weighting", "within", "chi2", "points"], rows), ""]
    b = m["breaks"]
    lines += ["## Single-break weights", ""]
    if b["correlation_with_exact"] is not None:
        lines += [f"On {b['n_test_breaks']} held-out breaks the learned log weight correlates with the exact Lund "
                  f"log ratio with r = {b['correlation_with_exact']:.4f} (rms {b['rms_learned']:.4f} learned, "
                  f"{b['rms_exact']:.4f} exact, {b['rms_difference']:.4f} difference). Event log weights: "
                  f"r(HOMER, exact) = {m['events']['correlation_log_homer_vs_exact']:.4f}, "
                  f"r(step 1, exact) = {m['events']['correlation_log_class_vs_exact']:.4f}.", ""]
    else:
        lines += [f"{b['n_test_breaks']} held-out breaks; no exact truth (real data).", ""]
    lines += ["![break weights](plots/break_weights.png)", ""]
    return "\n".join(lines)
