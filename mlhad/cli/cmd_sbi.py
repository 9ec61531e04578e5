"""``mlhad sbi``: posterior of fragmentation parameters given reference data (simulation-based inference)."""

from __future__ import annotations

import argparse

NAME = "sbi"
HELP = ("posterior over generator parameters from reference data (NPE/NLE/NRE with sbi): samples, MAP, "
        "corner plots, posterior predictive check, SBC and coverage")


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", action="append", required=True, metavar="FILE.yoda",
                        help="reference YODA file (repeat for several)")
    parser.add_argument("--params", metavar="NAME=LOW:HIGH,...",
                        help="parameters and prior limits, e.g. aLund=0.55:0.8,bLund=0.85:1.15,sigma=0.31:0.36")
    parser.add_argument("--limits", metavar="FILE", help="Professor-style limits file ('NAME LOW HIGH' per line)")
    parser.add_argument("--base", metavar="SAMPLE", help="base sample to reweight (e.g. runs/monash)")
    parser.add_argument("--simulator", choices=("reweight", "pythia"), default="reweight",
                        help="reweight the base sample (default) or run Pythia for every simulation")
    parser.add_argument("--simulations", type=int, default=2000, help="training simulations (default 2000)")
    parser.add_argument("--estimator", choices=("npe", "nle", "nre"), default="npe", help="default npe")
    parser.add_argument("--model", default=None,
                        help="flow (maf, nsf, mdn) or classifier (resnet, mlp); default for NPE: nsf on the probit of the prior box (mdn on its logit for one parameter); maf for NLE; resnet for NRE")
    parser.add_argument("--ensemble", type=int, default=1,
                        help="NPE: mix K independently trained estimators (default 1)")
    parser.add_argument("--summary", choices=("score", "bins"), default="score",
                        help="score: one compressed number per parameter (default); bins: every point")
    parser.add_argument("--embedding-dim", type=int, default=0, help="learned embedding of x (NPE/NRE, bins summary)")
    parser.add_argument("--weights", metavar="FILE", help="Professor-style weight file selecting histograms/points")
    parser.add_argument("--sbc", type=int, default=200, help="SBC pseudo-experiments (0 to skip; default 200)")
    parser.add_argument("--sbc-samples", type=int, default=500, help="posterior samples per SBC experiment")
    parser.add_argument("--samples", type=int, default=5000, help="posterior samples of the data")
    parser.add_argument("--pythia-events", type=int, default=20_000, help="events per fresh Pythia run")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="fixed Pythia setting for fresh runs (repeatable)")
    parser.add_argument("--on-uncovered", choices=("raise", "flag"), default="raise",
                        help="prior corners outside the base sample's coverage: refuse (default) or flag")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory")
    parser.add_argument("--overwrite", action="store_true", help="allow a non-empty output directory")
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="processes for the observable pass / Pythia")
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address for Pythia runs")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlhad.config import parse_setting
    from mlhad.exceptions import InferenceError
    from mlhad.inference.sbi import EstimatorSettings, SBIConfig, parse_limits, read_limits, run_sbi

    if (args.params is None) == (args.limits is None):
        raise InferenceError("give the parameters either with --params NAME=LOW:HIGH,... or with --limits FILE")
    limits = parse_limits(args.params) if args.params else read_limits(args.limits)
    settings = tuple("{} = {}".format(*parse_setting(s)) for s in args.set)
    config = SBIConfig(limits=limits, n_simulations=args.simulations, simulator=args.simulator, summary=args.summary,
                       estimator=EstimatorSettings(method=args.estimator, model=args.model,
                                                   embedding_dim=args.embedding_dim, ensemble=args.ensemble),
                       n_posterior_samples=args.samples, n_sbc=args.sbc, n_sbc_samples=args.sbc_samples,
                       on_uncovered=args.on_uncovered, pythia_events=args.pythia_events, seed=args.seed)
    result, obs, index = run_sbi(args.data, config, base=args.base, weight_file=args.weights, out=args.out,
                                 overwrite=args.overwrite, plots=not args.no_plots, progress=not args.no_progress,
                                 workers=args.workers, scheduler=args.scheduler, pythia_settings=settings)
    print(f"{'parameter':18s} {'mean':>10s} {'std':>9s} {'68% interval':>23s} {'MAP':>10s} {'chi2 fit':>20s}")
    for row in result.posterior_table():
        print(f"{row['parameter']:18s} {row['mean']:10.4f} {row['std']:9.4f} [{row['q16']:9.4f}, {row['q84']:9.4f}] "
              f"{row['map']:10.4f} {row['fit']:10.4f} +- {row['fit_error']:.4f}")
    print(f"posterior predictive p-value {result.ppc.p_value:.3f}; chi2 at the fit {result.fit.chi2:.1f} / "
          f"{result.fit.ndf} ndf")
    if result.sbc is not None:
        s = result.sbc.summary()
        print(f"SBC ({s['n']} experiments): KS p-values {[round(p, 3) for p in s['rank_uniformity']['ks_pvalue']]}, "
              f"largest coverage deviation {s['hpd_coverage_max_deviation_sigma']:.1f} sigma (HPD)")
    print(f"{len(obs.skipped)} reference objects skipped (see {index.parent / 'summary.json' if index else 'summary'}):")
    for path, why in list(obs.skipped.items())[:10]:
        print(f"  {path}: {why}")
    if len(obs.skipped) > 10:
        print(f"  ... and {len(obs.skipped) - 10} more")
    if index is not None:
        print(f"report: {index}")
    return 0
