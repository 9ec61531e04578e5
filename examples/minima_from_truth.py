"""Where does one base generated *at* theta* put the minimum of a closure's chi2? (docs/tune.md, Closure)

A closure fit walks to theta* from Monash, so a lean of its result can come from the path
(where the walk stopped) or from the reweighted chi2 itself. This check removes the path:
K bases of N events are generated at theta*, and each minimises the reweighted chi2 of
every pseudo-data set of a closure folder, starting at theta*, inside the fit's trust
region (n_eff/N >= 0.5). The mean minimum - theta* over bases and data sets is the lean
of the estimator without the walk; its scatter is the MC noise of one base's minimum.
The data sets of one base share that base's noise, so the base-to-base scatter of their
means is what the lean must be compared with.

    python examples/minima_from_truth.py --closure runs/closure-valley-grow2 --truth 0.40,0.72,0.29 \\
        --bases 4 --events 160000 --out runs/minima-from-truth
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from closure import MONASH, closure_simulator, new_report   # examples/closure.py (this script's folder is on sys.path)

from mlhad.inference.objective import build_target
from mlhad.inference.tune import ReweightedObjective, build_space
from mlhad.inference.tune.aleph import aleph_weights
from mlhad.inference.tune.gradient import minimise_reweighted
from mlhad.yoda import read_yoda

NAMES = list(MONASH)   # aLund, bLund, sigma: the closures' parameters, in their order


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--closure", required=True,
                        help="a folder of examples/closure.py with *-pseudo-data.yoda files")
    parser.add_argument("--truth", required=True, help="theta* (aLund,bLund,sigma) of that closure's pseudo-data")
    parser.add_argument("--out", required=True, help="folder for the bases and minima-from-truth.json")
    parser.add_argument("--bases", type=int, default=4)
    parser.add_argument("--events", type=int, default=160_000)
    parser.add_argument("--min-n-eff", type=float, default=0.5, help="the trust region (the fit's default 0.5)")
    parser.add_argument("--seed", type=int, default=91_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    data_files = sorted(Path(args.closure).glob("*-pseudo-data.yoda"))
    if not data_files:
        parser.error(f"--closure {args.closure}: no *-pseudo-data.yoda files there (run examples/closure.py first)")
    truth = np.array([float(x) for x in args.truth.split(",")])
    if truth.shape != (3,):
        parser.error(f"--truth takes 3 numbers ({NAMES}), got {args.truth!r}")
    report_path = new_report(parser, args.out, "minima-from-truth.json")
    out = report_path.parent
    sim = closure_simulator(out / "runs", workers=args.workers)
    targets = {f.name: build_target(read_yoda(f), sim.mc_paths()[0], weights=aleph_weights()) for f in data_files}
    space = build_space(NAMES, start=MONASH)
    rows = []
    t0 = time.perf_counter()
    for k in range(args.bases):
        base = sim.run(dict(zip(NAMES, truth.tolist())), args.events, args.seed + k, label=f"truth{k}")
        for name, target in targets.items():
            objective = ReweightedObjective(base, target, space)
            fit = minimise_reweighted(objective, truth, min_n_eff=args.min_n_eff)
            rows.append({"base": k, "data": name, "minimum": fit.theta.tolist(), "chi2_min": fit.chi2,
                         "chi2_truth": objective(truth), "n_eff": fit.n_eff,
                         "on_boundary": bool(fit.on_boundary)})
            boundary = ", on the boundary" if fit.on_boundary else ""
            print(f"base {k} {name}: minimum {np.round(fit.theta, 4).tolist()} chi2 {rows[-1]['chi2_truth']:.1f} -> "
                  f"{fit.chi2:.1f} (n_eff/N {fit.n_eff:.2f}{boundary})", flush=True)
        print(f"base {k + 1}/{args.bases} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    offsets = np.array([r["minimum"] for r in rows]) - truth
    per_base = np.array([offsets[[r["base"] == k for r in rows]].mean(axis=0) for k in range(args.bases)])
    report = {"closure": args.closure, "truth": truth.tolist(), "bases": args.bases, "events": args.events,
              "min_n_eff": args.min_n_eff, "names": NAMES, "fits": rows,
              "mean_offset": offsets.mean(axis=0).tolist(), "scatter_per_fit": offsets.std(axis=0, ddof=1).tolist(),
              "mean_offset_per_base": per_base.tolist(),
              "error_of_mean_offset": (per_base.std(axis=0, ddof=1) / np.sqrt(args.bases)).tolist()
              if args.bases > 1 else None,
              "on_boundary": int(sum(r["on_boundary"] for r in rows))}
    report_path.write_text(json.dumps(report, indent=1))
    for i, name in enumerate(NAMES):
        error = report["error_of_mean_offset"][i] if report["error_of_mean_offset"] else float("nan")
        print(f"{name}: mean minimum - theta* {report['mean_offset'][i]:+.4f} +- {error:.4f} (from the scatter of "
              f"the {args.bases} bases' means), scatter per fit {report['scatter_per_fit'][i]:.4f}")
    print(f"{report['on_boundary']} of {len(rows)} minima on the trust-region boundary; written {report_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
