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

Usage (after ``python examples/closure.py --out runs/closure-far-rep --points 1 --repeat 6 --seed 7000``)::

    python examples/closure_checks.py --closure runs/closure-far-rep \\
        --base runs/closure-far-rep/runs/base-6-43fd09dc
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from closure import MONASH, closure_simulator   # examples/closure.py (this script's folder is on sys.path)

from mlhad.inference.objective import FitTarget, build_target
from mlhad.inference.tune import ReweightedObjective, build_space
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--closure", required=True, help="the --out folder of a closure.py run with --repeat")
    parser.add_argument("--base", help="a base sample to refit every pseudo-data set from (check 2)")
    parser.add_argument("--min-n-eff", type=float, default=0.5)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing closure-checks.json")
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
    sim = closure_simulator(folder / "runs", workers=1)
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
    out.write_text(json.dumps(report, indent=1))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
