"""Is a reweighted chi2 biased away from its base along the aLund-bLund valley? (docs/tune.md, Closure)

K independent bases of N events are generated at theta*; each predicts the chi2 of one
pseudo-data set (a closure's YODA file) at points theta* + t x step x direction by exact
reweighting (the fit's noise-corrected chi2). Independent direct runs of N events at the
same points (no reweighting) give the chi2 that a base there would have. The mean
difference over the K bases is the bias of the reweighted chi2; its scatter across bases is
the MC noise that moves a fit along the valley.

    python examples/valley_bias_check.py --data runs/closure-far-direct/repeat2-pseudo-data.yoda \\
        --out runs/valley-bias --bases 8 --events 40000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from closure import MONASH, closure_simulator   # examples/closure.py (this script's folder is on sys.path)

from mlhad.inference.objective import build_target
from mlhad.inference.tune import ReweightedObjective, build_space, run_chi2
from mlhad.inference.tune.aleph import aleph_weights
from mlhad.yoda import read_yoda

NAMES = ["StringZ:aLund", "StringZ:bLund", "StringPT:sigma"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="a pseudo-data YODA file written by examples/closure.py")
    parser.add_argument("--out", required=True, help="folder for the runs and valley-bias.json")
    parser.add_argument("--truth", default="0.55,0.90,0.29", help="theta* (aLund,bLund,sigma) of the bases")
    parser.add_argument("--direction", default="1,1.1919,0.0023", help="the valley direction (parameter units)")
    parser.add_argument("--step", type=float, default=0.2)
    parser.add_argument("--bases", type=int, default=8)
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if not Path(args.data).is_file():
        parser.error(f"--data {args.data}: no such file (a *-pseudo-data.yoda of examples/closure.py)")
    truth = np.array([float(x) for x in args.truth.split(",")])
    axis = np.array([float(x) for x in args.direction.split(",")])
    if truth.shape != (3,) or axis.shape != (3,):
        parser.error(f"--truth and --direction take 3 numbers each ({NAMES})")
    out = Path(args.out)
    sim = closure_simulator(out / "runs", workers=args.workers)
    target = build_target(read_yoda(args.data), sim.mc_paths()[0], weights=aleph_weights())
    space = build_space(NAMES, start=MONASH)
    offsets = [-1.0, -0.5, 0.5, 1.0]
    rows = {t: {"reweighted": [], "direct": [], "n_eff": []} for t in offsets}
    at_base = []
    t0 = time.perf_counter()
    for k in range(args.bases):
        base = sim.run(dict(zip(NAMES, truth.tolist())), args.events, 5000 + k, label=f"base{k}")
        objective = ReweightedObjective(base, target, space)
        at_base.append(objective(truth))
        for t in offsets:
            point = truth + t * args.step * axis
            value, _, n_eff, _ = objective.value_and_grad(point)
            run = sim.run(dict(zip(NAMES, point.tolist())), args.events, 7000 + 100 * k + int(10 * (t + 2)),
                          label=f"direct{k}-{t}", histories=False)
            rows[t]["reweighted"].append(value)
            rows[t]["n_eff"].append(n_eff)
            rows[t]["direct"].append(run_chi2(run, target))
        print(f"base {k + 1}/{args.bases} ({time.perf_counter() - t0:.0f} s)", flush=True)

    def mean_and_error(x) -> tuple[float, float]:
        x = np.asarray(x, dtype=float)
        return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))

    report = {"data": args.data, "truth": truth.tolist(), "direction": axis.tolist(), "step": args.step,
              "bases": args.bases, "events": args.events, "chi2_at_the_bases": mean_and_error(at_base), "offsets": {}}
    print(f"{args.bases} bases of {args.events} events at {truth.tolist()}: their own chi2 "
          f"{report['chi2_at_the_bases'][0]:.1f} +- {report['chi2_at_the_bases'][1]:.1f}")
    for t in offsets:
        r, d = np.array(rows[t]["reweighted"]), np.array(rows[t]["direct"])
        entry = {"n_eff": float(np.mean(rows[t]["n_eff"])), "reweighted": mean_and_error(r), "direct": mean_and_error(d),
                 "reweighted_minus_direct": mean_and_error(r - d), "reweighted_scatter_per_base": float(r.std(ddof=1))}
        report["offsets"][str(t)] = entry
        print(f"t = {t:+.1f}: n_eff/N {entry['n_eff']:.2f}; reweighted {entry['reweighted'][0]:.1f} +- "
              f"{entry['reweighted'][1]:.1f} (per base +- {entry['reweighted_scatter_per_base']:.1f}), direct "
              f"{entry['direct'][0]:.1f} +- {entry['direct'][1]:.1f}; difference "
              f"{entry['reweighted_minus_direct'][0]:+.1f} +- {entry['reweighted_minus_direct'][1]:.1f}")
    (out / "valley-bias.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
