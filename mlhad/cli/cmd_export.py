"""``mlhad export``: write a sample as HepMC3 for real Rivet."""

from __future__ import annotations

import argparse

NAME = "export"
HELP = "export a sample's events to HepMC3 (run real Rivet on the same events)"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sample", help="sample directory")
    parser.add_argument("--out", required=True, help="output .hepmc file")
    parser.add_argument("--max-events", type=int, default=None, help="write at most this many events")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlhad.generators.hepmc import export_hepmc
    from mlhad.io import open_sample

    n = export_hepmc(open_sample(args.sample), args.out, max_events=args.max_events,
                     overwrite=args.overwrite, progress=not args.no_progress)
    print(f"wrote {n} events to {args.out}")
    return 0
