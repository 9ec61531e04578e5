"""Benchmark: all ALEPH_1996 histograms for N events and K weight columns, from contributions vs recomputing.

Measured in one run on the same events:

* baseline ("recompute"): what filling needs without stored contributions -- compute
  every ALEPH observable (:func:`mlhad.observables.compute`) and fill one
  :class:`mlhad.histograms.Histogram` per reference histogram with the ``(N, K)`` weights,
  fill by fill;
* mlhad.analysis: :func:`~mlhad.analysis.fill` + :func:`~mlhad.analysis.normalise` from
  contributions computed once (their one-time cost is printed too).

Usage:
    python benchmarks/bench_analysis.py                          # runs/monash if present, 50k events, K = 10
    python benchmarks/bench_analysis.py --events 20000 --k 100
    python benchmarks/bench_analysis.py --sample runs/other

Without a sample at ``--sample`` a Monash sample of ``--events`` events is generated in a
temporary directory first.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import awkward as ak
import numpy as np

from mlhad.analysis import PARTICLE_COLUMNS, analysis_contributions, fill, normalise
from mlhad.analysis.booking import book, fill_mode
from mlhad.histograms import Histogram
from mlhad.io import open_sample
from mlhad.observables import compute

__all__ = ["main", "recompute_and_fill"]

NAME = "ALEPH_1996_S3486095"
os.environ.setdefault("MLHAD_NO_PROGRESS", "1")  # timings, not progress bars


def recompute_and_fill(particles: ak.Array, weights: np.ndarray) -> dict[str, Histogram]:
    """The baseline: observables, then every histogram filled fill by fill with (N, K) weights."""
    bookings, _ = book(NAME)
    names = sorted({b.entry.observable for b in bookings.values()} | {"n_charged"})
    values = compute(particles, names, beam_energy=45.6)
    accepted = values["n_charged"] >= 2
    out = {}
    for path, b in bookings.items():
        e = b.entry
        h = Histogram(b.edges, n_variations=weights.shape[1]).add_events(weights[accepted])
        x = values[e.observable]
        if e.kind == "event":
            x = np.asarray(x, dtype=float)
            if e.normalisation == "mean":
                centre = 0.5 * (b.edges[0] + b.edges[1])
                if fill_mode(e) == "weighted_mean":
                    h.fill(np.full(accepted.sum(), centre), weights[accepted] * x[accepted, None])
                else:
                    n = x[accepted].astype(int)
                    h.fill(np.full(n.sum(), centre), np.repeat(weights[accepted], n, axis=0))
            else:
                ok = accepted & np.isfinite(x)
                h.fill(x[ok], weights[ok])
        else:
            counts = ak.to_numpy(ak.num(x, axis=1))
            ev = np.repeat(np.arange(counts.size), counts)
            flat = ak.to_numpy(ak.flatten(x)).astype(float)
            ok = accepted[ev] & np.isfinite(flat)
            h.fill(flat[ok], np.asfortranarray(weights[ev[ok]]))
        out[path] = h
    return out


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=Path("runs/monash"))
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--k", type=int, default=10, help="weight columns")
    args = parser.parse_args(argv)

    tmp = None
    if not (args.sample / "mlhad-sample.json").exists():
        from mlhad.config import GeneratorConfig
        from mlhad.generators import generate

        tmp = tempfile.TemporaryDirectory()
        print(f"no sample at {args.sample}: generating {args.events} Monash events first")
        generate(GeneratorConfig(preset="lep1", n_events=args.events, seed=3, history=False),
                 Path(tmp.name) / "s", workers=2, progress=False)
        args.sample = Path(tmp.name) / "s"
    sample = open_sample(args.sample)
    chunks, n = [], 0
    for c in sample.chunks:
        if n >= args.events:
            break
        chunks.append(c.index)
        n += c.n_events
    particles = sample.read(list(PARTICLE_COLUMNS), chunks=chunks).particles[: args.events]
    n = len(particles)
    weights = np.random.default_rng(1).uniform(0.5, 1.5, (n, args.k))

    t = time.perf_counter()
    direct = recompute_and_fill(particles, weights)
    t_recompute = time.perf_counter() - t

    t = time.perf_counter()
    contributions = analysis_contributions(particles, NAME)
    t_build = time.perf_counter() - t

    t = time.perf_counter()
    filled = fill(contributions, weights)
    predictions = normalise(filled, contributions, weights)
    t_fill = time.perf_counter() - t

    # the two routes give the same sums (checked here so the timing compares equal work)
    for path, h in direct.items():
        np.testing.assert_allclose(filled[path].sumw, h.sumw, rtol=1e-10, atol=1e-9, err_msg=path)
    rows = sum(h.n_rows for h in contributions.histograms.values())
    print(f"{NAME}: {len(predictions)} histograms, {n} events, K = {args.k} weight columns")
    print(f"  contributions: {rows} rows ({rows / n:.0f} per event), {contributions.nbytes() / 1e6:.0f} MB, "
          f"built once in {t_build:.2f} s (observables included)")
    print(f"  recompute observables + fill fill by fill : {t_recompute:8.2f} s")
    print(f"  fill + normalise from contributions       : {t_fill:8.2f} s   ({1e3 * t_fill / args.k:.0f} ms per column)")
    print(f"  speed-up: {t_recompute / t_fill:.1f}x")
    if tmp is not None:
        tmp.cleanup()
    return {"recompute": t_recompute, "fill": t_fill, "build": t_build, "ratio": t_recompute / t_fill}


if __name__ == "__main__":
    main()
