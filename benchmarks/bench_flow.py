"""Strings/s and z draws/s of the torch chain sampler (flow vs Lund) and Pythia, one run.

Three arms fragment the same number of 50 GeV u ubar strings of the ``string`` preset:

- "lund": the torch sampler with the exact Lund function (accept-reject) and Gaussian pT;
- "flow": the torch sampler with a BreakFlow for z and pT (``--flow DIR``, else the
  architecture of examples/flow_magic.py trained for a few epochs on Lund chains: the
  speed depends on the architecture, the chain length on the training);
- "pythia": Pythia's own ``string`` preset, one chunk of ``mlhad generate`` in this
  process (init excluded: ``stats["seconds"]`` is the event loop), histories recorded.

Arms are interleaved over ``--repeats`` and the best time of each is kept, which
suppresses noise from other load on the machine. torch uses ``--threads`` threads.

    python benchmarks/bench_flow.py [--strings 20000] [--repeats 2] [--flow runs/flow_magic/flow]
"""

from __future__ import annotations

import argparse
import time

import awkward as ak
import torch

from mlhad.config import GeneratorConfig
from mlhad.generators.chunk_worker import chunk_tasks, run_chunk
from mlhad.generators.string_sampler import StringParams, fragment
from mlhad.reweight.flows import BreakFlow, FlowConfig, TrainConfig, break_table, fragment_with_flow, load_flow, train_flow

FLOW = FlowConfig(n_layers=2, hidden=32, n_blocks=1, n_bins=12, pt_layers=2)  # as examples/flow_magic.py


def quick_flow() -> BreakFlow:
    table = break_table(fragment(5000, StringParams(), seed=1, progress=False))
    flow, _ = train_flow(BreakFlow(FLOW, seed=1), table, TrainConfig(epochs=3, batch_size=4096, lr=3e-3),
                         progress=False)
    return flow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strings", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--flow", help="saved flow directory (default: a quickly trained one)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    n = args.strings
    flow = load_flow(args.flow) if args.flow else quick_flow()
    pythia = chunk_tasks(GeneratorConfig(preset="string", n_events=n, chunk_size=n, energy=50.0, seed=4242))[0]

    def run_lund() -> tuple[float, int]:
        t0 = time.perf_counter()
        events = fragment(n, StringParams(), seed=3, progress=False)
        return time.perf_counter() - t0, int(ak.sum(ak.num(events.breaks)))

    def run_flow() -> tuple[float, int]:
        t0 = time.perf_counter()
        events, _ = fragment_with_flow(flow, n, StringParams(), seed=3, progress=False, outside_tolerance=1.0)
        return time.perf_counter() - t0, int(ak.sum(ak.num(events.breaks)))

    def run_pythia() -> tuple[float, int]:
        _, stats = run_chunk(pythia)
        return stats["seconds"], -1

    arms = {"lund": run_lund, "flow": run_flow, "pythia": run_pythia}
    best = {k: (float("inf"), 0) for k in arms}
    for _ in range(args.repeats):
        for name, fn in arms.items():
            seconds, draws = fn()
            if seconds < best[name][0]:
                best[name] = (seconds, draws)
    rate = {k: n / v[0] for k, v in best.items()}
    print(f"{n} strings (50 GeV, string preset) per arm, best of {args.repeats}, torch threads {args.threads}")
    for name, label in (("lund", "torch sampler, Lund z     "), ("flow", "torch sampler, flow z + pT"),
                        ("pythia", "Pythia 8 string preset    ")):
        seconds, draws = best[name]
        extra = f", {draws / seconds:9.0f} z draws/s" if draws > 0 else " (event loop, histories on)"
        print(f"  {label}: {rate[name]:9.0f} strings/s{extra}")
    print(f"  ratio flow / lund   : {rate['flow'] / rate['lund']:.3f}")
    print(f"  ratio flow / pythia : {rate['flow'] / rate['pythia']:.3f}")
    print(f"  ratio lund / pythia : {rate['lund'] / rate['pythia']:.3f}")


if __name__ == "__main__":
    main()
