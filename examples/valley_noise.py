"""Bases at theta*: how much of the valley they resolve, and what their reweighted minima pick.

The measurement behind docs/tune.md, "What the ceiling leaves out". For the benchmark's closure
problem (``benchmarks/bench_tune.py``, repeat ``--repeat``), it generates ``--bases`` runs of
``--events`` events at theta* and prints for each:

* the fraction of each direction's apparent curvature that is information
  (``covariance.noise_corrected_sandwich``), next to the prediction of
  ``reach.resolving_events``' 1/N scaling from the 80k-event pseudo-data run;
* the base's own chi2, the minimum of its reweighted chi2 inside n_eff/N >= 0.5 (and where it
  lies), and the mean, spread and lowest value over ``--directions`` random points on the same
  n_eff/N = 0.5 boundary.

    python examples/valley_noise.py --repeat 2 --events 10000 --bases 4 --out runs/valley-noise
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from mlhad.inference.tune import PythiaSimulator, ReweightedObjective
from mlhad.inference.tune.aleph import ANALYSIS, aleph_reference
from mlhad.inference.tune.covariance import noise_corrected_sandwich
from mlhad.inference.tune.gradient import minimise_reweighted
from mlhad.inference.tune.reach import kept_at

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_tune import closure_problem  # noqa: E402  (the benchmark's closure problem)


def boundary_point(objective: ReweightedObjective, centre: np.ndarray, direction: np.ndarray,
                   lower: np.ndarray, upper: np.ndarray, n_eff: float = 0.5) -> np.ndarray:
    """The point along ``direction`` from ``centre`` where n_eff/N falls to ``n_eff`` (or the limits), by bisection."""
    lo, hi = 0.0, 1.0
    while np.all((centre + hi * direction >= lower) & (centre + hi * direction <= upper)) \
            and objective.value_and_grad(centre + hi * direction)[2] > n_eff and hi < 64:
        lo, hi = hi, 2 * hi
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        t = centre + mid * direction
        inside = np.all((t >= lower) & (t <= upper)) and objective.value_and_grad(t)[2] > n_eff
        lo, hi = (mid, hi) if inside else (lo, mid)
    return centre + lo * direction


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2, help="the benchmark's repetition (its pseudo-data)")
    parser.add_argument("--data-events", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=10_000, help="events per base at theta*")
    parser.add_argument("--bases", type=int, default=4)
    parser.add_argument("--directions", type=int, default=60, help="random boundary points per base")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="runs/valley-noise")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    sim = PythiaSimulator(reference={ANALYSIS: aleph_reference("soft-pt")}, work_dir=Path(args.out) / "runs",
                          workers=args.workers, progress=False)
    n_d = args.data_events
    problem = closure_problem(sim, n_d, args.repeat, "soft-pt")
    target, space, truth, sigma_data = problem.target, problem.space, problem.truth, problem.sigma_data
    sigma_lim = np.sqrt(np.diag(problem.cov_lim))
    no_errors = np.zeros(target.n_points)
    print(f"pseudo-data ({4 * n_d} events): kept {np.round(problem.kept, 3).tolist()}, sigma_lim "
          f"{np.round(sigma_lim, 4).tolist()}; predicted kept on {args.events}-event bases "
          f"{np.round(kept_at(problem.kept, 4 * n_d, args.events), 3).tolist()}", flush=True)
    theta_star = dict(zip(space.names, truth.tolist()))     # the problem's own theta*, for the bases
    rng = np.random.default_rng(args.repeat)
    for s in range(args.bases):
        base = sim.run(theta_star, args.events, 50_000 + 100_000 * args.repeat + s, label=f"base-at-truth-{s}")
        objective = ReweightedObjective(base, target, space)
        weights, scores = objective.event_weights(truth), objective.event_scores(truth)
        _, kept = noise_corrected_sandwich(base.contributions, target, weights, scores, no_errors, sigma_data)
        metric = np.cov(scores.T)                       # 1 - n_eff/N ~ d^T metric d near the base
        on_boundary = []
        for _ in range(args.directions):
            d = rng.normal(size=truth.size)
            on_boundary.append(objective(boundary_point(objective, truth, d / np.sqrt(d @ metric @ d),
                                                        space.lower, space.upper)))
        fit = minimise_reweighted(objective, truth, min_n_eff=0.5, max_iterations=100)
        print(f"base {s}: kept {np.round(kept, 3).tolist()}; chi2 at its point {objective(truth):.1f}, reweighted "
              f"minimum {fit.chi2:.1f} (n_eff/N {fit.n_eff:.2f}) at {np.round((fit.theta - truth) / sigma_lim, 2).tolist()} "
              f"sigma_lim from theta*; {args.directions} random boundary points: mean {np.mean(on_boundary):.1f}, "
              f"sd {np.std(on_boundary):.1f}, lowest {np.min(on_boundary):.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
