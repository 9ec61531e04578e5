"""Refine the fits of a closure folder with independent bases, and report the pulls. (docs/tune.md, Closure)

For each closure of an ``examples/closure.py`` folder, K independent bases are generated at
its fit and the fit moves to the mean of their minima, for R rounds
(:func:`mlhad.inference.tune.refine.refine_with_independent_bases`). The error is the data's
sandwich plus the MC scatter of the K minima / K. The pseudo-data's run is generated again
from its seed (the same events: the script checks that it reproduces the YODA file), so the
data part can also use the pseudo-data's full statistical covariance, as the closure's own
sandwich does.

    python examples/refine_closures.py --closure runs/closure-valley-grow2-s9000-scaled \\
        --bases 8 --events 80000 --rounds 2 --out runs/refine-valley-s9000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from closure import MONASH, closure_simulator, new_report   # examples/closure.py (this script's folder is on sys.path)

from mlhad.inference.objective import build_target
from mlhad.inference.tune import build_space, pseudo_data
from mlhad.inference.tune.aleph import aleph_weights
from mlhad.inference.tune.covariance import prediction_covariance, sandwich_covariance
from mlhad.inference.tune.refine import refine_with_independent_bases
from mlhad.yoda import read_yoda

NAMES = list(MONASH)


def closures_of(folder: Path) -> list[tuple[str, dict]]:
    """``(label, record)`` of every closure in ``folder/closure.json``, labelled as examples/closure.py names them."""
    summary = json.loads((folder / "closure.json").read_text())
    out = [(f"point{k}", r) for k, r in enumerate(summary["closures"])]
    out += [(f"repeat{k}", r) for k, r in enumerate(summary["repeats"])]
    return [(label, dict(r, data_events=summary["data_events"])) for label, r in out]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--closure", required=True, help="a folder of examples/closure.py (closure.json, *-pseudo-data.yoda)")
    parser.add_argument("--out", required=True, help="folder for the bases and refine.json (refuses an existing refine.json)")
    parser.add_argument("--bases", type=int, default=8)
    parser.add_argument("--events", type=int, default=80_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--min-n-eff", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=93_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    folder = Path(args.closure)
    if not (folder / "closure.json").exists():
        parser.error(f"--closure {folder}: no closure.json there (run examples/closure.py first)")
    report_path = new_report(parser, args.out, "refine.json")
    out = report_path.parent
    sim = closure_simulator(out / "runs", workers=args.workers)
    space = build_space(NAMES, start=MONASH)
    rows = []
    t0 = time.perf_counter()
    for c, (label, record) in enumerate(closures_of(folder)):
        truth = np.array([record["truth"][n] for n in NAMES])
        fit = np.array([record["fit"][n] for n in NAMES])
        yoda = folder / f"{label}-pseudo-data.yoda"
        target = build_target(read_yoda(yoda), sim.mc_paths()[0], weights=aleph_weights())
        data_run = sim.run(dict(zip(NAMES, truth.tolist())), record["data_events"], record["seed"], label=f"{label}-data")
        again = build_target(pseudo_data(data_run), sim.mc_paths()[0], weights=aleph_weights())
        if not np.allclose(again.data, target.data, rtol=1e-9, atol=0.0):
            raise SystemExit(f"{yoda}: the data run regenerated from seed {record['seed']} does not reproduce it")
        ref = refine_with_independent_bases(sim, target, space, fit, bases=args.bases, events=args.events,
                                            seed=args.seed + 1000 * c, rounds=args.rounds, min_n_eff=args.min_n_eff,
                                            log=lambda s: print(f"  {s}", flush=True))
        # the data part with the pseudo-data's full statistical covariance (known here: they are events)
        sigma_data = prediction_covariance(data_run.contributions, target)
        cov_full = sandwich_covariance(ref.jacobian, target.data_err, ref.chi2_mc_errors, target.weights,
                                       sigma_data) + ref.covariance_mc
        errors_full = np.sqrt(np.diag(cov_full))
        errors = ref.errors
        row = {"label": label, "truth": truth.tolist(), "fit": fit.tolist(), "refined": ref.theta.tolist(),
               "errors": errors.tolist(), "errors_data": ref.errors_data.tolist(), "errors_mc": ref.errors_mc.tolist(),
               "pulls_before": ((fit - truth) / np.array(record["errors_sandwich_full"])).tolist(),
               "pulls": ((ref.theta - truth) / errors).tolist(), "errors_full_data_covariance": errors_full.tolist(),
               "pulls_full_data_covariance": ((ref.theta - truth) / errors_full).tolist(), "rounds": ref.rounds,
               "events": ref.n_events_generated}
        rows.append(row)
        print(f"[{label}] fit {np.round(fit, 4).tolist()} -> refined {np.round(ref.theta, 4).tolist()} (truth "
              f"{truth.tolist()}); errors data {np.round(row['errors_data'], 4).tolist()} MC "
              f"{np.round(row['errors_mc'], 4).tolist()}; pulls {np.round(row['pulls_before'], 2).tolist()} -> "
              f"{np.round(row['pulls'], 2).tolist()} (full data covariance: "
              f"{np.round(row['pulls_full_data_covariance'], 2).tolist()}) ({time.perf_counter() - t0:.0f} s)", flush=True)
    pulls = np.array([r["pulls"] for r in rows])
    full = np.array([r["pulls_full_data_covariance"] for r in rows])
    report = {"closure": str(folder), "bases": args.bases, "events": args.events, "rounds": args.rounds,
              "names": NAMES, "rows": rows, "pull_mean": pulls.mean(0).tolist(),
              "pull_rms": np.sqrt((pulls**2).mean(0)).tolist(), "pull_mean_full_data_covariance": full.mean(0).tolist(),
              "pull_rms_full_data_covariance": np.sqrt((full**2).mean(0)).tolist()}
    report_path.write_text(json.dumps(report, indent=1))
    print(f"pull mean {np.round(report['pull_mean'], 2).tolist()}, rms {np.round(report['pull_rms'], 2).tolist()} "
          f"(full data covariance: mean {np.round(report['pull_mean_full_data_covariance'], 2).tolist()}, rms "
          f"{np.round(report['pull_rms_full_data_covariance'], 2).tolist()}) over {len(rows)} closures; written {report_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
