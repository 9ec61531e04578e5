"""Benchmark: wall time of N = 1000 and 10000 SBI simulations, by reweighting vs by fresh Pythia runs.

Both simulators predict the same observation (the ALEPH charged-particle points of
``runs/sbi/weights_charged.txt``-style selection, or every known histogram with
``--all``) for points drawn uniformly in the same box:

* reweighting: :class:`mlhad.inference.sbi.ReweightingSimulator` of ``--base``
  (every event of it, as ``mlhad sbi`` does); ``--points`` points are timed after one
  warm-up batch, and the rate (points/s) is extrapolated to N;
* Pythia: :class:`mlhad.inference.sbi.PythiaSimulator` runs ``--pythia-points`` points
  of ``--pythia-events`` events each (generation + observable pass, ``--workers``
  processes); the measured events/s is extrapolated to N runs of as many events as the
  base sample has (the same statistical precision per simulation).

Printed: the table and the ratio Pythia / reweighting (the baseline is Pythia, measured
in the same run). Both rates are measured on the same machine at the same time, so
the ratio is meaningful even on a busy machine; the absolute times are not.

    python benchmarks/bench_sbi.py --base runs/monash
    python benchmarks/bench_sbi.py --base runs/monash --points 32 --pythia-events 2000   # quick
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from mlhad.compare.weights import parse_weights
from mlhad.inference.sbi import PythiaSimulator, ReweightingSimulator, load_observation, parse_limits
from mlhad.inference.sbi.selections import ALEPH_CHARGED_WEIGHTS
from mlhad.io import open_sample

DATA = "rivet_data/ALEPH_1996_S3486095.yoda"
LIMITS = "aLund=0.6:0.76,bLund=0.9:1.06,sigma=0.32:0.35"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="runs/monash", help="base sample with histories")
    ap.add_argument("--limits", default=LIMITS)
    ap.add_argument("--points", type=int, default=128, help="reweighted points timed")
    ap.add_argument("--pythia-points", type=int, default=2, help="fresh Pythia runs timed")
    ap.add_argument("--pythia-events", type=int, default=5000, help="events per timed Pythia run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--all", action="store_true", help="every known ALEPH histogram, not the charged selection")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    os.environ.setdefault("MLHAD_NO_PROGRESS", "1")

    sample = open_sample(args.base)
    weights = None if args.all else parse_weights(ALEPH_CHARGED_WEIGHTS)
    obs, refs, contributions = load_observation([DATA], sample, weight_file=weights, progress=False)
    limits = parse_limits(args.limits)
    rng = np.random.default_rng(args.seed)

    sim = ReweightingSimulator(sample, obs, contributions, list(limits.names), on_uncovered="flag")
    limits = limits.reorder(sim.params)
    sim.predict(rng.uniform(limits.lower, limits.upper, (8, limits.dim)))                                   # warm-up (tables, caches)
    theta = rng.uniform(limits.lower, limits.upper, (args.points, limits.dim))
    t0 = time.perf_counter()
    out = sim.predict(theta)
    t_rw = (time.perf_counter() - t0) / args.points
    print(f"reweighting: {args.points} points of {sample.n_events} events, {obs.n_points} bins in "
          f"{len(obs.histograms)} histograms: {t_rw * 1e3:.1f} ms/point (median n_eff/N "
          f"{np.median(out.n_eff_fraction):.2f})")

    pythia = PythiaSimulator(obs, refs, list(limits.names), n_events=args.pythia_events, workers=args.workers,
                             seed=args.seed)
    theta_p = rng.uniform(limits.lower, limits.upper, (args.pythia_points, limits.dim))
    t0 = time.perf_counter()
    pythia.predict(theta_p)
    t_py_event = (time.perf_counter() - t0) / (args.pythia_points * args.pythia_events)
    t_py = t_py_event * sample.n_events
    print(f"pythia: {args.pythia_points} runs of {args.pythia_events} events ({args.workers} workers, generation + "
          f"analysis): {t_py_event * 1e3:.2f} ms/event -> {t_py:.0f} s per simulation of {sample.n_events} events")

    print(f"\n| N simulations | reweighting (measured rate) | Pythia, {sample.n_events} events each "
          "(extrapolated) | Pythia / reweighting |")
    print("|---|---|---|---|")
    for n in (1000, 10000):
        rw, py = n * t_rw, n * t_py
        print(f"| {n} | {rw:.0f} s ({rw / 3600:.2f} h) | {py:.3g} s ({py / 86400:.1f} days) | {py / rw:.0f} |")
    load = os.getloadavg()[0]
    print(f"\nload average during the run: {load:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
