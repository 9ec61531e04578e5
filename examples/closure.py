"""Closure test of the gradient tune: Pythia pseudo-data at known theta*, fitted from Monash.

For each theta* (one of them outside the Monash base's coverage, n_eff/N < 0.3, so the
fit must regenerate its base):

1. generate ``--data-events`` at theta* and write them as Rivet reference data (YODA,
   Scatter2D, statistical errors from mlhad.analysis) in the ALEPH binning;
2. fit (aLund, bLund, sigma) to the soft-pT ALEPH selection (mlhad.inference.tune.aleph.ALEPH_WEIGHTS) from a Monash base of
   ``--base-events`` with the gradient method;
3. report pulls (theta_fit - theta*) / sigma with Professor's 2 H^-1 and with the sandwich
   covariance that includes the pseudo-data's full statistical covariance (known here,
   since the pseudo-data are events) and the final base's; and the statistical limit
   of the pseudo-data alone (Fisher information at theta*, computed by reweighting the
   pseudo-data run itself).

``--repeat K`` adds K independent closures at the first theta* (new pseudo-data and base
seeds each) and reports the mean and standard deviation of the pulls and the spread of
the fitted values against the mean reported errors.

    python examples/closure.py --out runs/closure                       # 3 theta*, defaults
    python examples/closure.py --out runs/closure-rep --points 0 --repeat 8
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from mlhad.inference.objective import build_target
from mlhad.inference.tune import (
    GradientSettings,
    PythiaSimulator,
    ReweightedObjective,
    build_space,
    fisher_limit,
    fit_gradient,
    pseudo_data,
    write_pseudo_data,
)
from mlhad.inference.tune.aleph import ANALYSIS, aleph_reference, aleph_weights
from mlhad.inference.tune.covariance import noise_corrected_sandwich, prediction_covariance, sandwich_covariance
from mlhad.inference.tune.space import MONASH as MONASH_DEFAULTS
from mlhad.yoda import read_yoda

MONASH = {name: MONASH_DEFAULTS[name] for name in ("StringZ:aLund", "StringZ:bLund", "StringPT:sigma")}
POINTS = [
    {"StringZ:aLund": 0.60, "StringZ:bLund": 0.98, "StringPT:sigma": 0.32},   # near Monash
    {"StringZ:aLund": 0.55, "StringZ:bLund": 0.90, "StringPT:sigma": 0.29},   # n_eff/N < 0.3 from Monash
    {"StringZ:aLund": 0.80, "StringZ:bLund": 1.10, "StringPT:sigma": 0.36},   # the other side
    {"StringZ:aLund": 0.40, "StringZ:bLund": 0.72, "StringPT:sigma": 0.29},   # down the aLund-bLund valley from point 1
]


def closure_simulator(work_dir: Path, *, workers: int) -> PythiaSimulator:
    """Pythia runs analysed for the fitted ALEPH histograms only, kept (and reused) under ``work_dir``."""
    return PythiaSimulator(reference={ANALYSIS: aleph_reference()}, work_dir=work_dir, workers=workers,
                           progress=False)


def new_report(parser: argparse.ArgumentParser, out: str | Path, name: str) -> Path:
    """``out/name``, with ``out`` created; exits through ``parser`` if that report exists (it is never replaced)."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / name
    if report.exists():
        parser.error(f"{report} exists: choose another --out (the bases under its runs/ are reused)")
    return report


