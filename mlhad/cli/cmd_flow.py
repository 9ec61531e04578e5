"""``mlhad flow``: train a break flow, sample chains with it, MAGIC-tune it.

    mlhad flow train  --sample runs/string --eval-sample runs/string2 --out runs/flow
    mlhad flow sample --flow runs/flow --strings 100000 --out runs/flowchains --reference runs/string2
    mlhad flow magic  --flow runs/flow --target runs/string_a05 --out runs/flow_magic

Each writes report.json and PNG figures beside its output (see docs/flows.md).
"""

from __future__ import annotations

import argparse
import json

from mlhad.exceptions import ConfigError

NAME = "flow"
HELP = "normalizing-flow hadronization: train on string histories, sample chains, MAGIC fine-tuning"

__all__ = ["NAME", "HELP", "register", "run"]


def _window(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an mT2 window LO:HI in GeV^2, e.g. 0.15:0.17; got {text!r}") from None
    return lo, hi


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(title="flow commands", metavar="STEP")

    t = sub.add_parser("train", help="train a BreakFlow on the string breaks of a sample")
    t.add_argument("--sample", required=True, help="training sample (string preset, with histories)")
    t.add_argument("--eval-sample", help="independent sample for the held-out z tests")
    t.add_argument("--out", required=True, help="output directory (flow.json, model.pt, report, plots)")
    t.add_argument("--breaks", choices=("all", "accepted"), default="all",
                   help="train on every z draw (default, unbiased) or the kept attempts only")
    t.add_argument("--holdout", type=_window, nargs="*", metavar="LO:HI",
                   help="mT2 windows left out of training and tested (default: 4 windows)")
    t.add_argument("--transform", choices=("rqs", "maf"), default="rqs")
    t.add_argument("--layers", type=int, default=3)
    t.add_argument("--hidden", type=int, default=32)
    t.add_argument("--bins", type=int, default=10)
    t.add_argument("--context", nargs="+", default=["mT2"], help="conditioning features (mT2 rank from_pos)")
    t.add_argument("--no-pt-flow", action="store_true", help="do not model the pair pT (use Gaussian pT)")
    t.add_argument("--pt-model", choices=("radial", "xy"), default="radial",
                   help="pair-pT flow: isotropic 1D flow of log pT^2 (default) or a 2D flow of (px, py)")
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--batch-size", type=int, default=4096)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--max-breaks", type=int, default=0, help="use at most this many breaks (0: all)")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--overwrite", action="store_true", help="replace a flow already saved in --out")
    t.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice; 1 on a busy machine)")
    t.set_defaults(func=run, flow_step="train")

    s = sub.add_parser("sample", help="fragment strings with a trained flow (writes an mlhad sample)")
    s.add_argument("--flow", required=True, help="directory of a saved flow")
    s.add_argument("--strings", type=int, required=True, help="number of strings")
    s.add_argument("--out", required=True, help="output sample directory")
    s.add_argument("--reference", help="sample to compare the event observables with")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--overwrite", action="store_true")
    s.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice; 1 on a busy machine)")
    s.set_defaults(func=run, flow_step="sample")

    m = sub.add_parser("magic", help="MAGIC: fine-tune a flow so its chains match a target")
    m.add_argument("--flow", required=True, help="directory of a saved flow")
    m.add_argument("--target", required=True, help="target sample directory, or JSON of binned targets")
    m.add_argument("--out", required=True, help="output directory (tuned flow, report, plots)")
    m.add_argument("--observables", nargs="+", help="observables to match (default: all five)")
    m.add_argument("--chains", type=int, default=20_000, help="chains per (re)generation")
    m.add_argument("--steps", type=int, default=150)
    m.add_argument("--lr", type=float, default=5e-4)
    m.add_argument("--neff", type=float, default=0.5, help="regenerate chains below this n_eff/N")
    m.add_argument("--kl-weight", type=float, default=0.0)
    m.add_argument("--eval-chains", type=int, default=20_000, help="fresh chains to score before/after")
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--overwrite", action="store_true", help="replace a flow already saved in --out")
    m.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice; 1 on a busy machine)")
    m.set_defaults(func=run, flow_step="magic")

    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def _summary(report: dict, keys: tuple[str, ...]) -> str:
    return json.dumps({k: report[k] for k in keys if k in report}, indent=1, default=float)


def run(args: argparse.Namespace) -> int:
    from mlhad.reweight.flows import DEFAULT_WINDOWS, FlowConfig, MagicConfig, TrainConfig
    from mlhad.reweight.flows.workflow import magic_on_target, sample_with_flow, train_on_sample

    if args.threads is not None:
        if args.threads <= 0:
            raise ConfigError(f"--threads must be a positive integer, got {args.threads}")
        import torch

        torch.set_num_threads(args.threads)

    if args.flow_step == "train":
        flow_config = FlowConfig(context=tuple(args.context), transform=args.transform, n_layers=args.layers,
                                 hidden=args.hidden, n_bins=args.bins, pt_flow=not args.no_pt_flow,
                                 pt_model=args.pt_model)
        train_config = TrainConfig(breaks=args.breaks, epochs=args.epochs, batch_size=args.batch_size,
                                   lr=args.lr, max_breaks=args.max_breaks, seed=args.seed)
        windows = tuple(args.holdout) if args.holdout else DEFAULT_WINDOWS
        report = train_on_sample(args.sample, args.out, flow_config, train_config,
                                 eval_sample=args.eval_sample, windows=windows, overwrite=args.overwrite)
        print(_summary(report, ("windows",)))
        print(f"flow, report.json, z_windows.png and training.png written to {args.out}")
    elif args.flow_step == "sample":
        if args.strings <= 0:
            raise ConfigError(f"--strings must be positive, got {args.strings}")
        report = sample_with_flow(args.flow, args.strings, args.out, seed=args.seed,
                                  reference=args.reference, overwrite=args.overwrite)
        print(_summary(report, ("mean_n_hadrons", "chi2_vs_reference", "n_bins", "p_value_vs_reference",
                                "outside_training_range")))
        print(f"sample and report.json written to {args.out}")
    else:
        kwargs = dict(n_chains=args.chains, steps=args.steps, lr=args.lr, neff_threshold=args.neff,
                      kl_weight=args.kl_weight, seed=args.seed)
        if args.observables:
            kwargs["observables"] = tuple(args.observables)
        report = magic_on_target(args.flow, args.target, args.out, MagicConfig(**kwargs),
                                 eval_chains=args.eval_chains, overwrite=args.overwrite)
        print(_summary(report, ("chi2_before", "chi2_after", "n_bins", "distance_cut", "excess_distance_cut",
                                "kl_to_target_lund")))
        print(f"tuned flow, report.json, observables.png and magic_history.png written to {args.out}")
    return 0
