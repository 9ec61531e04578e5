"""``mlhad diagnose``: rank the observables a generator misses and say whether any parameter could fix them."""

from __future__ import annotations

import argparse

NAME = "diagnose"
HELP = ("mismodelling diagnosis: per-observable chi2 decomposition, what any point inside the limits can reach, "
        "classifier scores, gap regression and candidate explanations, plots")


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", action="append", required=True, metavar="FILE.yoda",
                        help="reference YODA file (repeat for several)")
    parser.add_argument("--base", required=True, metavar="SAMPLE", help="base sample to reweight (e.g. runs/monash)")
    parser.add_argument("--params", metavar="NAME=LOW:HIGH,... | NAME,...",
                        help="parameters with limits (aLund=0.6:0.8,...) or names only (limits: the largest box the "
                             "base covers); default: every reweightable parameter")
    parser.add_argument("--limits", metavar="FILE", help="Professor-style limits file instead of --params")
    parser.add_argument("--weights", metavar="FILE", help="Professor-style weight file selecting histograms/points")
    parser.add_argument("--posterior", metavar="DIR|NPZ", help="mlhad sbi output: posterior samples for correlations")
    parser.add_argument("--design", type=int, default=256, help="Sobol points of the box (plus its corners)")
    parser.add_argument("--loss", choices=("soft_l1", "linear", "huber", "cauchy"), default="soft_l1",
                        help="best-fit loss (default soft_l1: robust to bins nothing describes; linear = chi2)")
    parser.add_argument("--alpha", type=float, default=0.05, help="family-wise false-flag rate (default 0.05)")
    parser.add_argument("--no-classifier", action="store_true", help="skip the data-vs-MC classifier")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, metavar="DIR", help="report directory")
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="processes for the observable pass")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlhad.exceptions import InferenceError
    from mlhad.inference.diagnose import DiagnoseConfig, run_diagnose
    from mlhad.inference.sbi import parse_limits, read_limits

    if args.params and args.limits:
        raise InferenceError("give the parameters either with --params or with --limits, not both")
    limits = params = None
    if args.limits:
        limits = read_limits(args.limits)
    elif args.params and "=" in args.params:
        limits = parse_limits(args.params)
    elif args.params:
        params = [p.strip() for p in args.params.split(",") if p.strip()]
    config = DiagnoseConfig(n_design=args.design, loss=args.loss, alpha=args.alpha, classifier=not args.no_classifier,
                            seed=args.seed)
    result, index = run_diagnose(args.data, args.base, limits=limits, params=params, weight_file=args.weights,
                                 posterior=args.posterior, config=config, out=args.out, overwrite=args.overwrite,
                                 plots=not args.no_plots, progress=not args.no_progress, workers=args.workers)
    print(f"limits: {result.limits.as_text()}")
    print(f"robust fit: " + ", ".join(f"{n.split(':')[-1]}={v:.4g}" for n, v in zip(result.limits.names,
                                                                                   result.fit.theta)))
    print(f"{'rank':>4s} {'status':8s} {'chi2/n fit':>12s} {'chi2/n alone':>13s}  histogram")
    for r, s in enumerate(result.ranking, start=1):
        if s.status == "ok" and r > 10:
            continue
        print(f"{r:4d} {s.status:8s} {s.chi2_fit:7.1f}/{s.n_points:<4d} {s.chi2_alone:8.1f}/{s.n_points:<4d}  {s.path}")
    print(f"{len(result.flagged)} flagged ({len(result.gaps)} gaps no parameter inside the limits closes) of "
          f"{len(result.ranking)} observables; {len(result.observation.skipped)} reference objects skipped")
    if index is not None:
        print(f"report: {index}")
    return 0
