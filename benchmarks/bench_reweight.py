"""Reweighting 1M events + all ALEPH histograms at a new theta, vs regenerating them.

Measured in one run:
- the reweighting path: event weights w(theta) for every event (z and pT parts) and all
  ALEPH_1996 reference histograms (normalised, with errors) from the sample's stored
  contributions -- without and with the gradient with respect to theta;
- the regeneration path: Pythia generation (with histories) plus the observables of a
  smaller sample at theta, timed and scaled to the same number of events (stated).

    python benchmarks/bench_reweight.py runs/bench-1m [--regen-events 20000]

The sample needs its ALEPH contributions computed once
(``mlhad.analysis.analysis_contributions(sample)``, cached beside it).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch

from mlhad.analysis import analysis_contributions
from mlhad.config import GeneratorConfig
from mlhad.generators import generate
from mlhad.io import open_sample
from mlhad.reweight import reweighter_from_sample
from mlhad.reweight.predict import ReweightedPredictor

THETA = {"StringZ:aLund": 0.6, "StringZ:bLund": 1.05, "StringPT:sigma": 0.33}


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample")
    parser.add_argument("--regen-events", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sample = open_sample(args.sample)
    t0 = time.perf_counter()
    contributions = analysis_contributions(sample, progress=False)
    rw = reweighter_from_sample(sample, list(THETA))
    predictor = ReweightedPredictor(rw, contributions)
    setup = time.perf_counter() - t0
    n = rw.tables.n_events

    def forward():
        with torch.no_grad():
            predictor.predict(THETA)

    def with_gradient():
        theta = torch.tensor(list(THETA.values()), dtype=torch.float64, requires_grad=True)
        out = predictor.predict(theta)
        torch.stack([p.values.sum() for p in out.values()]).sum().backward()

    t_fwd = best_of(forward, args.repeats)
    t_grad = best_of(with_gradient, args.repeats)

    settings = tuple(f"{k} = {v}" for k, v in THETA.items())
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        regen = generate(GeneratorConfig(n_events=args.regen_events, chunk_size=5000, seed=99, settings=settings),
                         f"{tmp}/regen", workers=2, progress=False)
        analysis_contributions(regen, progress=False, workers=2)
        t_regen_small = time.perf_counter() - t0
    t_regen = t_regen_small * n / args.regen_events

    print(f"{n:,} events, {len(predictor.paths)} ALEPH_1996 histograms, {predictor.n_rows:,} sparse fill rows")
    print(f"  one-off setup (load histories + stored contributions)  : {setup:8.1f} s")
    print(f"  reweight + all histograms                              : {t_fwd:8.2f} s   (goal <= 2 s)")
    print(f"  reweight + all histograms + gradient                   : {t_grad:8.2f} s")
    print(f"  regenerate with Pythia + observables (2 workers; {args.regen_events:,} events "
          f"measured, scaled x{n / args.regen_events:.0f}) : {t_regen:8.0f} s")
    print(f"  speed-up, reweighting vs regeneration                  : {t_regen / t_fwd:8.0f}x   (goal >= 200x)")
    print(f"  speed-up, with gradient                                : {t_regen / t_grad:8.0f}x")


if __name__ == "__main__":
    main()
