"""``mlhad compare``: a sample against reference YODA files -- chi2 table, plots, report."""

from __future__ import annotations

import argparse

__all__ = ["NAME", "HELP", "register", "run"]

NAME = "compare"
HELP = "compare a sample with reference data (Rivet YODA): chi2/ndf per histogram, plots, report"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sample", help="sample directory")
    parser.add_argument("--data", action="append", required=True, metavar="FILE.yoda",
                        help="reference YODA file (repeat for several)")
    parser.add_argument("--weights", metavar="FILE",
                        help="Professor-style weight file: lines 'PATH[#i|#i:j|@x|@x1:x2] WEIGHT'")
    parser.add_argument("--event-weights", metavar="SET[:FIELD,...]",
                        help="event weights from a column set of the sample (default: unit weights)")
    parser.add_argument("--variation", type=int, default=0, help="weight column to compare (default 0)")
    parser.add_argument("--out", metavar="DIR", help="report directory (index.md, index.html, plots/, mc/)")
    parser.add_argument("--overwrite", action="store_true", help="allow a non-empty report directory")
    parser.add_argument("--no-plots", action="store_true", help="skip the plots")
    parser.add_argument("--workers", type=int, default=1, help="processes for the observable pass")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlhad.compare import compare_sample, markdown_table

    result = compare_sample(
        args.sample, args.data, weight_file=args.weights, event_weights=args.event_weights,
        variation=args.variation, out=args.out, overwrite=args.overwrite, plots=not args.no_plots,
        progress=not args.no_progress, workers=args.workers,
    )
    cmp = result.comparison
    print(markdown_table(cmp, links=False))
    print(f"\ntotal chi2/ndf = {cmp.chi2:.1f}/{cmp.ndf} = {cmp.chi2_ndf:.2f} over {len(cmp.included)} histograms; "
          f"{len(cmp.skipped)} reference objects not compared")
    for message in cmp.warnings:
        print(f"warning: {message}")
    if result.report is not None:
        print(f"report: {result.report}")
    return 0
