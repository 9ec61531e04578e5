"""The output directory of a tune.

::

    tune.json          everything: config, seeds, versions, values, covariance, correlation,
                       chi2 before/after per histogram, n_eff history, runs, warnings
    tune.cmnd          the tune as Pythia settings (fixed parameters included)
    results.txt        Professor-style summary (values, errors, correlation, chi2)
    summary.md         the readable summary (also printed), with the chi2 tables
    weights-used.txt   the fitted data points, as a Professor weight file
    scans.png          1D chi2 scans with the Hessian parabolas
    plots/<ANALYSIS>/<name>.png   data vs start vs tune (fitted histograms, then the rest)

Every chi2 here is :mod:`mlhad.inference.objective`'s (Professor's). For each
histogram two numbers are given: over the fitted points only (weights as in the fit), and
over all its points with weight 1 (as ``mlhad compare``).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from mlhad.analysis import Contributions, analysis_contributions, predict
from mlhad.compare import HistogramComparison, compare_predictions
from mlhad.exceptions import HistogramError
from mlhad.io.chunks import atomic_write_text
from mlhad.yoda import YodaObject

from ..objective import FitTarget, format_weight_file
from .plots import plot_scans, plot_start_vs_tune
from .result import RunPoint, TuneResult
from .simulator import SimulationRun

__all__ = ["HistogramRow", "compare_point", "chi2_rows", "write_outputs", "versions", "format_cmnd",
           "summary_text"]


def versions() -> dict[str, str]:
    """Versions of the packages a tune depends on."""
    out = {}
    for name in ("mlhad", "numpy", "scipy", "torch", "pythia8mc", "optuna", "awkward", "matplotlib"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _contributions(run: SimulationRun, analysis: str, reference: Mapping[str, YodaObject],
                   progress: bool) -> Contributions | None:
    if analysis in run.contributions:
        return run.contributions[analysis]
    if run.parts:  # a pool of runs (.pooled): its parts' contributions, in pool order
        parts = [_contributions(part, analysis, reference, progress) for part in run.parts]
        return None if any(p is None for p in parts) else Contributions.concatenate(parts)
    if run.path is None:
        return None
    return analysis_contributions(run.path, analysis, reference=reference, progress=progress)


def compare_point(point: RunPoint, reference: Mapping[str, Mapping[str, YodaObject]], *, progress: bool = False,
                  notes: list[str] | None = None) -> dict[str, HistogramComparison]:
    """``{mc_path: HistogramComparison}`` of one point against every reference histogram it can predict.

    MC errors follow the fit's convention (``point.base_errors``). Histograms whose prediction cannot be compared (an empty MC bin giving NaN, ...) are
    skipped with a note.
    """
    out: dict[str, HistogramComparison] = {}
    for analysis, objects in reference.items():
        c = _contributions(point.run, analysis, objects, progress)
        if c is None:
            continue
        preds = predict(c, point.weights)
        if point.base_errors and point.weights is not None:
            unweighted = predict(c, None)
            preds = {p: dataclasses.replace(pred, errors=unweighted[p].errors) for p, pred in preds.items()}
        for ref_path, ref in objects.items():
            mc = ref_path[4:] if ref_path.startswith("/REF/") else ref_path
            if mc not in preds:
                continue
            try:
                cmp = compare_predictions({ref_path: ref}, {mc: preds[mc]})
            except HistogramError as err:
                if notes is not None:
                    notes.append(f"{mc} not compared at {point.how} point: {err}")
                continue
            out[mc] = cmp.histograms[0]
    return out


@dataclass(frozen=True)
class HistogramRow:
    """One line of the chi2 table."""

    path: str
    fitted_points: int
    chi2_fit_start: float
    chi2_fit_tune: float
    n_points: int
    chi2_all_start: float
    chi2_all_tune: float

    @property
    def analysis(self) -> str:
        return self.path.split("/")[1]

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "fitted_points": self.fitted_points, "chi2_fit_start": self.chi2_fit_start,
                "chi2_fit_tune": self.chi2_fit_tune, "n_points": self.n_points,
                "chi2_all_start": self.chi2_all_start, "chi2_all_tune": self.chi2_all_tune}


def _fit_chi2(cmp: HistogramComparison, target: FitTarget) -> tuple[int, float]:
    try:
        h = target[cmp.path]
    except KeyError:
        return 0, float("nan")
    m, e = cmp.mc[h.points], cmp.mc_err[h.points]
    terms = h.weights**2 * (h.data - m) ** 2 / (h.data_err**2 + e**2)
    return h.n_points, float(terms.sum())


def chi2_rows(start: Mapping[str, HistogramComparison], tune: Mapping[str, HistogramComparison],
              target: FitTarget) -> list[HistogramRow]:
    """Table rows: fitted histograms first (in fit order), then the others."""
    order = [p for p in target.paths if p in tune] + [p for p in tune if p not in target.paths]
    rows = []
    for p in order:
        if p not in start:
            continue
        n_fit, c_start = _fit_chi2(start[p], target)
        _, c_tune = _fit_chi2(tune[p], target)
        rows.append(HistogramRow(path=p, fitted_points=n_fit, chi2_fit_start=c_start, chi2_fit_tune=c_tune,
                                 n_points=len(tune[p].data), chi2_all_start=start[p].chi2, chi2_all_tune=tune[p].chi2))
    return rows


def _ratio(c: float, n: int) -> str:
    return f"{c / n:.2f}" if n > 0 and math.isfinite(c) else "-"


def totals(rows: list[HistogramRow]) -> dict[str, dict[str, float]]:
    """Per analysis: fitted-point and all-point chi2 sums and point counts, start and tune."""
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        t = out.setdefault(r.analysis, {"fit_points": 0, "fit_start": 0.0, "fit_tune": 0.0, "all_points": 0,
                                        "all_start": 0.0, "all_tune": 0.0})
        if r.fitted_points:
            t["fit_points"] += r.fitted_points
            t["fit_start"] += r.chi2_fit_start
            t["fit_tune"] += r.chi2_fit_tune
        t["all_points"] += r.n_points
        t["all_start"] += r.chi2_all_start
        t["all_tune"] += r.chi2_all_tune
    return out


def markdown_rows(rows: list[HistogramRow], labels: tuple[str, str] = ("start", "tune")) -> str:
    a, b = labels
    lines = [f"| histogram | fitted points | chi2/n fitted ({a}) | chi2/n fitted ({b}) | points | "
             f"chi2/n all ({a}) | chi2/n all ({b}) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.analysis} {r.path.split('/')[-1]} | {r.fitted_points or '-'} | "
                     f"{_ratio(r.chi2_fit_start, r.fitted_points)} | {_ratio(r.chi2_fit_tune, r.fitted_points)} | "
                     f"{r.n_points} | {_ratio(r.chi2_all_start, r.n_points)} | {_ratio(r.chi2_all_tune, r.n_points)} |")
    return "\n".join(lines)


def markdown_totals(rows: list[HistogramRow], labels: tuple[str, str] = ("start", "tune")) -> str:
    a, b = labels
    lines = [f"| analysis | fitted points | chi2/n fitted ({a}) | chi2/n fitted ({b}) | points | chi2/n all ({a}) | "
             f"chi2/n all ({b}) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, t in totals(rows).items():
        n_fit, n_all = int(t["fit_points"]), int(t["all_points"])
        lines.append(f"| {name} | {n_fit or '-'} | {_ratio(t['fit_start'], n_fit)} | {_ratio(t['fit_tune'], n_fit)} | "
                     f"{n_all} | {_ratio(t['all_start'], n_all)} | {_ratio(t['all_tune'], n_all)} |")
    return "\n".join(lines)


def format_cmnd(result: TuneResult, *, header: str = "") -> str:
    """The tune as a Pythia command file (``! `` comments carry errors and provenance)."""
    lines = ["! Pythia 8 settings of a tune made with mlhad (mlhad.inference.tune)"]
    lines += [f"! {line}" for line in header.splitlines() if line]
    lines.append(f"! method {result.method}; chi2/ndf = {result.chi2:.2f}/{result.ndf} at the best fit")
    for name, value, err in zip(result.names, result.best, result.errors):
        lines.append(f"{name} = {value:.5f}    ! +- {err:.5f} ({result.error_source})")
    for name, value in result.fixed.items():
        lines.append(f"{name} = {value!r}    ! fixed")
    return "\n".join(lines) + "\n"


def format_results_txt(result: TuneResult) -> str:
    """Professor ``results.txt``-like text."""
    width = max(len(n) for n in result.names)
    out = [f"# mlhad tune, method {result.method}", f"# GOF {result.chi2:.6f}", f"# NDOF {result.ndf}", "#"]
    out += [f"{n.ljust(width)}\t{v:.6f}" for n, v in zip(result.names, result.best)]
    out += ["#", f"# Errors ({result.error_source}):", "#"]
    out += [f"# {n.ljust(width)}\t{e:.6e}" for n, e in zip(result.names, result.errors)]
    corr = result.correlation
    if corr is not None:
        out += ["#", "# Correlation matrix:", "#"]
        out += [f"# {n.ljust(width)}  " + "  ".join(f"{c:+.4f}" for c in row) for n, row in zip(result.names, corr)]
        out += ["#", "# Covariance matrix:", "#"]
        out += [f"# {n.ljust(width)}  " + "  ".join(f"{c:+.6e}" for c in row)
                for n, row in zip(result.names, result.covariance)]  # type: ignore[arg-type]
    if result.fixed:
        out += ["#", "# Fixed:"] + [f"#\t{k}\t{v!r}" for k, v in result.fixed.items()]
    return "\n".join(out) + "\n"


#: Extra error columns of the summary: ``(result.extra key, column label)``.
SANDWICH_COLUMNS = (("covariance_sandwich_uncorrelated_data", "sandwich (data uncorrelated)"),
                    ("covariance_sandwich_mc_correlations", "sandwich (data correlated like MC)"),
                    ("covariance_sandwich_noise_corrected", "sandwich, derivative noise removed"))


def _numbers(values: list[float]) -> str:
    return "(" + ", ".join(f"{v:.4f}" for v in values) + ")"


def summary_text(result: TuneResult, rows: list[HistogramRow] | None = None, *, check: list[str] = ()) -> str:
    """The readable summary: parameters, errors, correlations, chi2 tables, warnings."""
    corr = result.correlation
    extra_cols = [(label, np.sqrt(np.diag(np.asarray(result.extra[key])))) for key, label in SANDWICH_COLUMNS
                  if key in result.extra]
    lines = [f"# Tune summary ({result.method})", "",
             f"| parameter | start | best fit | error ({result.error_source}) | error x sqrt(chi2/ndf) |"
             + "".join(f" {label} |" for label, _ in extra_cols), "|---|---:|---:|---:|---:|" + "---:|" * len(extra_cols)]
    for i, (n, s, b, e, se) in enumerate(zip(result.names, result.start, result.best, result.errors,
                                             result.scaled_errors)):
        lines.append(f"| {n} | {s:.4f} | {b:.4f} | {e:.4f} | {se:.4f} |" + "".join(f" {v[i]:.4f} |" for _, v in extra_cols))
    if extra_cols:
        first = ("2 H^-1 is Professor's (data points independent)" if result.error_source == "2 H^-1" else
                 "the chi2's Hessian is not positive definite at the best fit, so the first column is the "
                 "Gauss-Newton 2 (J^T W J)^-1, the expected curvature with the data points independent (see the "
                 "warnings)")
        lines += ["", f"Errors: {first}; the sandwich errors include the "
                  "bin-to-bin correlations of the MC prediction, with the data points independent or sharing the "
                  "MC's statistical correlations (mlhad.inference.tune.covariance). The last column also takes the "
                  "MC noise of the reweighted derivatives out of the curvature (that noise looks like information): "
                  "the errors to quote where it differs from the others"
                  + (f"; fraction of the apparent curvature kept per direction: "
                     f"{[round(x, 3) for x in result.extra['curvature_kept']]}" if "curvature_kept" in result.extra else "")
                  + "."]
    refinement = result.extra.get("refinement")
    if refinement is not None:
        last = refinement["rounds"][-1]
        lines += ["", f"Errors: the best fit is the mean of the minima of {len(last['minima'])} independent bases "
                  f"({refinement['events_per_base']} events each, {len(refinement['rounds'])} round(s), mlhad.inference.tune.refine); its error adds the "
                  f"data's sandwich {_numbers(refinement['errors_data'])} and the MC scatter of those minima / "
                  f"sqrt(K) {_numbers(refinement['errors_mc'])}. Before the refinement the walk had "
                  f"{_numbers(refinement['walk_best'])} +- {_numbers(refinement['walk_errors'])}."]
        chi2_bases = np.asarray(refinement["chi2_bases"])
        lines += ["", f"The chi2 tables below come from the first of those bases, whose MC noise moves them: the "
                  f"fitted points' chi2 at the best fit is {chi2_bases[0]:.1f} by that base and "
                  f"{chi2_bases.mean():.1f} +- {chi2_bases.std(ddof=1) / np.sqrt(chi2_bases.size):.1f} by the mean "
                  f"of all {chi2_bases.size} (one base's scatter: {chi2_bases.std(ddof=1):.1f}). To compare tunes, "
                  f"use direct runs of equal size (examples/direct_check.py)."]
    lines += ["", f"chi2/ndf on the fitted points: {result.chi2_start:.1f}/{result.ndf} = "
              f"{result.chi2_start / max(result.ndf, 1):.2f} at the start -> {result.chi2:.1f}/{result.ndf} = "
              f"{result.chi2 / max(result.ndf, 1):.2f} at the best fit; converged: {result.converged}"
              + (" (from bases of different sizes: not comparable, see the warnings)"
                 if result.unequal_statistics else ""),
              f"cost: {result.n_events} events generated in {result.n_runs} run(s), {result.seconds:.0f} s"]
    if result.extra.get("chi2_validation_run") is not None:
        reweighted = result.extra.get("chi2_reweighted_at_best")
        lines.append(f"validation: a run generated directly at the best fit gives chi2 "
                     f"{result.extra['chi2_validation_run']:.1f}/{result.ndf}"
                     + (f" (reweighted prediction there: {reweighted:.1f})" if reweighted is not None else ""))
    if "n_eff_history" in result.extra:
        lines.append(f"n_eff/N at each base's minimum: {[round(x, 3) for x in result.extra['n_eff_history']]} "
                     f"({result.extra.get('regenerations', 0)} regenerations)")
    if corr is not None:
        lines += ["", "Correlation matrix:", "", "| | " + " | ".join(result.names) + " |",
                  "|---|" + "---:|" * len(result.names)]
        lines += [f"| {n} | " + " | ".join(f"{c:+.3f}" for c in row) + " |" for n, row in zip(result.names, corr)]
    if rows:
        lines += ["", "## chi2 per analysis", "", markdown_totals(rows)]
        if check:
            lines += ["", f"(not fitted, check only: {', '.join(check)})"]
        lines += ["", "## chi2 per histogram", "", markdown_rows(rows)]
    if result.warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in result.warnings]
    return "\n".join(lines) + "\n"


def write_outputs(
    out: Path,
    result: TuneResult,
    target: FitTarget,
    reference: Mapping[str, Mapping[str, YodaObject]],
    *,
    config: Mapping[str, Any],
    check: tuple[str, ...] = (),
    plots: bool = True,
    progress: bool = False,
    log: Callable[[str], None] = print,
) -> str:
    """Write every output file (see the module docstring) and return the summary text."""
    out.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    rows: list[HistogramRow] = []
    start_cmp: dict[str, HistogramComparison] = {}
    tune_cmp: dict[str, HistogramComparison] = {}
    if result.start_point is not None and result.best_point is not None:
        log("comparing start and tune with every reference histogram")
        start_cmp = compare_point(result.start_point, reference, progress=progress, notes=notes)
        tune_cmp = compare_point(result.best_point, reference, progress=progress, notes=notes)
        rows = chi2_rows(start_cmp, tune_cmp, target)
    summary = summary_text(result, rows, check=list(check))
    header = f"data: {', '.join(config.get('data', []))}\ncreated {_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds')}"
    atomic_write_text(out / "tune.cmnd", format_cmnd(result, header=header))
    atomic_write_text(out / "results.txt", format_results_txt(result))
    atomic_write_text(out / "summary.md", summary)
    atomic_write_text(out / "weights-used.txt", format_weight_file(target))
    document = {
        "config": dict(config),
        "versions": versions(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "result": result.to_dict(),
        "target": {"histograms": {h.mc_path: {"points": h.points.tolist(), "weights": h.weights.tolist()}
                                  for h in target.histograms},
                   "n_points": target.n_points, "notes": list(target.notes), "left_out": dict(target.left_out)},
        "chi2_table": [r.as_dict() for r in rows],
        "chi2_totals": totals(rows),
        "check_data": list(check),
        "notes": notes,
        "start_predictions": result.start_point.how if result.start_point else None,
        "tune_predictions": result.best_point.how if result.best_point else None,
    }
    atomic_write_text(out / "tune.json", json.dumps(document, indent=1, allow_nan=True, default=_json_default))
    if plots:
        if result.scans:
            plot_scans(result.scans, out / "scans.png", hessian=result.hessian,
                       title=f"{result.method} tune: 1D chi2 scans at the best fit")
        log(f"plotting {len(rows)} histograms")
        for r in rows:
            fitted = None
            if r.fitted_points:
                fitted = np.zeros(r.n_points, dtype=bool)
                fitted[target[r.path].points] = True
            plot_start_vs_tune(start_cmp[r.path], tune_cmp[r.path],
                               out / "plots" / r.analysis / f"{r.path.split('/')[-1]}.png", fitted=fitted)
    return summary


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)
