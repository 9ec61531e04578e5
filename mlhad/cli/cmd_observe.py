"""``mlhad observe``: a sample's Rivet-style MC histograms of an analysis, as a YODA file."""

from __future__ import annotations

import argparse

__all__ = ["NAME", "HELP", "register", "run"]

NAME = "observe"
HELP = "fill and normalise an analysis's histograms (as Rivet would) and write them as an MC YODA file"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sample", help="sample directory")
    parser.add_argument("--analysis", default="ALEPH_1996_S3486095", help="Rivet analysis name (default ALEPH_1996_S3486095)")
    parser.add_argument("--out", required=True, help="output .yoda or .yoda.gz file")
    parser.add_argument("--event-weights", metavar="SET[:FIELD,...]",
                        help="event weights from a column set of the sample (written as [variations])")
    parser.add_argument("--yoda1", action="store_true", help="write YODA1 (Rivet 3) instead of YODA2")
    parser.add_argument("--workers", type=int, default=1, help="processes for the observable pass")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlhad.analysis import analysis_contributions, predict, write_predictions
    from mlhad.compare import load_event_weights
    from mlhad.io import open_sample

    sample = open_sample(args.sample)
    weights, names = (None, None) if args.event_weights is None else load_event_weights(sample, args.event_weights)
    contributions = analysis_contributions(sample, args.analysis, progress=not args.no_progress, workers=args.workers)
    predictions = predict(contributions, weights, variations=names)
    out = write_predictions(args.out, predictions, contributions, weights, version=1 if args.yoda1 else 2,
                            overwrite=args.overwrite)
    print(f"wrote {len(predictions)} histograms of {contributions.analysis} ({contributions.n_events} events) to {out}; "
          f"{len(contributions.skipped)} reference objects have no MC counterpart")
    return 0
