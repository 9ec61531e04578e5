"""Write an inference's outputs: samples, a JSON summary, a markdown report and the plots.

Layout of the output directory::

    posterior_samples.npz   samples (n, d), params, map, fit, fit covariance
    summary.json            configuration, seed, versions, posterior table, fit, calibration, PPC
    index.md                the human-readable report
    corner.png, marginals.png, sbc_ranks.png, coverage_sbc.png[, coverage_fixed.png]
    ppc/<analysis>_<histogram>.png
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import numpy as np

from mlhad.exceptions import OutputExistsError

from .infer import SBIResult
from .plots import plot_corner, plot_coverage, plot_marginals, plot_ppc_histogram, plot_sbc_ranks

__all__ = ["write_sbi_report", "versions", "prepare_output"]


def versions() -> dict[str, str]:
    """Versions of the packages an inference depends on (written next to every output)."""
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in ("mlhad", "sbi", "torch", "numpy", "scipy", "pythia8mc"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def prepare_output(out: str | Path, overwrite: bool) -> Path:
    """Create ``out``; refuse a non-empty directory unless ``overwrite``."""
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise OutputExistsError(f"{root} exists and is not a directory; choose another --out")
    if root.is_dir() and any(root.iterdir()) and not overwrite:
        raise OutputExistsError(f"output directory {root} is not empty; pass overwrite=True (--overwrite) to replace "
                                "its files")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _fmt(v: float, digits: int = 4) -> str:
    return f"{v:.{digits}g}"


def _markdown(result: SBIResult, meta: dict[str, Any], plots: list[str]) -> str:
    d = result.to_dict()
    lines = [f"# SBI posterior: {meta.get('title', '')}", ""]
    lines += [f"- data: {meta.get('data')}", f"- base sample / simulator: {meta.get('sample')} ({result.config.simulator})",
              f"- estimator: {result.config.estimator.method.upper()} ({result.config.estimator.model_for(len(result.limits.names))}), "
              f"{result.estimator.n_simulations} simulations, {result.estimator.epochs} epochs, "
              f"summary `{result.summary.name}` ({result.summary.dim} numbers)",
              f"- observation: {result.ppc.observation.n_points} points in {len(result.ppc.observation.histograms)} "
              f"histograms; {len(result.ppc.observation.skipped)} reference objects skipped (listed below)",
              f"- seed {result.config.seed}; versions {meta.get('versions')}", ""]
    lines += ["## Posterior", "",
              "| parameter | mean | std | median | 68 % interval | 95 % interval | MAP | chi2 fit +- error | prior | "
              "simulated (truncated) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in d["posterior"]:
        lines.append(f"| {r['parameter']} | {_fmt(r['mean'])} | {_fmt(r['std'], 2)} | {_fmt(r['median'])} | "
                     f"[{_fmt(r['q16'])}, {_fmt(r['q84'])}] | [{_fmt(r['q2.5'])}, {_fmt(r['q97.5'])}] | "
                     f"{_fmt(r['map'])} | {_fmt(r['fit'])} +- {_fmt(r['fit_error'], 2)} | [{r['low']}, {r['high']}] | "
                     f"[{_fmt(r['train_low'])}, {_fmt(r['train_high'])}] |")
    lines += ["", f"chi2 at the fit: {d['fit']['chi2']:.1f} for {d['fit']['ndf']} degrees of freedom.",
              f"Posterior correlation matrix: {np.round(result.correlation, 3).tolist()}", ""]
    if result.coverage_flags:
        lines += [f"**Coverage warning**: {result.coverage_flags}", ""]
    if result.truncation_warning:
        lines += [f"**Truncation warning**: {result.truncation_warning}", ""]
    lines += ["## Posterior predictive check", "",
              f"p-value of the total chi2: {result.ppc.p_value:.3f} (median chi2 {d['ppc']['chi2_median']:.1f} for "
              f"{result.ppc.observation.n_points} points).", "", "| histogram | points | median chi2 | p-value |",
              "|---|---|---|---|"]
    for path, h in sorted(d["ppc"]["histograms"].items(), key=lambda kv: kv[1]["p_value"]):
        lines.append(f"| {path} | {h['n_points']} | {h['chi2']:.1f} | {h['p_value']:.3f} |")
    for label, cal in (("SBC over the prior", result.sbc), ("Coverage at a fixed point", result.fixed)):
        if cal is None:
            continue
        s = cal.summary()
        lines += ["", f"## {label}", "", f"{s['n']} pseudo-experiments, {s['n_samples']} posterior samples each "
                  f"({s['n_dropped']} dropped outside the coverage).", "",
                  "| level | " + " | ".join(f"{p} central" for p in s["params"]) + " | joint HPD |",
                  "|---" * (len(s["params"]) + 2) + "|"]
        for i, a in enumerate(s["coverage_levels"]):
            if round(a * 100) % 10 and a not in (0.05, 0.95):
                continue
            lines.append(f"| {a:.2f} | " + " | ".join(f"{c:.3f}" for c in s["central_coverage"][i]) +
                         f" | {s['hpd_coverage'][i]:.3f} |")
        lines += ["", f"binomial error at 0.5 and 0.9: {np.sqrt(0.25 / s['n']):.3f}, {np.sqrt(0.09 / s['n']):.3f}; "
                  f"largest deviation {s['central_coverage_max_deviation_sigma']:.1f} sigma (central), "
                  f"{s['hpd_coverage_max_deviation_sigma']:.1f} sigma (HPD).",
                  f"Rank uniformity KS p-values: {np.round(s['rank_uniformity']['ks_pvalue'], 3).tolist()}; "
                  f"chi2 p-values: {np.round(s['rank_uniformity']['chi2_pvalue'], 3).tolist()}.",
                  f"Pulls (mean - true)/std: mean {np.round(s['pull_mean'], 3).tolist()}, "
                  f"std {np.round(s['pull_std'], 3).tolist()}."]
    lines += ["", "## Skipped reference objects", ""]
    for path, why in result.ppc.observation.skipped.items():
        lines.append(f"- `{path}`: {why}")
    if plots:
        lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    lines += ["", f"Timings (s): {json.dumps({k: round(v, 1) for k, v in result.timings.items()})}", ""]
    return "\n".join(lines)


def write_sbi_report(result: SBIResult, out: str | Path, *, meta: dict[str, Any] | None = None, plots: bool = True,
                     overwrite: bool = False, truth: np.ndarray | None = None) -> Path:
    """Write samples, summary.json, index.md and plots into ``out``; returns the index.md path.

    Args:
        result: the inference.
        out: output directory (created; must be empty unless ``overwrite``).
        meta: provenance (title, data, sample...) added to the summary.
        plots: draw the plots.
        overwrite: allow a non-empty ``out``.
        truth: a known true point (closure tests), marked on the plots.
    """
    root = prepare_output(out, overwrite)
    info = dict(meta or {})
    info["versions"] = versions()
    np.savez(root / "posterior_samples.npz", samples=result.samples, params=np.array(result.params),
             map=result.map, fit=result.fit.theta, fit_covariance=result.fit.covariance)
    summary = result.to_dict()
    summary.update({"meta": info, "skipped": dict(result.ppc.observation.skipped),
                    "dropped_points": dict(result.ppc.observation.dropped)})
    if truth is not None:
        summary["truth"] = np.asarray(truth).tolist()
    (root / "summary.json").write_text(json.dumps(summary, indent=1, default=float), encoding="utf-8")
    drawn: list[str] = []
    if plots:
        labels = result.limits.short_names
        limits = np.stack([result.limits.lower, result.limits.upper], axis=1)
        marks = {"chi2 fit": result.fit.theta, "MAP": result.map}
        if truth is not None:
            marks["truth"] = np.asarray(truth)
        plot_corner(result.samples, labels, limits, root / "corner.png", points=marks)
        plot_marginals(result.samples, labels, root / "marginals.png", points=marks,
                       errors={"chi2 fit": result.fit.uncertainties})
        drawn += ["corner.png", "marginals.png"]
        if result.sbc is not None:
            plot_sbc_ranks(result.sbc, labels, root / "sbc_ranks.png")
            plot_coverage(result.sbc, labels, root / "coverage_sbc.png")
            drawn += ["sbc_ranks.png", "coverage_sbc.png"]
        if result.fixed is not None:
            plot_coverage(result.fixed, labels, root / "coverage_fixed.png")
            drawn.append("coverage_fixed.png")
        for i, h in enumerate(result.ppc.observation.histograms):
            name = f"ppc/{h.analysis}_{h.name}.png"
            plot_ppc_histogram(result.ppc, i, root / name)
        drawn.append("ppc/ (one plot per histogram)")
    index = root / "index.md"
    index.write_text(_markdown(result, info, [p for p in drawn if p.endswith(".png")]), encoding="utf-8")
    return index
