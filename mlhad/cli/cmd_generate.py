"""``mlhad generate``: Pythia 8 samples with fragmentation histories."""

from __future__ import annotations

import argparse
import time

NAME = "generate"
HELP = "generate a Pythia 8 sample (with fragmentation histories) in chunks, in parallel"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="lep1", help="lep1 (default) or string")
    parser.add_argument("--events", type=int, default=10_000, help="number of events (default 10000)")
    parser.add_argument("--out", required=True, help="output sample directory")
    parser.add_argument("--seed", type=int, default=1, help="master seed (default 1)")
    parser.add_argument("--energy", type=float, default=None, help="sqrt(s) or string energy in GeV")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="Pythia setting, e.g. --set StringZ:aLund=0.6 (repeatable)")
    parser.add_argument("--cmnd", action="append", default=[], metavar="FILE",
                        help="Pythia .cmnd file with settings (applied before --set)")
    parser.add_argument("--variation", dest="variations", action="append", default=[], metavar="GROUP",
                        help="in-situ VariationFrag group, e.g. 'a06 frag:aLund=0.6' (repeatable)")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    parser.add_argument("--scheduler", default=None, help="dask.distributed scheduler address (instead of local workers)")
    parser.add_argument("--chunk-size", type=int, default=5000, help="events per chunk file (default 5000)")
    parser.add_argument("--no-history", action="store_true", help="do not record fragmentation histories")
    parser.add_argument("--history-detail", choices=("lean", "full"), default="lean",
                        help="full also records Pythia's own flavours and string-end state (slower)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true", help="finish an interrupted run")
    group.add_argument("--overwrite", action="store_true", help="replace an existing sample")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlhad.config import GeneratorConfig
    from mlhad.generators import generate
    from mlhad.generators.settings_files import collect_settings
    from mlhad.generators.summary import format_summary, sample_summary

    config = GeneratorConfig(
        preset=args.preset,
        n_events=args.events,
        seed=args.seed,
        energy=args.energy,
        settings=collect_settings(args.cmnd, args.settings),
        variations=tuple(args.variations),
        chunk_size=args.chunk_size,
        history=not args.no_history,
        history_detail=args.history_detail,
    )
    t0 = time.perf_counter()
    sample = generate(config, args.out, resume=args.resume, overwrite=args.overwrite, workers=args.workers,
                      scheduler=args.scheduler, progress=not args.no_progress)
    print(format_summary(sample_summary(sample, seconds=time.perf_counter() - t0)))
    return 0
