"""Normalising-flow hadronization and MAGIC, end to end (docs/flows.md).

1. Pythia ``string`` samples: A and B at the base point (aLund 0.68, bLund 0.98), and a
   target at (aLund, bLund) = (0.5, 1.2).
2. Train a BreakFlow on A's string breaks with four mT2 windows held out; test its z
   in those windows against B, with A's own held-out breaks as the statistical floor,
   and its pair pT (mean pT^2, tails) against B's.
3. Fragment strings with the flow and compare the event observables with B (and, as a
   baseline, the torch sampler with the exact Lund function, same number of chains).
4. MAGIC: fine-tune the flow so its chains match the target's event observables;
   score before/after on fresh chains, and measure how far the flow's z density is
   from the target's Lund function before/after (KL, and W1 in the mT2 windows).

    python examples/flow_magic.py --out runs/flow_magic    # docs figures (8 min at load 5, samples reused)
    python examples/flow_magic.py --out /tmp/fm --quick     # small smoke run (~5 min)

Pythia samples already in ``--out`` (pythia_base_a, pythia_base_b, pythia_target; e.g.
symlinks to earlier runs with the same settings) are reused. Everything lands in
``--out``: the samples, the flows, report.json files, PNGs and a summary.json with the
acceptance figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import awkward as ak
import torch
from scipy import stats

from mlhad.config import GeneratorConfig
from mlhad.generators import generate
from mlhad.generators.string_sampler import StringParams, fragment
from mlhad.io import open_sample
from mlhad.reweight.flows import FlowConfig, MagicConfig, TrainConfig, build_targets, unweighted_chi2
from mlhad.reweight.flows.workflow import magic_on_target, sample_with_flow, train_on_sample

TARGET_SETTINGS = ("StringZ:aLund = 0.5", "StringZ:bLund = 1.2")
OBSERVABLES = ("n_hadrons", "n_charged", "x_lead", "max_gap", "sum_z")

#: Sizes of the two profiles. "full" is what docs/flows.md reports; it is sized for a
#: shared 2-core CPU (the flows are float64 nflows splines, ~1 s per 8k-break step).
PROFILES = {
    "full": dict(n_base=200_000, n_target=100_000, max_breaks=600_000, epochs=8, n_chains=20_000,
                 magic_chains=3_000, magic_steps=30, magic_lr=5e-4, eval_chains=20_000),
    "quick": dict(n_base=20_000, n_target=20_000, max_breaks=100_000, epochs=3, n_chains=10_000,
                  magic_chains=2_000, magic_steps=20, magic_lr=5e-4, eval_chains=5_000),
}
FLOW = FlowConfig(n_layers=2, hidden=32, n_blocks=1, n_bins=12, pt_layers=2)


def pythia_sample(out: Path, n: int, seed: int, settings: tuple[str, ...] = ()) -> Path:
    config = GeneratorConfig(preset="string", n_events=n, seed=seed, energy=50.0, settings=settings,
                             chunk_size=min(n, 25_000))
    generate(config, out, resume=out.exists())  # reuse a finished sample
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--quick", action="store_true", help="small samples and short training")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: the batches are small; on a busy machine more threads "
                             "spin-wait and run up to 10x slower)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    p = PROFILES["quick" if args.quick else "full"]

    base_a = pythia_sample(out / "pythia_base_a", p["n_base"], 1)
    base_b = pythia_sample(out / "pythia_base_b", p["n_base"], 2)
    target = pythia_sample(out / "pythia_target", p["n_target"], 3, TARGET_SETTINGS)

    train = TrainConfig(epochs=p["epochs"], batch_size=4096, lr=3e-3, patience=3, max_breaks=p["max_breaks"])
    train_report = train_on_sample(base_a, out / "flow", FLOW, train, eval_sample=base_b)

    sample_report = sample_with_flow(out / "flow", p["n_chains"], out / "flow_chains", seed=7, reference=base_b,
                                     overwrite=True)
    # Baseline: the torch sampler with the exact Lund function, same size, same reference.
    reference = open_sample(base_b).read(["breaks", "particles"])
    targets_b = build_targets(reference, OBSERVABLES)
    lund_chi2 = unweighted_chi2(fragment(p["n_chains"], StringParams(), seed=7), targets_b)

    magic_config = MagicConfig(n_chains=p["magic_chains"], steps=p["magic_steps"], lr=p["magic_lr"],
                               observables=OBSERVABLES)
    magic_report = magic_on_target(out / "flow", target, out / "flow_magic", magic_config,
                                   eval_chains=p["eval_chains"])

    mult_ref = ak.to_numpy(ak.num(reference.particles))
    summary = {
        "profile": p,
        "flow_config": FLOW.to_dict(),
        "z_windows": train_report["windows"],
        "pt_vs_pythia": train_report["pt"],
        "flow_chains_vs_pythia": {"chi2": sample_report["chi2_vs_reference"], "n_bins": sample_report["n_bins"],
                                  "p_value": sample_report["p_value_vs_reference"],
                                  "mean_n_hadrons": sample_report["mean_n_hadrons"],
                                  "pythia_mean_n_hadrons": float(mult_ref.mean())},
        "lund_chains_vs_pythia": {"chi2": lund_chi2, "p_value": {
            n: float(stats.chi2.sf(c, sample_report["n_bins"][n] - 1)) for n, c in lund_chi2.items()}},
        "magic": {k: magic_report[k] for k in ("chi2_before", "chi2_after", "n_bins", "distance_cut",
                                                "excess_distance_cut", "weighted_distance_cut", "kl_to_target_lund",
                                                "z_windows_vs_target") if k in magic_report},
        "training_seconds": train_report["history"]["seconds"],
        "magic_seconds": magic_report["history"]["seconds"],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=float))
    print(json.dumps(summary["magic"], indent=1, default=float))
    print(f"distance cut by MAGIC: {100 * summary['magic']['distance_cut']:.1f}%  (summary in {out / 'summary.json'})")


if __name__ == "__main__":
    main()
