"""``mlhad demo``: the README's main demonstration on built-in defaults."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

NAME = "demo"
HELP = "run the main job on built-in defaults (generate Monash LEP1 events with histories, summarise)"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/demo", help="working directory (default runs/demo)")
    parser.add_argument("--events", type=int, default=20_000, help="events to generate (default 20000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlhad.config import GeneratorConfig
    from mlhad.generators import generate
    from mlhad.generators.summary import format_summary, sample_summary

    out = Path(args.out)
    base = out / "monash"
    config = GeneratorConfig(preset="lep1", n_events=args.events, seed=args.seed, chunk_size=5000)
    t0 = time.perf_counter()
    resume = (base / "mlhad-sample.json").exists()
    sample = generate(config, base, resume=resume)
    print(format_summary(sample_summary(sample, seconds=time.perf_counter() - t0)))
    return 0
