"""``mlhad tune``: fit generator parameters to Rivet reference data (gradient, optuna or surrogate)."""

from __future__ import annotations

import argparse

NAME = "tune"
HELP = "fit hadronization parameters to reference data (Professor chi2; gradient / optuna / surrogate)"


def _start(text: str) -> dict[str, float]:
    from mlhad.exceptions import TuneError

    out: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise TuneError(f"cannot read --start {text!r}: expected Name=value[,Name=value], e.g. aLund=0.6")
    return out


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", action="append", required=True, metavar="FILE.yoda",
                        help="reference data to fit (repeat for several files)")
    parser.add_argument("--params", required=True, metavar="P1,P2,...",
                        help="parameters to tune, e.g. StringZ:aLund,StringZ:bLund,StringPT:sigma")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory (runs under DIR/runs)")
    parser.add_argument("--method", choices=("gradient", "optuna", "surrogate"), default="gradient",
                        help="gradient: reweighting + quasi-Newton (default); optuna: black box; "
                             "surrogate: Professor-style polynomials")
    parser.add_argument("--limits", metavar="FILE", help="Professor limits file: 'NAME LOW HIGH' or 'NAME VALUE'")
    parser.add_argument("--weights", metavar="FILE", help="Professor weight file: 'PATH[#i:j|@x1:x2] WEIGHT'")
    parser.add_argument("--check", action="append", default=[], metavar="FILE.yoda",
                        help="reference data compared at start and tune but not fitted (e.g. DELPHI)")
    parser.add_argument("--base", metavar="SAMPLE", help="existing base sample (gradient method; default: generate)")
    parser.add_argument("--start", default="", metavar="NAME=V,...", help="start values (default: the base's, or Monash)")
    parser.add_argument("--events", type=int, default=None, help="events per generator run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-neff", type=float, default=0.5,
                        help="gradient: regenerate when n_eff/N of the base falls to this (default 0.5)")
    parser.add_argument("--max-regenerations", type=int, default=6)
    parser.add_argument("--walk-events", type=int, default=None, metavar="N",
                        help="gradient: events of the bases generated while the fit walks to the minimum (default: "
                             "--events); smaller walk bases save events, the result comes from --events bases")
    parser.add_argument("--ratio-test", choices=("direct", "paired"), default=None,
                        help="gradient: test a new base against the one that proposed it by the two runs' direct chi2 "
                             "(direct, the default) or on the new base's own events at both points (paired); "
                             "see docs/tune.md")
    parser.add_argument("--gain-noise-sigma", type=float, default=0.0, metavar="Z",
                        help="gradient: also stop when a base's gain is within Z standard deviations of its own MC "
                             "noise, moving the estimate only along directions the base resolves (default 0: off)")
    parser.add_argument("--grow-events", type=int, default=None, metavar="M",
                        help="gradient, with --gain-noise-sigma: double the bases, up to M events, while a base cannot "
                             "resolve its minimum along some direction (the aLund-bLund valley); in the closures of "
                             "docs/tune.md this closes at the far point at about 3x the default's events, not along "
                             "the valley")
    parser.add_argument("--refine-bases", type=int, default=None, metavar="K",
                        help="gradient: after the walk, move the best fit to the mean of K independent bases' minima "
                             "and add their scatter / sqrt(K) to the error (e.g. 8; default off; docs/tune.md)")
    parser.add_argument("--refine-events", type=int, default=None, metavar="N",
                        help="gradient, with --refine-bases: events per refinement base (default --events)")
    parser.add_argument("--refine-rounds", type=int, default=2, metavar="R",
                        help="gradient, with --refine-bases: rounds of K bases, each at the last mean (default 2)")
    parser.add_argument("--order", type=int, default=3, help="surrogate: polynomial order (default 3)")
    parser.add_argument("--runs", type=int, default=None, help="surrogate: anchor runs (default 2x coefficients)")
    parser.add_argument("--trials", type=int, default=60, help="optuna: trials (default 60)")
    parser.add_argument("--no-filter", action="store_true",
                        help="fail on data points with zero error instead of dropping them (Professor --filter)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="extra Pythia setting for every run")
    parser.add_argument("--validate", action="store_true",
                        help="gradient: one more Pythia run directly at the best fit, its chi2 next to the reweighted one")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--overwrite", action="store_true", help="replace the results of an earlier tune in --out")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlhad.config import parse_setting
    from mlhad.inference.tune import TuneConfig, tune

    settings = []
    for text in args.set:
        key, value = parse_setting(text)
        settings.append(f"{key} = {value}")
    config = TuneConfig(
        data=tuple(args.data), params=tuple(p for p in args.params.split(",") if p.strip()), out=args.out,
        method=args.method, limits=args.limits, weights=args.weights, check=tuple(args.check), base=args.base,
        start=_start(args.start), n_events=args.events, seed=args.seed, min_n_eff=args.min_neff,
        max_regenerations=args.max_regenerations, walk_events=args.walk_events,
        ratio_test=args.ratio_test, gain_noise_sigma=args.gain_noise_sigma, grow_events=args.grow_events,
        refine_bases=args.refine_bases, refine_events=args.refine_events, refine_rounds=args.refine_rounds,
        order=args.order, n_runs=args.runs, n_trials=args.trials,
        filter_zero_errors=not args.no_filter, settings=tuple(settings), workers=args.workers, validate=args.validate,
        plots=not args.no_plots, overwrite=args.overwrite, progress=not args.no_progress,
    )
    tune(config)
    print(f"results: {args.out}/summary.md, {args.out}/tune.json, {args.out}/tune.cmnd")
    return 0
