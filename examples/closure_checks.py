"""Two checks of a repeated closure's error budget, on the runs it left on disk.

``examples/closure.py --repeat K`` fits K+1 independent pseudo-data sets at the same theta*.
Their fits scatter with the pseudo-data *and* with every base the fits generated, so the
spread of the fits alone cannot tell which part of an error is wrong. This script
separates the data part:

1. **Linear projection.** With ``A = (J^T W J)^-1 J^T W`` (J: derivatives at theta*,
   reweighting one of the data runs), ``A d_k`` of the independent pseudo-data ``d_k``
   scatter by the data's statistical limit exactly, if the data covariance is right. The
   script compares their spread with ``sqrt(diag(A Sigma_data A^T))``.
2. **Fits from one common base.** Every pseudo-data set is fitted by reweighting the same
   base (``--base``, e.g. a closure's final base). The base's noise is then common to all
   fits, and their spread is the data's contribution, nonlinearities and trust-region
   boundaries included.
3. **Direct runs along the valley** (``--direct-events N``). Three large runs, no
   reweighting, at theta* and theta* +- ``--direct-step`` along the closures' flattest
   direction (the principal axis of the fits' scatter, scaled to a unit step in the first
   parameter; or ``--direct-direction``). A parabola through each pseudo-data set's three
   chi2 gives where that set's own minimum lies along the line, free of any fit's MC
   noise: the spread of those minima is the data's part of the closures' spread, the
   fits' distances from them the fits' part.

Usage (after ``python examples/closure.py --out runs/closure-far-rep --points 1 --repeat 6 --seed 7000``)::

    python examples/closure_checks.py --closure runs/closure-far-rep \\
        --base runs/closure-far-rep/runs/base-6-43fd09dc [--direct-events 1000000]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from closure import MONASH, closure_simulator   # examples/closure.py (this script's folder is on sys.path)

from mlhad.inference.objective import FitTarget, build_target
from mlhad.inference.tune import ReweightedObjective, build_space, run_chi2
from mlhad.inference.tune.aleph import aleph_weights
from mlhad.inference.tune.covariance import linear_estimator, prediction_covariance, sandwich_covariance
from mlhad.inference.tune.gradient import minimise_reweighted
from mlhad.yoda import read_yoda


def aligned_data(reference: FitTarget, other: FitTarget) -> np.ndarray:
    """``other``'s data at ``reference``'s points (a point that ``other`` filtered out -- zero error, empty -- is 0)."""
    values: list[float] = []
    for h in reference.histograms:
        match = next(o for o in other.histograms if o.mc_path == h.mc_path)
        lookup = {int(i): float(v) for i, v in zip(match.points, match.data)}
        values += [lookup.get(int(i), 0.0) for i in h.points]
    return np.array(values)


def parabola_minimum(chi2_minus: float, chi2_zero: float, chi2_plus: float) -> tuple[float, float]:
    """``(t_min, a)`` of ``chi2(t) = a t**2 + b t + c`` through t = -1, 0, +1 (NaN minimum where a <= 0)."""
    a = 0.5 * (chi2_plus + chi2_minus) - chi2_zero
    b = 0.5 * (chi2_plus - chi2_minus)
    return (float(-b / (2 * a)) if a > 0 else float("nan")), float(a)


def principal_axis(points: np.ndarray) -> np.ndarray:
    """The direction of largest scatter of ``(k, d)`` points, scaled so that its first component is +1."""
    centred = points - points.mean(0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    if abs(axis[0]) < 1e-12:
        raise ValueError(f"the fits do not scatter in the first parameter (axis {axis.tolist()}); give --direct-direction")
    return axis / axis[0]


def direct_valley_check(sim, targets: list[FitTarget], labels: list[str], truth: dict[str, float], names: list[str],
                        fits: np.ndarray, *, events: int, step: float, direction: np.ndarray | None) -> dict:
    """Check 3: each pseudo-data set's chi2 at three direct runs along the valley, and its own minimum there."""
    t_true = np.array([truth[n] for n in names])
    axis = principal_axis(fits) if direction is None else np.asarray(direction, dtype=float)
    points = [t_true + t * step * axis for t in (-1.0, 0.0, 1.0)]
    print(f"3. direct runs of {events} events at theta* + t x {step} x {np.round(axis, 4).tolist()}, t = -1, 0, +1")
    runs = [sim.run(dict(zip(names, p.tolist())), events, 900_001 + k, label=f"valley-{k}", histories=False)
            for k, p in enumerate(points)]
    rows = []
    for label, target, fit in zip(labels, targets, fits):
        values = []
        for run in runs:
            values.append(run_chi2(run, target))
        t_min, a = parabola_minimum(*values)
        # the fit's position along the line: its first parameter's offset from theta*, in units of the step
        t_fit = float((fit[0] - t_true[0]) / step)
        rows.append({"set": label, "chi2": values, "t_min": t_min, "curvature": a, "t_fit": t_fit,
                     "first_parameter_min": float(t_true[0] + t_min * step), "first_parameter_fit": float(fit[0])})
        print(f"   {label}: chi2 {np.round(values, 1).tolist()} -> its minimum at {names[0]} = "
              f"{rows[-1]['first_parameter_min']:.3f} (fit {fit[0]:.3f}; delta chi2 = 1 at +-{step / np.sqrt(a) if a > 0 else float('nan'):.3f})")
    mins = np.array([r["first_parameter_min"] for r in rows])
    offsets = np.array([r["first_parameter_fit"] - r["first_parameter_min"] for r in rows])
    ok = np.isfinite(mins)
    summary = {"direction": axis.tolist(), "step": step, "events": events, "points": [p.tolist() for p in points],
               "sets": rows, "spread_of_data_minima": float(np.std(mins[ok], ddof=1)) if ok.sum() > 1 else float("nan"),
               "mean_of_data_minima": float(np.mean(mins[ok])) if ok.any() else float("nan"),
               "rms_fit_minus_data_minimum": float(np.sqrt(np.mean(offsets[ok] ** 2))) if ok.any() else float("nan")}
    print(f"   {names[0]}: the data's own minima scatter by {summary['spread_of_data_minima']:.3f} around "
          f"{summary['mean_of_data_minima']:.3f} (theta* {t_true[0]}); the fits lie {summary['rms_fit_minus_data_minimum']:.3f} "
          "(rms) from them")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--closure", required=True, help="the --out folder of a closure.py run with --repeat")
    parser.add_argument("--base", help="a base sample to refit every pseudo-data set from (check 2)")
    parser.add_argument("--min-n-eff", type=float, default=0.5)
    parser.add_argument("--direct-events", type=int, default=0,
                        help="check 3: events of each of the three direct runs along the valley (0: skip)")
    parser.add_argument("--direct-step", type=float, default=0.2,
                        help="check 3: step along the valley, in units of the first parameter (default 0.2)")
    parser.add_argument("--direct-direction", default=None,
                        help="check 3: comma-separated direction in parameter units (default: the fits' principal axis)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing closure-checks.json")
    parser.add_argument("--workers", type=int, default=1, help="processes for generation and analysis")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    folder = Path(args.closure)
    out = folder / "closure-checks.json"
    if out.exists() and not args.overwrite:
        parser.error(f"{out} exists (an earlier check); use --overwrite to replace it")
    if not (folder / "closure.json").is_file():
        parser.error(f"{folder / 'closure.json'} not found: --closure takes the --out folder of examples/closure.py")
    summary = json.loads((folder / "closure.json").read_text())
    if len(summary["repeats"]) < 2:
        parser.error(f"{folder / 'closure.json'} has {len(summary['repeats'])} repeated closures; the spread of the "
                     "pseudo-data needs at least 2 (run examples/closure.py with --repeat 2 or more)")
    closures = summary["closures"][:1] + summary["repeats"]
    labels = ["point0"] + [f"repeat{r}" for r in range(len(summary["repeats"]))]
    truth = closures[0]["truth"]
    sim = closure_simulator(folder / "runs", workers=args.workers)
    mc_paths = sim.mc_paths()[0]
    targets = [build_target(read_yoda(folder / f"{label}-pseudo-data.yoda"), mc_paths, weights=aleph_weights())
               for label in labels]
    data_runs = [sim.run(truth, summary["data_events"], c["seed"], label=f"{label}-data")
                 for c, label in zip(closures, labels)]
    space = build_space(list(truth), start=MONASH)
    t_true = np.array([truth[n] for n in space.names])
    names = list(space.names)
    report = {"names": names, "linear_projection": [], "common_base": None}

    print("1. linear projection A d_k of the independent pseudo-data (A from reweighting data run j at theta*)")
    for j in range(2):
        target = targets[j]
        jac = ReweightedObjective(data_runs[j], target, space).jacobian(t_true)
        a = linear_estimator(jac, target.data_err, np.zeros(target.n_points), target.weights)
        predicted = np.sqrt(np.diag(a @ prediction_covariance(data_runs[j].contributions, target) @ a.T))
        projected = np.array([a @ aligned_data(target, t) for k, t in enumerate(targets) if k != j])
        empirical = projected.std(0, ddof=1)
        report["linear_projection"].append({"derivatives_from": labels[j], "predicted": predicted.tolist(),
                                            "empirical": empirical.tolist(), "n_sets": len(projected)})
        print(f"   J from {labels[j]}: predicted {np.round(predicted, 5).tolist()}, "
              f"spread of {len(projected)} sets {np.round(empirical, 5).tolist()}  ({names})")

    if args.base:
        base = sim.load(args.base)
        x0 = np.array([base.point[n] for n in names])
        fits, data_errors, boundary = [], [], []
        print(f"2. every pseudo-data set fitted from one base ({args.base} at {np.round(x0, 4).tolist()})")
        for label, target, run in zip(labels, targets, data_runs):
            objective = ReweightedObjective(base, target, space)
            fit = minimise_reweighted(objective, x0, min_n_eff=args.min_n_eff)
            jac = objective.jacobian(fit.theta)
            cov = sandwich_covariance(jac, target.data_err, objective.chi2_errors(fit.theta), target.weights,
                                      prediction_covariance(run.contributions, target))
            fits.append(fit.theta)
            data_errors.append(np.sqrt(np.diag(cov)))
            boundary.append(fit.on_boundary)
            print(f"   {label}: {np.round(fit.theta, 5).tolist()} (n_eff/N {fit.n_eff:.3f}"
                  f"{', on the trust-region boundary' if fit.on_boundary else ''}), data-only sandwich error "
                  f"{np.round(data_errors[-1], 5).tolist()}")
        fits_a = np.array(fits)
        report["common_base"] = {"base": args.base, "fits": fits_a.tolist(), "on_boundary": boundary,
                                 "spread": fits_a.std(0, ddof=1).tolist(), "mean": fits_a.mean(0).tolist(),
                                 "mean_data_error": np.mean(data_errors, 0).tolist()}
        print(f"   spread {np.round(fits_a.std(0, ddof=1), 5).tolist()}, mean {np.round(fits_a.mean(0), 5).tolist()}, "
              f"mean data-only error {np.round(np.mean(data_errors, 0), 5).tolist()} (theta* {t_true.tolist()})")
    if args.direct_events > 0:
        fits = np.array([[c["fit"][n] for n in names] for c in closures])
        direction = None
        if args.direct_direction:
            direction = np.array([float(x) for x in args.direct_direction.split(",")])
            if direction.shape != (len(names),):
                parser.error(f"--direct-direction {args.direct_direction!r}: give {len(names)} numbers ({names})")
        report["direct_valley"] = direct_valley_check(sim, targets, labels, truth, names, fits,
                                                      events=args.direct_events, step=args.direct_step,
                                                      direction=direction)
    out.write_text(json.dumps(report, indent=1))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
