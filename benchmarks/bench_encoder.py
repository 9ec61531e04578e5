"""Benchmark: events/s embedded by the shipped encoder on CPU, against baselines of the same run.

Measured on the same Pythia LEP1 events (generated here, no histories, or ``--sample``):

* model size: parameters and bytes of the shipped state dict;
* **encoder forward**: ``mlhad.encoder.embed_features``, the code ``embed`` runs once the
  input features exist (equal-multiplicity batches built per batch, forward pass, output
  copy), in four set-ups measured alternately, round after round, in this process:
  the torch kNN path on one thread (the code before the kNN kernel: the baseline), the
  compiled kNN kernel on one thread, the kernel with ``workers`` threads (one torch thread
  each: what ``embed`` does by default when torch has that many threads), and the kernel
  on one worker with torch's own intra-op threads;
* the forward pass on multiplicity-sorted padded batches (what training uses), 1 thread;
* input features (event frame, per-particle features) from particles + thrust axes;
* thrust axes (``mlhad.observables.thrust_axes``), which ``embed`` computes by default;
* ``embed`` end to end (thrust + features + forward), on 1 and on ``workers`` threads;
* baseline 1: the high-level observables of the probe (``mlhad.observables.compute``,
  event shapes + multiplicities), the representation the encoder is compared with;
* baseline 2: a DeepSets MLP (per-particle MLP of the same width, mean pooling) on the
  same padded inputs: the price of the transformer and the kNN graph over the cheapest
  learnt set model.

Each figure is the best of ``--repeat`` timings (the least disturbed by other processes);
the load average is printed at the start and the end because a busy machine slows
everything (run with ``OMP_NUM_THREADS=1``).

    python benchmarks/bench_encoder.py [--events 10000] [--repeat 3] [--workers 2] [--sample runs/monash]
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from contextlib import contextmanager

import numpy as np
import torch

from mlhad.threads import torch_threads

GOAL = 10_000  # events/s for the encoder forward pass on the 2-core CI/dev machine


def best_rate(fn, n_events: int, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return n_events / best


def interleaved(fns: dict, n_events: int, repeat: int) -> dict[str, float]:
    """Events/s of each function, best of ``repeat`` rounds that run every function once
    (so that a change of load during the run hits them alike)."""
    best = dict.fromkeys(fns, np.inf)
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return {name: n_events / t for name, t in best.items()}


class DeepSets(torch.nn.Module):
    """Baseline 2: per-particle MLP of the encoder's width, mean pooling, linear read-out."""

    def __init__(self, n_in: int, n_glob: int, d: int, d_out: int) -> None:
        super().__init__()
        self.phi = torch.nn.Sequential(torch.nn.Linear(n_in, d), torch.nn.GELU(), torch.nn.Linear(d, d))
        self.out = torch.nn.Linear(d + n_glob, d_out)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        w = mask[..., None].to(x.dtype)
        pooled = (self.phi(x) * w).sum(1) / w.sum(1)
        return self.out(torch.cat([pooled, g], -1))


def kth_distance_tie(flat, event: int, k: int) -> bool:
    """True if some particle of the event has two neighbours tied (bit for bit) at its k-th distance."""
    from mlhad.encoder.batching import select_events
    from mlhad.encoder.features import DIRECTION_COLUMNS

    one = select_events(flat, np.array([event]))
    d = torch.from_numpy(np.ascontiguousarray(one.values[:, list(DIRECTION_COLUMNS)]))[None]
    dist = 1.0 - torch.bmm(d, d.transpose(1, 2))
    dist.diagonal(dim1=1, dim2=2).fill_(float("inf"))
    ranked = torch.sort(dist, dim=-1).values[0]
    return ranked.shape[1] > k and bool((ranked[:, k - 1] == ranked[:, k]).any())


@contextmanager
def knn_path(native_kernel: bool):
    """Run the block with the compiled kNN kernel, or with the torch path (``MLHAD_NATIVE_KNN=0``)."""
    from mlhad.native import knn

    before = os.environ.get("MLHAD_NATIVE_KNN")
    os.environ["MLHAD_NATIVE_KNN"] = "1" if native_kernel else "0"
    knn.reset()
    try:
        yield knn.kernel_status()
    finally:
        if before is None:
            os.environ.pop("MLHAD_NATIVE_KNN")
        else:
            os.environ["MLHAD_NATIVE_KNN"] = before
        knn.reset()


