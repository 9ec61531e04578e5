"""``mlhad homer``: learn hadronization weights from data (HOMER, arXiv 2410.06342).

    mlhad homer --sim runs/monash --data runs/target --out homer/run1
    mlhad homer --sim runs/monash --data aleph.yoda --validation-data runs/target --out homer/binned

Writes the models (step1.pt, step2.pt + JSON configs, homer.json), report.md, metrics.json
and plots/ to --out, and the per-event weights beside the simulation (docs/homer.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mlhad.exceptions import OutputExistsError

__all__ = ["NAME", "HELP", "register", "run"]

NAME = "homer"
HELP = "learn single-break fragmentation weights from data (HOMER) and reweight a simulation with them"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sim", required=True, help="simulation sample with fragmentation histories")
    parser.add_argument("--data", required=True, help="data: a sample directory (unbinned) or a YODA file of "
                                                      "measured histograms known to mlhad.registry (binned)")
    parser.add_argument("--out", required=True, help="output directory (models, report, plots)")
    parser.add_argument("--observables", default=None,
                        help="comma-separated step-1 observables, e.g. 'thrust,multiplicity:final' "
                             "(default: the 13 of the HOMER papers)")
    parser.add_argument("--features", choices=("observables", "encoder"), default="observables",
                        help="step-1 inputs: event observables (default) or mlhad.encoder embeddings")
    parser.add_argument("--encoder-checkpoint", default=None, help="encoder checkpoint for --features encoder")
    parser.add_argument("--histograms", action="append", default=[], metavar="REGEX",
                        help="binned data: use only reference paths matching REGEX (repeatable)")
    parser.add_argument("--validation-data", default=None,
                        help="binned data: an unbinned data sample for the report's observable comparisons")
    parser.add_argument("--chains", choices=("accepted", "history"), default="accepted",
                        help="breaks in the event weight: the kept attempt with acceptance correction "
                             "(default) or every recorded break")
    parser.add_argument("--max-events", type=int, default=None, help="use at most this many events per sample")
    parser.add_argument("--epochs1", type=int, default=100, help="step-1 maximum epochs (default 100)")
    parser.add_argument("--epochs2", type=int, default=60, help="step-2 maximum epochs (default 60)")
    parser.add_argument("--iterations", type=int, default=1,
                        help="rounds of steps 1 and 2 (default 1 = arXiv 2410.06342; more: arXiv 2509.03592)")
    parser.add_argument("--seed", type=int, default=1, help="master seed (default 1)")
    parser.add_argument("--threads", type=int, default=None, help="torch/BLAS threads (1 is fastest on a busy machine)")
    parser.add_argument("--on-degenerate", choices=("raise", "warn"), default="raise",
                        help="a classifier with nothing to learn or without overlap: stop (default) or warn")
    parser.add_argument("--weights-name", default="homer",
                        help="column set the weights are stored under beside the simulation (default 'homer')")
    parser.add_argument("--no-write-weights", action="store_true", help="do not store weights beside the simulation")
    parser.add_argument("--no-report", action="store_true", help="skip report.md and the plots")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing run and weight column set")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlhad.reweight.homer import BinnedConfig, BreakWeightConfig, ClassifierConfig, Homer, HomerConfig
    from mlhad.reweight.homer.config import DEFAULT_OBSERVABLES
    from mlhad.reweight.homer.report import write_report

    observables = tuple(o.strip() for o in args.observables.split(",") if o.strip()) if args.observables \
        else DEFAULT_OBSERVABLES
    config = HomerConfig(
        step1=ClassifierConfig(features=args.features, observables=observables,
                               encoder_checkpoint=args.encoder_checkpoint, max_epochs=args.epochs1),
        binned=BinnedConfig(histograms=tuple(args.histograms)),
        step2=BreakWeightConfig(max_epochs=args.epochs2, chains=args.chains),
        seed=args.seed, max_events=args.max_events, on_degenerate=args.on_degenerate, threads=args.threads,
        iterations=args.iterations,
    )
    out = Path(args.out)
    progress = not args.no_progress
    # refuse before training, not after: nothing already produced is overwritten silently
    if (out / "homer.json").exists() and not args.overwrite:
        raise OutputExistsError(f"{out} already holds a HOMER run (homer.json); pass --overwrite or choose another --out")
    if not args.no_write_weights and not args.overwrite:
        from mlhad.io import open_sample

        if args.weights_name in open_sample(args.sim).column_sets():
            raise OutputExistsError(f"{args.sim} already has a column set {args.weights_name!r}; pass --overwrite, "
                                    "--weights-name NAME or --no-write-weights")
    homer = Homer(config, progress=progress).fit(args.sim, args.data)
    homer.save(out, overwrite=args.overwrite)
    print(f"mlhad homer: models saved in {out}")
    step1 = homer.diagnostics["step1"]
    if homer.mode == "unbinned":
        print(f"  step 1: test AUC {step1['auc_test']:.4f}, calibration error "
              f"{step1['reliability_calibrated']['ece']:.4f}")
    else:
        print(f"  step 1: chi2 {step1['chi2_before']:.1f} -> {step1['chi2_after']:.1f} for {step1['n_points']} points")
    test = homer.diagnostics["test"]
    print(f"  step 2: n_eff/N {test['n_eff_homer']:.3f} (step 1: {test['n_eff_class']:.3f}), "
          f"r(log w_HOMER, log w_class) {test['corr_log_homer_vs_class']:.3f}")
    if not args.no_report:
        metrics = write_report(homer, args.sim, args.data, out, validation_data=args.validation_data)
        for label, summary in metrics.get("closure", {}).items():
            parts = [f"{k.replace('_fraction_within', '')} {v:.0%}" for k, v in summary.items()
                     if k.endswith("fraction_within")]
            print(f"  closure {label}: bins within 2 sigma: {', '.join(parts)}")
        print(f"  report: {out / 'report.md'}")
    if not args.no_write_weights:
        where = homer.write_weights(args.sim, args.weights_name, overwrite=args.overwrite)
        print(f"  weights: {where}")
    return 0
