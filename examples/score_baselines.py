"""Can per-break baselines lower the noise of the reweighted derivatives along the aLund-bLund valley?

A reweighted derivative is a score estimate, ``J_bp = sum_e s_ep u_eb`` (``s_e = d log w_e /
d theta``, ``u_eb`` event e's influence on height b). Along the valley most of ``J`` is MC
noise (docs/tune.md, "Why the aLund-bLund errors were too small"). The event score is a sum
over the recorded z draws, ``s_e = sum_k s_k``, and each draw's score has mean zero given
everything drawn before it. So for any function ``phi`` of the history before draw k,
``C = sum_k s_k phi(state_k)`` has mean zero, and subtracting the least-squares combination
of several such ``C`` from every height's per-event term leaves ``J`` unbiased and removes
the part of its noise that the ``phi`` predict: the baseline of policy-gradient estimators,
``sum_k s_k (u_eb - V_b(state_k))`` with ``V_b = sum_j beta_bj phi_j``.

The script generates (or reuses) one run with the string-end state of every draw
(``history_detail = "full"``), takes pseudo-data errors of a quarter of its events (the
benchmark's 80k-event data run with the errors of 20k), and prints for growing sets of
``phi``: the fraction of each eigen-direction's apparent curvature ``J^T W J`` that is
information (as in ``covariance.noise_corrected_sandwich``; the smallest is the valley) and
the noise removed. It also checks the two facts the method rests on: the per-break scores
add up to the event scores, and every ``C`` has mean zero within its error (which fails if a
recorded draw is not a full draw from the Lund density given its past).

    python examples/score_baselines.py --events 80000 --seed 11 --out runs/score-baselines
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import awkward as ak
import numpy as np
import torch

from mlhad.config import GeneratorConfig
from mlhad.generators import generate
from mlhad.inference.objective import build_target
from mlhad.inference.tune import PythiaSimulator, ReweightedObjective, build_space, pseudo_data
from mlhad.inference.tune.aleph import ANALYSIS, aleph_reference, aleph_weights
from mlhad.inference.tune.covariance import derivative_noise, influence_blocks, information_frame
from mlhad.io import open_sample
from mlhad.reweight.base import FragmentationBase
from mlhad.reweight.per_break import break_log_density

POINT = {"StringZ:aLund": 0.60, "StringZ:bLund": 0.95, "StringPT:sigma": 0.31}   # the benchmark's theta*
Z_PARAMS = ("StringZ:aLund", "StringZ:bLund")
#: baseline sets, each adding to the one before; every feature is known before the draw it multiplies
FEATURE_SETS = {
    "constant": ["one"],
    "+ rank and side": ["rank", "rank^2", "log(1+rank)", "from_pos"],
    "+ mT2 and string-end state": ["log mT2", "(log mT2)^2", "gamma_old", "log(1+|gamma_old|)", "x_own", "x_other",
                                   "x_own*x_other", "string", "draw index", "heavy flavour"],
}


def flat(column: ak.Array, dtype: type | None = None) -> np.ndarray:
    """A per-event list column as one array of all its breaks, in draw order (cast to ``dtype`` if given)."""
    values = ak.to_numpy(ak.flatten(column))
    return values if dtype is None else values.astype(dtype)


def per_break_features(b: ak.Array, counts: np.ndarray) -> dict[str, np.ndarray]:
    """Functions of the history before each recorded z draw (flat, in draw order)."""
    rank, from_pos, log_m2 = flat(b.rank, float), flat(b.from_pos, float), np.log(flat(b.mT2))
    gamma, x_pos, x_neg = flat(b.gamma_old), flat(b.x_pos_old), flat(b.x_neg_old)
    x_own, x_other = np.where(from_pos > 0, x_pos, x_neg), np.where(from_pos > 0, x_neg, x_pos)
    first = np.repeat(np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return {"one": np.ones_like(log_m2), "rank": rank, "rank^2": rank**2, "log(1+rank)": np.log1p(rank),
            "from_pos": from_pos, "log mT2": log_m2, "(log mT2)^2": log_m2**2, "gamma_old": gamma,
            "log(1+|gamma_old|)": np.log1p(np.abs(gamma)), "x_own": x_own, "x_other": x_other,
            "x_own*x_other": x_own * x_other, "string": flat(b.string, float),
            "draw index": np.arange(log_m2.size, dtype=float) - first,
            "heavy flavour": (np.abs(flat(b.flav_new)) > 10).astype(float)}


def per_break_scores(b: ak.Array, base: FragmentationBase, step: float = 1e-5) -> dict[str, np.ndarray]:
    """``d log p(z_k | mT2_k, flavours) / d theta`` of every recorded draw, by central differences."""
    z, m2, old, new = flat(b.z), flat(b.mT2), flat(b.flav_old), flat(b.flav_new)
    scores = {}
    for name in Z_PARAMS:
        value = base.point()[name]
        up = break_log_density(z, m2, old, new, base, {name: value + step})
        down = break_log_density(z, m2, old, new, base, {name: value - step})
        scores[name] = (up - down) / (2 * step)
    return scores


def less_baselines(terms: np.ndarray, controls: np.ndarray | None) -> np.ndarray:
    """``(N, n)`` per-event derivative terms of one parameter, less their least-squares fit by the ``(N, J)``
    controls (None: as they are)."""
    if controls is None:
        return terms
    beta, *_ = np.linalg.lstsq(controls, terms, rcond=None)
    return terms - controls @ beta


def kept_fractions(terms: list[np.ndarray], wdiag: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(J, noise, kept)``: derivatives, expected ``dJ^T W dJ`` and kept curvature fractions (ascending)."""
    n = terms[0].shape[0]
    jac = np.stack([t.mean(0) for t in terms], 1)
    centred = [t - t.mean(0) for t in terms]
    noise = np.array([[np.sum(wdiag * (a * c).mean(0)) / n for c in centred] for a in centred])
    frame = information_frame(jac, noise, wdiag)
    kept = frame[2] if frame is not None else np.full(len(terms), np.nan)
    return jac, noise, kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="runs/score-baselines")
    parser.add_argument("--events", type=int, default=80_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--selection", default="soft-pt", help="ALEPH points (mlhad.inference.tune.aleph)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out = Path(args.out)
    report = out / f"score-baselines-{args.selection}-{args.events}-{args.seed}.json"
    if report.exists():
        parser.error(f"{report} exists: choose another --out (its run is reused)")
    run_dir = out / "runs" / f"full-{args.events}-{args.seed}"
    config = GeneratorConfig(preset="lep1", n_events=args.events, seed=args.seed, history_detail="full",
                             settings=tuple(f"{k} = {v!r}" for k, v in POINT.items()),
                             chunk_size=min(10_000, args.events))
    generate(config, run_dir, resume=(run_dir / "mlhad-sample.json").exists(), workers=args.workers, progress=False)

    wf = aleph_weights(args.selection)
    sim = PythiaSimulator(reference={ANALYSIS: aleph_reference(args.selection)}, work_dir=out / "runs",
                          workers=args.workers, progress=False)
    run = sim.load(str(run_dir))
    target = build_target(pseudo_data(run, error_scale=2.0), sim.mc_paths()[0], weights=wf)
    space = build_space(list(POINT), start=POINT)
    theta = np.array([POINT[n] for n in space.names])
    event_scores = ReweightedObjective(run, target, space).event_scores(theta)
    n_events = event_scores.shape[0]
    wdiag = target.weights**2 / target.data_err**2
    (_, _, u), = influence_blocks(run.contributions, target, None, n_events)

    sample = open_sample(run_dir)
    breaks = sample.read(["breaks"]).breaks
    counts = ak.to_numpy(ak.num(breaks))
    event_of = np.repeat(np.arange(n_events), counts)
    scores = per_break_scores(breaks, FragmentationBase.from_metadata(sample.metadata, source=str(run_dir)))
    features = per_break_features(breaks, counts)
    summed = {n: np.bincount(event_of, weights=scores[n], minlength=n_events) for n in Z_PARAMS}
    sum_mismatch = max(float(np.max(np.abs(summed[n] - event_scores[:, space.names.index(n)]))) for n in Z_PARAMS)
    print(f"{n_events} events, {counts.sum()} recorded z draws, {target.n_points} points ({args.selection}); "
          f"per-break scores add up to the event scores within {sum_mismatch:.1e}")

    jac_lib, noise_lib = derivative_noise(run.contributions, target, np.ones(n_events), event_scores, wdiag)
    # per-event terms N u_eb s_ep of the fit's derivative estimator, one (N, n) array per parameter
    plain_terms = [n_events * u * event_scores[:, [j]] for j in range(space.dim)]
    rows, names, t_stats = [], [], {}
    for label, added in [("none (the fit's estimator)", [])] + list(FEATURE_SETS.items()):
        names = names + added
        terms = []
        for j, name in enumerate(space.names):
            controls = None
            if names and name in scores:
                controls = np.stack([np.bincount(event_of, weights=scores[name] * features[f], minlength=n_events)
                                     for f in names], 1)
                t_stats[name] = (controls.mean(0) / (controls.std(0) / np.sqrt(n_events))).tolist()
            terms.append(less_baselines(plain_terms[j], controls))
        jac, noise, kept = kept_fractions(terms, wdiag)
        if not added:
            library_mismatch = float(max(np.max(np.abs(jac - jac_lib)) / np.max(np.abs(jac_lib)),
                                         np.max(np.abs(noise - noise_lib)) / np.max(np.abs(noise_lib))))
            print(f"  without baselines the derivatives and their noise are covariance.derivative_noise's "
                  f"(largest relative difference {library_mismatch:.1e})")
            naive = np.diag(noise)
        removed = 1.0 - np.diag(noise) / naive
        rows.append({"baselines": label, "features": list(names), "kept": kept.tolist(),
                     "noise_removed": dict(zip(space.names, removed.tolist()))})
        print(f"  baselines {label:28s} kept curvature {np.round(kept, 3).tolist()}, derivative noise removed: "
              + ", ".join(f"{n.split(':')[1]} {100 * r:.1f}%" for n, r in zip(space.names, removed)))
    worst = max(max(abs(t) for t in ts) for ts in t_stats.values())
    print(f"control variates' means / their errors: largest |t| = {worst:.1f} over {sum(map(len, t_stats.values()))}")
    report.write_text(json.dumps({"point": POINT, "events": n_events, "seed": args.seed, "selection": args.selection,
                                  "draws": int(counts.sum()), "score_sum_mismatch": sum_mismatch,
                                  "library_mismatch": library_mismatch,
                                  "control_variate_t": t_stats, "rows": rows}, indent=1))
    print(f"written {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