def closure(sim: PythiaSimulator, base, truth: dict[str, float], *, n_data: int, n_base: int, seed: int,
            out: Path, label: str, ratio_test: str = "direct", gain_noise_sigma: float = 0.0,
            grow_events: int | None = None) -> dict:
    """One closure: pseudo-data at ``truth``, gradient fit from ``base``, pulls and limits."""
    t0 = time.perf_counter()
    data_run = sim.run(truth, n_data, seed, label=f"{label}-data")
    yoda = write_pseudo_data(out / f"{label}-pseudo-data.yoda", pseudo_data(data_run), overwrite=True)
    target = build_target(read_yoda(yoda), sim.mc_paths()[0], weights=aleph_weights())
    space = build_space(list(truth), start=MONASH)
    t_true = np.array([truth[n] for n in space.names])
    monash_obj = ReweightedObjective(base, target, space)
    n_eff_monash = monash_obj.value_and_grad(t_true)[2]
    res = fit_gradient(sim, target, space, GradientSettings(n_events=n_base, seed=seed + 1, scan_points=0,
                                                                  ratio_test=ratio_test,
                                                                  gain_noise_sigma=gain_noise_sigma,
                                                                  grow_events=grow_events),
                       base=base, log=lambda s: print(f"  {s}", flush=True))
    # the final base at the best fit: derivatives and MC covariance
    final = ReweightedObjective(res.best_point.run, target, space)
    jac = final.jacobian(res.best)
    e_fit = final.chi2_errors(res.best)
    sigma_mc = prediction_covariance(res.best_point.run.contributions, target, final.event_weights(res.best))
    sigma_data = prediction_covariance(data_run.contributions, target)          # pseudo-data: known exactly
    cov_full = sandwich_covariance(jac, target.data_err, e_fit, target.weights, sigma_data + sigma_mc)
    # the same without the MC noise of the reweighted derivatives (their noise looks like curvature)
    cov_corr, kept = noise_corrected_sandwich(res.best_point.run.contributions, target, final.event_weights(res.best),
                                              final.event_scores(res.best), e_fit, sigma_data + sigma_mc)
    # the statistical limit of the pseudo-data: derivatives at theta* by reweighting the data run itself
    at_truth = ReweightedObjective(data_run, target, space)
    jac_true = at_truth.jacobian(t_true)
    limit_diag = fisher_limit(jac_true, target.data_err, target.weights)
    limit_full = sandwich_covariance(jac_true, target.data_err, np.zeros(target.n_points), target.weights, sigma_data)
    limit_corr, _ = noise_corrected_sandwich(data_run.contributions, target, at_truth.event_weights(t_true),
                                             at_truth.event_scores(t_true), np.zeros(target.n_points), sigma_data)
    hess_err = res.errors
    full_err = np.sqrt(np.diag(cov_full))
    corr_err = np.sqrt(np.diag(cov_corr))
    out_dict = {
        "truth": truth, "fit": res.values(), "names": list(space.names),
        "n_eff_monash_at_truth": n_eff_monash, "regenerations": res.extra["regenerations"],
        "n_eff_history": res.extra["n_eff_history"], "converged": res.converged,
        "chi2": res.chi2, "ndf": res.ndf, "n_events_generated": res.n_events + n_data,
        "errors_hessian": hess_err.tolist(), "errors_sandwich_full": full_err.tolist(),
        "errors_sandwich_mc_correlations": np.sqrt(np.diag(res.extra["covariance_sandwich_mc_correlations"])).tolist(),
        "limit_data_diagonal": np.sqrt(np.diag(limit_diag)).tolist(),
        "limit_data_full": np.sqrt(np.diag(limit_full)).tolist(),
        "limit_data_noise_corrected": np.sqrt(np.diag(limit_corr)).tolist(),
        "errors_sandwich_noise_corrected": corr_err.tolist(),
        "curvature_kept_after_noise_correction": kept.tolist(),
        "pulls_sandwich_noise_corrected": ((res.best - t_true) / corr_err).tolist(),
        "pulls_hessian": ((res.best - t_true) / hess_err).tolist(),
        "pulls_sandwich": ((res.best - t_true) / full_err).tolist(),
        # the joint distance: aLund and bLund are strongly correlated, so their pulls are one fluctuation
        "covariance_sandwich_full": cov_full.tolist(),
        "joint_distance_sandwich": float(np.sqrt((res.best - t_true) @ np.linalg.solve(cov_full, res.best - t_true))),
        "seconds": time.perf_counter() - t0, "seed": seed,
    }
    print(f"[{label}] truth {np.round(t_true, 4).tolist()} (n_eff/N from Monash {n_eff_monash:.3f}) -> fit "
          f"{np.round(res.best, 4).tolist()} after {res.extra['regenerations']} regenerations; pulls 2H^-1 "
          f"{np.round(out_dict['pulls_hessian'], 2).tolist()}, sandwich {np.round(out_dict['pulls_sandwich'], 2).tolist()}, "
          f"noise-corrected sandwich {np.round(out_dict['pulls_sandwich_noise_corrected'], 2).tolist()} (curvature kept "
          f"per eigen-direction {np.round(kept, 3).tolist()})"
          f" (joint Mahalanobis distance {out_dict['joint_distance_sandwich']:.2f}; its square is chi2 with {len(t_true)} dof)",
          flush=True)
    return out_dict


