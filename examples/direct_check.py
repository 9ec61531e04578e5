"""chi2 of a directly generated sample against reference data, and its MC noise.

The chi2 of a check (e.g. the ALEPH tune on DELPHI, docs/tune.md) is made with a finite MC
sample: its MC errors enter the denominator (so chi2/n grows with the sample), and its
fluctuations move the total, with bin-to-bin correlations that a per-bin error estimate
misses. This script gives both: the chi2 of the whole sample, and the chi2 of K equal,
independent parts of it (their spread is the MC noise of a check made with N/K events).

    mlhad generate --cmnd docs/aleph_tune/tune.cmnd --events 1000000 --seed 11 --no-history \
                   --chunk-size 20000 --out runs/direct-tune
    python examples/direct_check.py runs/direct-tune \
        --check "DELPHI all=rivet_data/DELPHI_1996_S3430090.yoda" \
        --check "DELPHI counterparts=rivet_data/DELPHI_1996_S3430090.yoda:docs/aleph_tune/delphi-counterparts.txt"
"""

from __future__ import annotations

import argparse

import numpy as np

from mlhad.analysis import analysis_contributions, predict
from mlhad.compare import compare_predictions, read_data, read_weights
from mlhad.io import open_sample


def parse_check(text: str) -> tuple[str, str, str | None]:
    """``LABEL=DATA.yoda[:WEIGHTS]`` -> (label, data file, weight file or None)."""
    label, sep, rest = text.partition("=")
    if not sep or not rest:
        raise argparse.ArgumentTypeError(f"--check {text!r}: expected LABEL=DATA.yoda[:WEIGHTS.txt]")
    data, _, weights = rest.partition(":")
    return label, data, weights or None


def main(argv: list[str] | None = None) -> dict[str, tuple[float, int, np.ndarray]]:
    """Print and return ``{label: (chi2 of the whole sample, points, chi2 of each part)}``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sample", help="a directly generated sample (mlhad generate)")
    parser.add_argument("--check", type=parse_check, action="append", required=True,
                        metavar="LABEL=DATA.yoda[:WEIGHTS]", help="a data file, optionally with a Professor weight file")
    parser.add_argument("--parts", type=int, default=5, help="independent equal parts for the noise (default 5)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.parts < 2:
        parser.error("--parts must be at least 2 (the spread needs two parts)")
    sample = open_sample(args.sample)
    n = sample.n_events
    passes = {}  # data file -> (reference, contributions): one read and one observable pass per file
    results = {}
    for label, data, weight_file in args.check:
        if data not in passes:
            ((analysis, reference),) = read_data([data]).items()
            passes[data] = reference, analysis_contributions(sample, analysis, reference=reference, progress=False,
                                                             workers=args.workers)
        reference, c = passes[data]
        rules = read_weights(weight_file) if weight_file else None
        whole = compare_predictions(reference, predict(c, None), weights=rules)
        parts = []
        for k in range(args.parts):
            mask = np.zeros(n)
            mask[k * n // args.parts:(k + 1) * n // args.parts] = 1.0
            parts.append(compare_predictions(reference, predict(c, mask), weights=rules).chi2)
        parts = np.array(parts)
        print(f"{label}: {whole.ndf} points, chi2 {whole.chi2:.1f} ({whole.chi2 / whole.ndf:.2f} per point) with "
              f"{n} events; {args.parts} parts of {n // args.parts}: chi2 {parts.mean():.1f} +- {parts.std(ddof=1):.1f} "
              f"(sd) [{', '.join(f'{p:.0f}' for p in parts)}]")
        results[label] = (whole.chi2, whole.ndf, parts)
    return results


if __name__ == "__main__":
    main()
