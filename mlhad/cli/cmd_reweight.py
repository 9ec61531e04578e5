"""``mlhad reweight``: exact weights for new Lund/pT parameters, stored beside the sample."""

from __future__ import annotations

import argparse

NAME = "reweight"
HELP = "reweight a sample to new fragmentation parameters (exact, from its histories)"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sample", help="sample directory (generated with histories)")
    parser.add_argument("--to", action="append", required=True, metavar="POINT",
                        help="target, e.g. StringZ:aLund=0.6,StringZ:bLund=1.1 (repeatable)")
    parser.add_argument("--name", action="append", default=None, help="weight-set name per --to (default: from the point)")
    parser.add_argument("--out", default=None, help="directory for MC YODA histograms per target (optional)")
    parser.add_argument("--analysis", action="append", default=None,
                        help="Rivet analysis for the YODA output (default ALEPH_1996_S3486095)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing weight sets / YODA files")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlhad.io import open_sample
    from mlhad.reweight.apply import reweight_sample
    from mlhad.reweight.parameters import parse_point

    sample = open_sample(args.sample)
    results = reweight_sample(sample, [parse_point(t) for t in args.to], names=args.name, overwrite=args.overwrite)
    print(f"{'weights':32s} {'n_eff/N':>8s} {'1 - mu':>18s} {'max share':>10s}  target")
    for r in results:
        d = r.diagnostics
        point = ", ".join(f"{k}={v:g}" for k, v in r.point.items())
        flag = "" if r.covered else "   <- outside coverage"
        print(f"{r.name:32s} {d.n_eff_fraction:8.3f} {d.one_minus_mu:+9.4f} +- {d.one_minus_mu_error:.4f} "
              f"{d.max_share:10.1e}  {point}{flag}")
    print(f"weights stored in {sample.path}/columns/<name>/ (read with sample.read_column_set(name))")
    if args.out:
        from mlhad.reweight.histograms_out import write_reweighted_yoda

        for path in write_reweighted_yoda(sample, results, args.out, analyses=args.analysis or ["ALEPH_1996_S3486095"],
                                          overwrite=args.overwrite):
            print(f"wrote {path}")
    return 0
