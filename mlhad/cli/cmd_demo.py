"""``mlhad demo``: the README's main demonstration, a fast ALEPH tune on built-in defaults.

Generates a small Monash LEP1 base sample with string histories, fits StringZ:aLund,
StringZ:bLund and StringPT:sigma to the shipped ALEPH_1996_S3486095 data by exact
reweighting (regenerating the base when the fit walks out of its reach), checks the tune
on the shipped DELPHI_1996_S3430090 data, and prints where everything was written. The
full-size tune of the default (global) selection is in docs/aleph_tune/global, that of
``--selection soft-pt`` in docs/aleph_tune (see docs/tune.md).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

NAME = "demo"
HELP = "fast ALEPH tune of aLund, bLund, sigma on built-in defaults (the README's main demonstration)"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/demo-tune", help="output directory (default runs/demo-tune); a rerun reuses the runs generated there "
                             "and replaces the earlier demo results")
    parser.add_argument("--events", type=int, default=20_000,
                        help="events per generated base run (default 20000; errors shrink as 1/sqrt(events))")
    parser.add_argument("--selection", choices=("global", "soft-pt"), default="global",
                        help="ALEPH points fitted: global (all charged-particle spectra and event shapes, default) "
                             "or soft-pt (pT below 1 GeV, no event shapes: the selection of docs/aleph_tune); see "
                             "docs/tune.md")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="processes for generation and analysis")
    parser.add_argument("--no-plots", action="store_true", help="skip the data/start/tune plots and chi2 scans")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from mlhad.inference.tune import demo_tune
    from mlhad.inference.tune.space import MONASH

    t0 = time.perf_counter()
    out = Path(args.out)
    print(f"mlhad demo: tuning aLund, bLund, sigma to ALEPH_1996_S3486095 ({args.selection} selection) from Monash "
          f"({args.events} events per run) into {out}/")
    result = demo_tune(out, n_events=args.events, selection=args.selection, seed=args.seed, workers=args.workers,
                       plots=not args.no_plots, progress=not args.no_progress, log=print)
    print()
    print("=" * 72)
    print(f"Fast ALEPH tune finished in {time.perf_counter() - t0:.0f} s")
    width = max(len(n) for n in result.names)
    corrected = result.extra.get("covariance_sandwich_noise_corrected")
    noise_free = np.sqrt(np.diag(np.asarray(corrected))) if corrected is not None else None
    print(f"  errors: {result.error_source}" + ("; in brackets with the MC noise of the reweighted derivatives "
                                                 "removed (nan: not constrained at this MC statistic)"
                                                 if noise_free is not None else ""))
    for i, (name, start, best, err) in enumerate(zip(result.names, result.start, result.best, result.errors)):
        monash = MONASH.get(name)
        ref = f"   (Monash {monash:g})" if monash is not None else ""
        bracket = f" [{noise_free[i]:.3f}]" if noise_free is not None else ""
        print(f"  {name:<{width}}  {best:.3f} +- {err:.3f}{bracket}{ref}   start {start:.3f}")
    ndf = max(result.ndf, 1)
    print(f"  chi2/ndf on the {result.n_points} fitted ALEPH points: {result.chi2_start:.1f}/{ndf} = "
          f"{result.chi2_start / ndf:.2f} (Monash) -> {result.chi2:.1f}/{ndf} = {result.chi2 / ndf:.2f} (tune)"
          f"{'' if result.converged else '   [NOT CONVERGED]'}")
    print(f"  {result.n_events} events generated in {result.n_runs} run(s); "
          f"{result.extra.get('regenerations', 0)} regeneration(s) of the base")
    for warning in result.warnings:
        print(f"  warning: {warning}")
    print(f"  summary (all ALEPH and DELPHI histograms, before/after): {out / 'summary.md'}")
    print(f"  Pythia settings of the tune:                           {out / 'tune.cmnd'}")
    print(f"  values, covariance, chi2 per histogram:                {out / 'tune.json'}")
    if not args.no_plots:
        print(f"  plots (data vs start vs tune, chi2 scans):             {out / 'plots'}/")
    full = "docs/aleph_tune/global/" if args.selection == "global" else "docs/aleph_tune/"
    print(f"  the full-size tune (200k events per run) is in {full} (see docs/tune.md)")
    return 0
