"""HOMER closure test with a known answer, unbinned and binned (docs/homer.md, "Results").

The "data" are Pythia events generated at theta_1 = (aLund 0.55, bLund 1.1), the
simulation at the Monash base (0.68, 0.98): the exact Lund weights between them have
n_eff/N ~ 0.5 and are the ceiling. HOMER runs twice:

1. unbinned: step 1 on the 13 event observables of the HOMER papers;
2. binned: the data sample is turned into ALEPH_1996_S3486095 histograms (event shapes,
   charged multiplicity, x_p and xi_p spectra, with the reference binning and
   statistical errors), written as a YODA file, and HOMER sees only that file.

Each run writes models, report.md, metrics.json and plots under --out; the summary table
of both is printed and written to closure.json.

    python examples/homer_closure.py --out runs/homer-closure            # 200k events each
    python examples/homer_closure.py --out /tmp/hc --events 20000 --epochs2 10   # quick
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from mlhad.config import GeneratorConfig
from mlhad.generators import generate
from mlhad.io import open_sample
from mlhad.reweight import reweighter_from_sample
from mlhad.reweight.homer import (BreakWeightConfig, ClassifierConfig, Homer, HomerConfig, measure,
                                  sample_fill_statistics, targets_from_objects, write_report, write_targets)
from mlhad.reweight.homer.calibration import effective_sample_fraction
from mlhad.reweight.homer.features import beam_energy_of
from mlhad.yoda import read_reference

THETA_1 = {"StringZ:aLund": 0.55, "StringZ:bLund": 1.1}
#: ALEPH histograms of the binned run: event shapes d01-d08, x_p d09, xi_p d17, N_ch d18.
ALEPH_PATTERNS = (r"/d0[1-9]-x01-y01$", r"/d17-x01-y01$", r"/d18-x01-y01$")


def _sample(path: Path, n: int, seed: int, settings: tuple[str, ...], workers: int | None):
    if (path / "mlhad-sample.json").exists():
        sample = open_sample(path)
        if sample.n_events >= n:
            return sample
    config = GeneratorConfig(preset="lep1", n_events=n, seed=seed, settings=settings)
    return generate(config, path, workers=workers, progress=True, overwrite=True)


def _summary(metrics: dict) -> dict:
    out = {"closure": metrics.get("closure"), "binned_targets_test": metrics.get("binned_targets_test"),
           "n_eff_fraction": metrics["n_eff_fraction"], "breaks": metrics["breaks"], "events": metrics.get("events")}
    step1 = metrics["diagnostics"]["step1"]
    out["step1"] = {k: step1[k] for k in ("auc_test", "chi2_before", "chi2_after", "n_points") if k in step1}
    out["seconds"] = metrics["diagnostics"]["seconds"]
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--events", type=int, default=200_000, help="events per sample (default 200000)")
    parser.add_argument("--epochs1", type=int, default=100)
    parser.add_argument("--epochs2", type=int, default=12, help="step-2 epochs per round (warm-started)")
    parser.add_argument("--iterations", type=int, default=5, help="rounds of steps 1 and 2 (arXiv 2509.03592)")
    parser.add_argument("--max-events", type=int, default=None,
                        help="train/test on at most this many events of each sample (default: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--workers", type=int, default=None, help="generation processes (default: all cores)")
    parser.add_argument("--skip-binned", action="store_true")
    parser.add_argument("--skip-unbinned", action="store_true")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    sim = _sample(out / "sim", args.events, 11, (), args.workers)
    data = _sample(out / "data", args.events, 12, tuple(f"{k} = {v}" for k, v in THETA_1.items()), args.workers)
    exact = reweighter_from_sample(sim, params=list(THETA_1)).weights(THETA_1).numpy()
    results: dict = {"theta_1": THETA_1, "events": args.events,
                     "exact_n_eff_fraction_full_sample": effective_sample_fraction(exact)}
    print(f"exact weights theta_0 -> theta_1: n_eff/N = {results['exact_n_eff_fraction_full_sample']:.3f}")

    config = HomerConfig(step1=ClassifierConfig(max_epochs=args.epochs1),
                         step2=BreakWeightConfig(max_epochs=args.epochs2, patience=4), seed=args.seed,
                         threads=args.threads, iterations=args.iterations, max_events=args.max_events)
    if not args.skip_unbinned:
        t0 = time.perf_counter()
        homer = Homer(config).fit(sim, data)
        homer.save(out / "unbinned", overwrite=True)
        results["unbinned"] = _summary(write_report(homer, sim, data, out / "unbinned"))
        results["unbinned"]["wall_seconds"] = time.perf_counter() - t0

    if not args.skip_binned:
        t0 = time.perf_counter()
        targets, _ = targets_from_objects(read_reference("ALEPH_1996_S3486095"), ALEPH_PATTERNS)
        stats = sample_fill_statistics(data, targets, beam_energy=beam_energy_of(data))
        yoda = write_targets(out / "data_aleph.yoda", measure(stats, targets), overwrite=True)
        homer = Homer(config).fit(sim, yoda)
        homer.save(out / "binned", overwrite=True)
        results["binned"] = _summary(write_report(homer, sim, yoda, out / "binned", validation_data=data))
        results["binned"]["wall_seconds"] = time.perf_counter() - t0

    (out / "closure.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    print(f"{'run':10s} {'weighting':11s} {'fitted within 2 sigma':>22s} {'not fitted':>11s}")
    for mode in ("unbinned", "binned"):
        for label, c in ((results.get(mode) or {}).get("closure") or {}).items():
            print(f"{mode:10s} {label:11s} {c.get('fitted_fraction_within', float('nan')):22.3f} "
                  f"{c.get('held_out_fraction_within', float('nan')):11.3f}")
        if mode in results:
            print(f"{mode:10s} per-break correlation with the exact Lund ratio: "
                  f"{results[mode]['breaks']['correlation_with_exact']:.3f}")
    return results


if __name__ == "__main__":
    main()