def main() -> None:
    parser = argparse.ArgumentParser(description="encoder throughput benchmark")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="threads of the parallel figures (default: the CPU count)")
    parser.add_argument("--sample", default=None,
                        help="reuse this LEP1 sample (its first --events events) instead of generating one")
    args = parser.parse_args()
    os.environ.setdefault("MLHAD_NO_PROGRESS", "1")
    load_start = os.getloadavg()

    from mlhad.config import GeneratorConfig
    from mlhad.encoder import embed, embed_features, load
    from mlhad.encoder.batching import iter_batches
    from mlhad.encoder.features import flat_features
    from mlhad.encoder.inputs import COLUMNS, thrust_axes_of
    from mlhad.encoder.probe import baseline_observables
    from mlhad.generators import generate
    from mlhad.io import open_sample

    columns = [*COLUMNS, "particles.m", "particles.parent"]
    if args.sample is not None:
        events = open_sample(args.sample).read(columns)[: args.events]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            config = GeneratorConfig(preset="lep1", n_events=args.events, seed=4242, history=False)
            events = generate(config, os.path.join(tmp, "bench"), progress=False).read(columns)
    n = len(events)
    model = load()
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    workers = args.workers
    bs = args.batch_size

    axes = thrust_axes_of(events.particles)
    flat = flat_features(events.particles, axes, model.config.class_scheme)
    padded = list(iter_batches(flat, bs))
    deepsets = DeepSets(model.n_features, model.n_globals, model.config.d_model, model.config.d_event).eval()

    def forward(net, batches) -> None:
        with torch.inference_mode():
            for b in batches:
                net(b.features, b.mask, b.globals)

    def timed(native_kernel: bool, n_workers: int, intra_threads: int = 1):
        def run() -> np.ndarray:
            with knn_path(native_kernel), torch_threads(intra_threads):
                return embed_features(flat, model=model, batch_size=bs, workers=n_workers)
        return run

    fwd = {
        "encoder forward, torch kNN, 1 thread (before)": timed(False, 1),
        "encoder forward, kNN kernel, 1 thread": timed(True, 1),
        f"encoder forward, kNN kernel, {workers} workers x 1 thread": timed(True, workers),
        f"encoder forward, kNN kernel, 1 worker x {workers} torch threads": timed(True, 1, workers),
    }
    with knn_path(True) as status:
        print(f"kNN kernel: {status}")
    outputs = {name: fn() for name, fn in fwd.items()}  # warm-up, and the outputs to compare
    reference = outputs["encoder forward, torch kNN, 1 thread (before)"]
    diff = np.max([np.abs(out - reference).max(1) for out in outputs.values()], axis=0)
    differing = np.flatnonzero(diff > 1e-5)
    tied = [int(e) for e in differing if kth_distance_tie(flat, int(e), model.config.k_neighbours)]
    rates = interleaved(fwd, n, args.repeat)

    with torch_threads(1):
        rates["encoder forward, padded batches, 1 thread"] = best_rate(lambda: forward(model, padded), n, args.repeat)
        rates["baseline DeepSets MLP forward, 1 thread"] = best_rate(lambda: forward(deepsets, padded), n, args.repeat)
        rates["input features (given axes)"] = best_rate(
            lambda: flat_features(events.particles, axes, model.config.class_scheme), n, args.repeat)
    rates["thrust axes (mlhad.observables)"] = best_rate(lambda: thrust_axes_of(events.particles), n, args.repeat)
    def embed_with(w: int):
        def run() -> None:
            with torch_threads(1):
                embed(events, model=model, progress=False, workers=w)
        return run

    rates.update(interleaved({f"embed() end to end, {w} worker(s)": embed_with(w) for w in sorted({1, workers})},
                             n, args.repeat))
    rates["baseline high-level observables"] = best_rate(lambda: baseline_observables(events), n, args.repeat)

    print(f"encoder {model.config.to_dict()}")
    print(f"model size: {model.n_parameters():,} parameters, {len(buffer.getvalue()) / 1e6:.2f} MB state dict")
    print(f"events: {n} Pythia LEP1 (mean {flat.counts.mean():.1f} visible particles), batch {bs}, "
          f"best of {args.repeat}; {os.cpu_count()} CPUs; load average {load_start[0]:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    for name, rate in rates.items():
        print(f"  {name:<58} {rate:10.0f} events/s")
    print(f"event embeddings, all forward set-ups against the first: largest difference "
          f"{diff[np.setdiff1d(np.arange(n), differing)].max():.1e} on {n - differing.size} events; "
          f"{differing.size} event(s) differ by more than 1e-5, of which {len(tied)} have two particles "
          f"exactly tied at the k-th neighbour distance (either choice is the kNN graph)")
    before = rates["encoder forward, torch kNN, 1 thread (before)"]
    one = rates["encoder forward, kNN kernel, 1 thread"]
    par = rates[f"encoder forward, kNN kernel, {workers} workers x 1 thread"]
    intra = rates[f"encoder forward, kNN kernel, 1 worker x {workers} torch threads"]
    base = rates["baseline high-level observables"]
    print(f"ratio kNN kernel / torch kNN (1 thread): {one / before:.2f}")
    print(f"ratio {workers} workers / 1 thread (kNN kernel): {par / one:.2f}; "
          f"{workers} workers / {workers} torch threads: {par / intra:.2f}")
    print(f"ratio encoder forward ({workers} workers) / before (1 thread, torch kNN): {par / before:.2f}")
    print(f"ratio encoder forward / high-level observables: {one / base:.2f} (1 thread), {par / base:.2f} "
          f"({workers} workers)")
    print(f"ratio embed() end to end / high-level observables: "
          f"{rates[f'embed() end to end, {workers} worker(s)'] / base:.2f}")
    print(f"ratio equal-multiplicity / padded batches (1 thread): "
          f"{one / rates['encoder forward, padded batches, 1 thread']:.2f}")
    print(f"ratio encoder / DeepSets MLP (1 thread): {one / rates['baseline DeepSets MLP forward, 1 thread']:.2f}")
    for label, rate in ((f"{workers} workers", par), ("1 thread", one)):
        print(f"goal >= {GOAL} events/s for the forward pass, {label}: "
              f"{'met' if rate >= GOAL else 'NOT met'} ({rate:.0f})")


if __name__ == "__main__":
    main()
