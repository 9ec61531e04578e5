"""Benchmark: every ALEPH_1996_S3486095 observable for 1M events, and a per-event baseline.

Prints events/s for the full ALEPH set, the share of time per observable, and the
speed-up over a baseline measured in the same run: a naive per-event Python
implementation of thrust (exact: loop over particle pairs, Brandt-Dahmen candidate
axes) and sphericity (numpy eigh of each event's tensor), timed on a subset and
extrapolated to the same number of events.

Usage:
    python benchmarks/bench_observables.py                  # 1M synthetic events
    python benchmarks/bench_observables.py --events 200000
    python benchmarks/bench_observables.py --sample runs/monash   # a real mlhad sample

Synthetic events have a realistic LEP1 multiplicity (about 40 final-state particles,
half of them charged) in two back-to-back jets, plus decayed hadrons (status 2) of the
identified species, so that every ALEPH observable has work to do.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

import awkward as ak
import numpy as np

from mlhad.observables import charged_final
from mlhad.progress import progress_bar
from mlhad.observables.context import Context
from mlhad.observables.catalogue import OBSERVABLES
from mlhad.registry import entries

__all__ = ["main", "synthetic", "naive_thrust", "naive_sphericity"]

BEAM = 45.6
PION = 0.13957
# decayed hadrons (status 2) of the identified species, with typical multiplicities per event
UNSTABLE = {111: 9.6, 221: 1.0, 331: 0.15, 310: 1.0, 3122: 0.38, 113: 1.2, 223: 1.0, 313: 0.8,
            333: 0.12, 323: 0.7, 3212: 0.08, 3312: 0.03, 3114: 0.03, 3224: 0.03, 3324: 0.007}


def synthetic(n_events: int, rng: np.random.Generator) -> ak.Array:
    """Jet-like events: ~40 final particles (half charged) and ~16 decayed hadrons."""
    n_final = rng.poisson(40.0, n_events)
    pids, rates = np.array(list(UNSTABLE)), np.array(list(UNSTABLE.values()))
    n_unst = rng.poisson(rates.sum(), n_events)
    counts = n_final + n_unst
    total = counts.sum()
    event = np.repeat(np.arange(n_events), counts)
    axis = rng.standard_normal((n_events, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    side = np.where(rng.random(total) < 0.5, 1.0, -1.0)
    z = rng.exponential(1.0, total)
    hemi = event * 2 + (side > 0)
    z *= BEAM / np.bincount(hemi, weights=z, minlength=2 * n_events)[hemi]
    pt = rng.normal(0.0, 0.35, (total, 3))
    a = axis[event]
    pt -= np.einsum("ij,ij->i", pt, a)[:, None] * a
    p = (side * z)[:, None] * a + pt
    first = np.repeat(np.cumsum(counts) - counts, counts)
    index = np.arange(total) - first
    final = index < n_final[event]
    charge = np.where(final, rng.choice([-1, 0, 1], total, p=[0.25, 0.5, 0.25]), 0)
    pid = np.where(charge != 0, 211 * charge, 22)
    pid = np.where(final, pid, rng.choice(pids, total, p=rates / rates.sum()))
    mass = np.where(charge != 0, PION, 0.0)
    e = np.sqrt((p**2).sum(axis=1) + mass**2)
    record = ak.zip({
        "px": p[:, 0].astype(np.float32), "py": p[:, 1].astype(np.float32),
        "pz": p[:, 2].astype(np.float32), "e": e.astype(np.float32), "m": mass.astype(np.float32),
        "pid": pid.astype(np.int32), "charge": charge.astype(np.int8),
        "status": np.where(final, 1, 2).astype(np.int8), "parent": np.full(total, -1, np.int32),
    })
    return ak.unflatten(record, counts)


def naive_thrust(p: np.ndarray) -> float:
    """Exact thrust of one event by looping over particle pairs (the textbook algorithm)."""
    best = 0.0
    for j, k in itertools.combinations(range(len(p)), 2):
        normal = np.cross(p[j], p[k])
        side = np.sign(p @ normal)
        side[[j, k]] = 0.0
        base = side @ p
        for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            best = max(best, float(np.linalg.norm(base + a * p[j] + b * p[k])))
    return best / float(np.linalg.norm(p, axis=1).sum())


def naive_sphericity(p: np.ndarray) -> float:
    tensor = p.T @ p / float((p**2).sum())
    lam = np.linalg.eigvalsh(tensor)
    return 1.5 * (lam[0] + lam[1])


def baseline_seconds_per_event(particles: ak.Array, n: int) -> float:
    """Per-event Python loop over thrust + sphericity on the first ``n`` events."""
    charged = charged_final(particles[:n])
    start = time.perf_counter()
    for event in charged:
        p = np.stack([np.asarray(event[c], dtype=np.float64) for c in ("px", "py", "pz")], axis=1)
        if len(p) >= 2:
            naive_thrust(p)
            naive_sphericity(p)
    return (time.perf_counter() - start) / n


def batches(args: argparse.Namespace):
    if args.sample:
        from mlhad.io import open_sample

        fields = [f"particles.{f}" for f in ("px", "py", "pz", "e", "m", "pid", "charge", "status", "parent")]
        yield from open_sample(args.sample).iter_batches(fields)
        return
    rng = np.random.default_rng(args.seed)
    for start in range(0, args.events, args.batch):
        yield synthetic(min(args.batch, args.events - start), rng)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--sample", default=None, help="read this mlhad sample instead")
    parser.add_argument("--baseline-events", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    # one bar over batches (off with MLHAD_NO_PROGRESS=1); the per-kernel bars inside each
    # batch would only flicker, so they are switched off after this bar exists
    bar = progress_bar(total=None if args.sample else -(-args.events // args.batch), desc="batches")
    os.environ["MLHAD_NO_PROGRESS"] = "1"

    names = list(dict.fromkeys(e.observable for e in entries("ALEPH_1996_S3486095")))
    seconds = dict.fromkeys(names, 0.0)
    cpu = 0.0
    n_events = n_charged = 0
    first = None
    load_start = os.getloadavg()[0]
    for particles in batches(args):
        first = particles if first is None else first
        context = Context(particles, beam_energy=BEAM, selection="charged")
        for name in names:  # in table order: the first user of a shared intermediate pays for it
            start, cpu_start = time.perf_counter(), time.process_time()
            OBSERVABLES[name].evaluate(context)
            seconds[name] += time.perf_counter() - start
            cpu += time.process_time() - cpu_start
        n_events += len(particles)
        n_charged += int(context.n_charged.sum())
        bar.update(1)
    bar.close()
    total = sum(seconds.values())
    load = (load_start + os.getloadavg()[0]) / 2
    base = baseline_seconds_per_event(first, min(args.baseline_events, len(first)))

    print(f"events: {n_events}, mean charged multiplicity {n_charged / n_events:.1f}")
    print(f"full ALEPH set ({len(names)} observables): {total:.1f} s wall, {n_events / total:,.0f} events/s "
          f""
          f"({cpu:.1f} s CPU in all threads; {os.cpu_count()} cores, load average ~{load:.1f} from other work)")
    print("share of wall time (an intermediate shared by several observables -- selection, thrust axes,")
    print("tensors -- is charged to the first observable that needs it, in registry order):")
    for name, sec in sorted(seconds.items(), key=lambda kv: -kv[1]):
        if sec / total >= 0.005:
            print(f"  {name:<24s} {100 * sec / total:5.1f} %")
    print(f"baseline (per-event Python thrust + sphericity, {args.baseline_events} events, "
          f"extrapolated): {base * n_events:.0f} s = {1 / base:,.0f} events/s")
    print(f"ratio: full vectorised ALEPH set is {base * n_events / total:.0f}x faster than the "
          "baseline's thrust + sphericity alone")


if __name__ == "__main__":
    main()
