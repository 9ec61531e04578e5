"""Benchmark: events/s embedded by the shipped encoder on CPU, against baselines of the same run.

Measured on the same Pythia LEP1 events (generated here, no histories):

* model size: parameters and bytes of the shipped state dict;
* encoder forward pass on prepared inputs, with one torch thread and with torch's
  default thread count, on batches of equal multiplicity (no padding, what ``embed``
  uses) and on multiplicity-sorted padded batches (what training uses);
* input features (event frame, per-particle features) from particles + thrust axes;
* thrust axes (``mlhad.observables.thrust_axes``), which ``embed`` computes by default;
* ``embed`` end to end (thrust + features + forward);
* baseline 1: the high-level observables of the probe (``mlhad.observables.compute``,
  event shapes + multiplicities), the representation the encoder is compared with;
* baseline 2: a DeepSets MLP (per-particle MLP of the same width, mean pooling) on the
  same padded inputs: the price of the transformer and the kNN graph over the cheapest
  learnt set model.

Each figure is the best of ``--repeat`` timings (the least disturbed by other processes);
the load average is printed because a busy machine slows everything.

    python benchmarks/bench_encoder.py [--events 10000] [--repeat 3] [--sample runs/monash]
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time

import numpy as np
import torch

GOAL = 10_000  # events/s for the encoder forward pass on the 2-core CI/dev machine


def best_rate(fn, n_events: int, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return n_events / best


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


def main() -> None:
    parser = argparse.ArgumentParser(description="encoder throughput benchmark")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--sample", default=None,
                        help="reuse this LEP1 sample (its first --events events) instead of generating one")
    args = parser.parse_args()
    os.environ.setdefault("MLHAD_NO_PROGRESS", "1")

    from mlhad.config import GeneratorConfig
    from mlhad.encoder import embed, load
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
    threads = torch.get_num_threads()

    axes = thrust_axes_of(events.particles)
    flat = flat_features(events.particles, axes, model.config.class_scheme)
    padded = list(iter_batches(flat, args.batch_size))
    exact = list(iter_batches(flat, args.batch_size, exact=True))
    deepsets = DeepSets(model.n_features, model.n_globals, model.config.d_model, model.config.d_event).eval()

    def forward(net, batches) -> None:
        with torch.inference_mode():
            for b in batches:
                net(b.features, b.mask, b.globals)

    rates = {}
    for n_threads in sorted({1, threads}):
        torch.set_num_threads(n_threads)
        rates[f"encoder forward, {n_threads} thread(s)"] = best_rate(lambda: forward(model, exact), n, args.repeat)
        rates[f"encoder forward, padded batches, {n_threads} thread(s)"] = best_rate(
            lambda: forward(model, padded), n, args.repeat)
        rates[f"baseline DeepSets MLP forward, {n_threads} thread(s)"] = best_rate(
            lambda: forward(deepsets, padded), n, args.repeat)
    torch.set_num_threads(threads)
    rates["input features (given axes)"] = best_rate(
        lambda: flat_features(events.particles, axes, model.config.class_scheme), n, args.repeat)
    rates["thrust axes (mlhad.observables)"] = best_rate(lambda: thrust_axes_of(events.particles), n, args.repeat)
    rates["embed() end to end"] = best_rate(lambda: embed(events, model=model, progress=False), n, args.repeat)
    rates["baseline high-level observables"] = best_rate(lambda: baseline_observables(events), n, args.repeat)

    print(f"encoder {model.config.to_dict()}")
    print(f"model size: {model.n_parameters():,} parameters, {len(buffer.getvalue()) / 1e6:.2f} MB state dict")
    print(f"events: {n} Pythia LEP1 (mean {flat.counts.mean():.1f} visible particles), batch {args.batch_size}, "
          f"best of {args.repeat}; torch threads {threads}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for name, rate in rates.items():
        print(f"  {name:<48} {rate:10.0f} events/s")
    base = rates["baseline high-level observables"]
    fwd = max(v for k, v in rates.items() if k.startswith("encoder forward") and "padded" not in k)
    print(f"ratio encoder forward / high-level observables: {fwd / base:.2f}")
    print(f"ratio embed() end to end / high-level observables: {rates['embed() end to end'] / base:.2f}")
    print(f"ratio equal-multiplicity / padded batches (1 thread): "
          f"{rates['encoder forward, 1 thread(s)'] / rates['encoder forward, padded batches, 1 thread(s)']:.2f}")
    print(f"ratio encoder / DeepSets MLP (1 thread): "
          f"{rates['encoder forward, 1 thread(s)'] / rates['baseline DeepSets MLP forward, 1 thread(s)']:.2f}")
    print(f"goal >= {GOAL} events/s for the forward pass: {'met' if fwd >= GOAL else 'NOT met'} ({fwd:.0f})")


if __name__ == "__main__":
    main()