def table(results: list[dict]) -> str:
    lines = ["| closure | parameter | theta* | fit | 2H^-1 | sandwich | data limit (diag) | data limit (full) | "
             "pull (2H^-1) | pull (sandwich) |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k, r in enumerate(results):
        for i, n in enumerate(r["names"]):
            lines.append(f"| {k} (n_eff {r['n_eff_monash_at_truth']:.2f}, {r['regenerations']} regen.) | {n} | "
                         f"{r['truth'][n]:.4f} | {r['fit'][n]:.4f} | {r['errors_hessian'][i]:.4f} | "
                         f"{r['errors_sandwich_full'][i]:.4f} | {r['limit_data_diagonal'][i]:.4f} | "
                         f"{r['limit_data_full'][i]:.4f} | {r['pulls_hessian'][i]:+.2f} | {r['pulls_sandwich'][i]:+.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="runs/closure")
    parser.add_argument("--data-events", type=int, default=20_000)
    parser.add_argument("--base-events", type=int, default=40_000)
    parser.add_argument("--points", default="0,1,2", help="indices of the theta* to test (see POINTS)")
    parser.add_argument("--repeat", type=int, default=0, help="extra independent closures at the first point")
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ratio-test", choices=("direct", "paired"), default="direct",
                        help="how the gradient fit tests a new base against the one that proposed it "
                             "(GradientSettings.ratio_test)")
    parser.add_argument("--gain-noise-sigma", type=float, default=0.0,
                        help="GradientSettings.gain_noise_sigma (0: off): also converge when a base's gain is below "
                             "this many standard deviations of its own MC noise")
    parser.add_argument("--grow-events", type=int, default=None,
                        help="GradientSettings.grow_events (with --gain-noise-sigma): double the bases up to this size "
                             "while a base cannot resolve its minimum")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sim = closure_simulator(out / "runs", workers=args.workers)
    base = sim.run(MONASH, args.base_events, args.seed, label="monash")
    points = [POINTS[int(i)] for i in args.points.split(",") if i.strip()]
    results = []
    for k, truth in enumerate(points):
        results.append(closure(sim, base, truth, n_data=args.data_events, n_base=args.base_events,
                               seed=args.seed + 100 * (k + 1), out=out, label=f"point{k}",
                               ratio_test=args.ratio_test, gain_noise_sigma=args.gain_noise_sigma,
                               grow_events=args.grow_events))
    repeats = []
    for r in range(args.repeat):
        rep_base = sim.run(MONASH, args.base_events, args.seed + 50_000 + 100 * r, label=f"monash-rep{r}")
        repeats.append(closure(sim, rep_base, points[0], n_data=args.data_events, n_base=args.base_events,
                               seed=args.seed + 10_000 + 100 * r, out=out, label=f"repeat{r}",
                               ratio_test=args.ratio_test, gain_noise_sigma=args.gain_noise_sigma,
                               grow_events=args.grow_events))
    summary = {"data_events": args.data_events, "base_events": args.base_events, "ratio_test": args.ratio_test,
               "gain_noise_sigma": args.gain_noise_sigma, "grow_events": args.grow_events,
               "closures": results,
               "repeats": repeats}
    text = ["# Closure of the gradient tune", "", table(results)]
    if repeats:
        ph = np.array([r["pulls_hessian"] for r in repeats])
        ps = np.array([r["pulls_sandwich"] for r in repeats])
        pc = np.array([r["pulls_sandwich_noise_corrected"] for r in repeats])   # NaN: unconstrained direction
        fits = np.array([[r["fit"][n] for n in r["names"]] for r in repeats])
        summary["repeat_statistics"] = {
            "pull_mean_hessian": ph.mean(0).tolist(), "pull_std_hessian": ph.std(0, ddof=1).tolist(),
            "pull_mean_sandwich": ps.mean(0).tolist(), "pull_std_sandwich": ps.std(0, ddof=1).tolist(),
            "fit_spread": fits.std(0, ddof=1).tolist(),
            "mean_error_hessian": np.mean([r["errors_hessian"] for r in repeats], axis=0).tolist(),
            "mean_error_sandwich": np.mean([r["errors_sandwich_full"] for r in repeats], axis=0).tolist(),
            "limit_data_full": np.mean([r["limit_data_full"] for r in repeats], axis=0).tolist(),
            "pull_mean_noise_corrected": np.nanmean(pc, 0).tolist(),
            "pull_rms_noise_corrected": np.sqrt(np.nanmean(pc**2, 0)).tolist(),
            "unconstrained_noise_corrected": np.isnan(pc).sum(0).tolist(),
        }
        st = summary["repeat_statistics"]
        text += ["", f"## {len(repeats)} repeated closures at theta* = {points[0]}", "",
                 "| parameter | pull mean (2H^-1) | pull std (2H^-1) | pull mean (sandwich) | pull std (sandwich) | "
                 "spread of fits | mean 2H^-1 | mean sandwich | data limit | pull mean (noise-corrected) | "
                 "pull rms (noise-corrected) | unconstrained |", "|---|" + "---:|" * 11]
        for i, n in enumerate(repeats[0]["names"]):
            text.append(f"| {n} | {st['pull_mean_hessian'][i]:+.2f} | {st['pull_std_hessian'][i]:.2f} | "
                        f"{st['pull_mean_sandwich'][i]:+.2f} | {st['pull_std_sandwich'][i]:.2f} | "
                        f"{st['fit_spread'][i]:.4f} | {st['mean_error_hessian'][i]:.4f} | "
                        f"{st['mean_error_sandwich'][i]:.4f} | {st['limit_data_full'][i]:.4f} | "
                        f"{st['pull_mean_noise_corrected'][i]:+.2f} | {st['pull_rms_noise_corrected'][i]:.2f} | "
                        f"{st['unconstrained_noise_corrected'][i]} |")
    (out / "closure.json").write_text(json.dumps(summary, indent=1))
    (out / "closure.md").write_text("\n".join(text) + "\n")
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
