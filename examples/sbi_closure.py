"""SBI closure test: pseudo-data from an independent Pythia sample at a known theta*.

    python examples/sbi_closure.py --base runs/monash --out runs/sbi-closure

1. generate (or reuse) an independent sample at theta* (aLund 0.64, bLund 0.94, sigma 0.325);
2. pseudo-data: its prediction of the ALEPH charged-particle points plus one draw of the
   ALEPH errors, with errors sqrt(s_ALEPH^2 + e_sample^2) (written as a YODA file);
3. ``mlhad sbi`` on them by reweighting the base sample: posterior, SBC over the prior
   and coverage at theta* (``--sbc`` pseudo-experiments each);
4. ``mlhad tune`` (gradient method, no regeneration: the same base) on the same pseudo-data, if ``--tune``;
5. prints and writes (``closure.json``, ``closure.md``) the posterior mean against
   theta* and against the tune, in units of the posterior and the tune errors.

Numbers of a run are quoted in docs/sbi.md. Small settings (``--events 20000
--simulations 1000 --sbc 100``) finish in a few minutes for a smoke run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mlhad.config import GeneratorConfig
from mlhad.generators import generate
from mlhad.inference.sbi import SBIConfig, load_observation, parse_limits, run_sbi
from mlhad.inference.sbi.pseudo import pseudo_data, reference_objects
from mlhad.inference.sbi.selections import ALEPH_CHARGED_WEIGHTS
from mlhad.io import open_sample
from mlhad.yoda import write_yoda

THETA_STAR = {"StringZ:aLund": 0.64, "StringZ:bLund": 0.94, "StringPT:sigma": 0.325}
LIMITS = "aLund=0.58:0.81,bLund=0.88:1.11,sigma=0.315:0.355"
DATA = "rivet_data/ALEPH_1996_S3486095.yoda"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="runs/monash")
    ap.add_argument("--star", default="runs/closure-star", help="sample at theta* (generated if missing)")
    ap.add_argument("--events", type=int, default=100_000, help="events of the theta* sample if generated")
    ap.add_argument("--out", default="runs/sbi-closure")
    ap.add_argument("--simulations", type=int, default=3000)
    ap.add_argument("--sbc", type=int, default=300)
    ap.add_argument("--ppc", type=int, default=200, help="posterior samples of the predictive check")
    ap.add_argument("--tune", action="store_true", help="also run mlhad tune on the pseudo-data")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    weights = out / "weights.txt"
    weights.write_text(ALEPH_CHARGED_WEIGHTS)
    star = Path(args.star)
    if not (star / "mlhad-sample.json").exists():
        settings = tuple(f"{k} = {v}" for k, v in THETA_STAR.items())
        generate(GeneratorConfig(n_events=args.events, seed=41, history=False, settings=settings), star, workers=2)
    base = open_sample(args.base)
    obs, refs, _ = load_observation([DATA], base, weight_file=weights)
    values, errors = pseudo_data(obs, refs, open_sample(star), np.random.default_rng(args.seed))
    pseudo = out / "pseudo.yoda"
    write_yoda(pseudo, reference_objects(obs, refs, values, errors, title="pseudo-data at theta*"), version=1,
               overwrite=True)

    limits = parse_limits(LIMITS)
    truth = np.array([THETA_STAR[n] for n in limits.names])
    config = SBIConfig(limits=limits, n_simulations=args.simulations, n_sbc=args.sbc, coverage_at=tuple(truth),
                       n_ppc=args.ppc, seed=args.seed)
    result, _, index = run_sbi([pseudo], config, base=args.base, weight_file=weights, out=out / "sbi", overwrite=True)
    order = [limits.names.index(n) for n in result.params]
    truth = truth[order]
    report = {"theta_star": dict(zip(result.params, truth.tolist())), "posterior_mean": result.mean.tolist(),
              "posterior_std": result.std.tolist(), "pull_vs_truth": ((result.mean - truth) / result.std).tolist(),
              "chi2_fit": result.fit.theta.tolist(), "chi2_fit_error": result.fit.uncertainties.tolist(),
              "sbc": result.sbc.summary() if result.sbc else None,
              "fixed_point": result.fixed.summary() if result.fixed else None}
    if args.tune:
        from mlhad.inference.tune import TuneConfig, tune

        tuned = tune(TuneConfig(data=(str(pseudo),), params=tuple(result.params), out=str(out / "tune"),
                                base=args.base, weights=str(weights), plots=False, scans=False, overwrite=True,
                                max_regenerations=0, seed=args.seed))     # the same base sample as the SBI
        best = np.array([tuned.best[list(tuned.names).index(n)] for n in result.params])
        err = np.sqrt(np.diag(tuned.covariance))[[list(tuned.names).index(n) for n in result.params]] \
            if tuned.covariance is not None else np.full(len(best), np.nan)
        report.update({"tune_best": best.tolist(), "tune_error": err.tolist(),
                       "mean_minus_tune_over_tune_error": ((result.mean - best) / err).tolist(),
                       "mean_minus_tune_over_posterior_std": ((result.mean - best) / result.std).tolist(),
                       "tune_pull_vs_truth": ((best - truth) / err).tolist()})
    (out / "closure.json").write_text(json.dumps(report, indent=1))
    lines = ["| parameter | theta* | posterior mean +- std | pull | chi2 fit +- error | tune +- error |",
             "|---|---|---|---|---|---|"]
    for i, name in enumerate(result.params):
        tune_txt = (f"{report['tune_best'][i]:.4f} +- {report['tune_error'][i]:.4f}" if "tune_best" in report else "-")
        lines.append(f"| {name} | {truth[i]} | {result.mean[i]:.4f} +- {result.std[i]:.4f} | "
                     f"{report['pull_vs_truth'][i]:+.2f} | {result.fit.theta[i]:.4f} +- {result.fit.uncertainties[i]:.4f} "
                     f"| {tune_txt} |")
    (out / "closure.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"report: {index}")


if __name__ == "__main__":
    main()
