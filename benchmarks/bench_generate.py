"""Events/s of generation with and without fragmentation histories, in one run.

Both arms run the full chunk pipeline of ``mlhad generate`` in this process (Pythia
init, ``nextBatch``, conversion to the sample format, Parquet serialisation): "bare" has
``history=False``, "histories" records every string break (lean mode). The arms are
interleaved over several repetitions with the same seeds and the best time of each is
kept, which suppresses noise from other load on the machine.

    python benchmarks/bench_generate.py [--events 5000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

from mlhad.config import GeneratorConfig
from mlhad.generators.chunk_worker import chunk_tasks, run_chunk


def timed(config: GeneratorConfig) -> tuple[float, dict]:
    task = chunk_tasks(config)[0]
    t0 = time.perf_counter()
    data, stats = run_chunk(task)
    return time.perf_counter() - t0, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--preset", default="lep1")
    args = parser.parse_args()
    base = GeneratorConfig(preset=args.preset, n_events=args.events, chunk_size=args.events, seed=4242)
    arms = {"bare": base.replace(history=False), "histories": base}
    best = {name: float("inf") for name in arms}
    gen_only = {name: float("inf") for name in arms}
    for _ in range(args.repeats):
        for name, config in arms.items():
            seconds, stats = timed(config)
            best[name] = min(best[name], seconds)
            gen_only[name] = min(gen_only[name], stats["seconds"])
    rate = {k: args.events / v for k, v in best.items()}
    rate_gen = {k: args.events / v for k, v in gen_only.items()}
    print(f"preset {args.preset}, {args.events} events per arm, best of {args.repeats} (single process)")
    print(f"  bare Pythia (no histories)   : {rate['bare']:8.0f} events/s  (event loop alone: {rate_gen['bare']:.0f}/s)")
    print(f"  with fragmentation histories : {rate['histories']:8.0f} events/s  (event loop alone: {rate_gen['histories']:.0f}/s)")
    print(f"  ratio histories/bare         : {rate['histories'] / rate['bare']:.3f}   (goal >= 0.8)")
    print(f"  ratio, event loop alone      : {rate_gen['histories'] / rate_gen['bare']:.3f}")


if __name__ == "__main__":
    main()
