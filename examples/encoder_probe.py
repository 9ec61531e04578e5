"""Can the pretrained encoder tell two hadronization parameter points apart?

End to end, on the same events for every representation:

1. generate two LEP1 samples (Monash, and Monash with some settings changed), or reuse
   them if ``--workdir`` already holds them with the same configuration;
2. first half of each sample: training events; second half: test events;
3. linear probe (standardisation + logistic regression) on the frozen event embeddings
   of the shipped encoder;
4. the same classifier on high-level observables from ``mlhad.observables``: event
   shapes of the charged particles and multiplicities
   (:func:`mlhad.encoder.probe.baseline_observables`);
5. fine-tuning: encoder + small head trained end to end for a few epochs;
6. ROC AUCs side by side, with bootstrap errors and paired-bootstrap differences.

    python examples/encoder_probe.py --events 60000 --use 30000 --workdir runs/encoder_probe
    python examples/encoder_probe.py --other StringZ:aLund=0.5 StringZ:bLund=0.8 --finetune-epochs 0

Results are printed and written to ``<workdir>/probe-<name>.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def sample(workdir: Path, name: str, settings: tuple[str, ...], n_events: int, seed: int, progress: bool = True):
    """Generate (or reuse) a LEP1 sample without fragmentation histories."""
    from mlhad.config import GeneratorConfig
    from mlhad.generators import generate
    from mlhad.io import open_sample

    config = GeneratorConfig(preset="lep1", n_events=n_events, seed=seed, settings=settings, history=False)
    path = workdir / name
    if (path / "mlhad-sample.json").exists():
        existing = open_sample(path)
        stored = dict(existing.metadata["config"])
        # Chunk seeds derive from (seed, chunk index), so the first n events of a larger
        # sample with the same settings are the events a run of n would generate.
        same_settings = {**stored, "n_events": n_events} == config.to_dict()
        if existing.is_complete and stored["n_events"] >= n_events and same_settings:
            return existing
    return generate(config, path, overwrite=True, progress=progress)


def halves(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Train = first halves of both samples, test = second halves (labels 0 then 1)."""
    na, nb = len(a) // 2, len(b) // 2
    return np.concatenate([a[:na], b[:nb]]), np.concatenate([a[na:], b[nb:]])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60_000, help="events per parameter point (generated)")
    parser.add_argument("--use", type=int, default=None,
                        help="use only the first USE events of each sample (default: all --events)")
    parser.add_argument("--other", nargs="+", default=["StringPT:sigma=0.30"],
                        help="settings of the second point (Monash otherwise)")
    parser.add_argument("--workdir", default="runs/encoder_probe")
    parser.add_argument("--checkpoint", default=None, help="encoder checkpoint (default: shipped)")
    parser.add_argument("--finetune-epochs", type=int, default=3, help="0 skips fine-tuning")
    parser.add_argument("--finetune-events", type=int, default=None,
                        help="training events per point for fine-tuning (default: the whole training half)")
    parser.add_argument("--seed", type=int, default=2001, help="seed of the Monash sample (other: seed + 1)")
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    from mlhad.encoder import collect_features, embed, finetune, load, predict
    from mlhad.encoder.batching import concat_features, select_events
    from mlhad.encoder.probe import baseline_observables, compare_aucs, linear_probe

    workdir = Path(args.workdir)
    settings = tuple(s.replace("=", " = ", 1) for s in args.other)
    name = "_".join(s.split(":")[-1].replace("=", "").replace(".", "") for s in args.other).lower()
    progress = not args.no_progress
    t0 = time.perf_counter()
    base = sample(workdir, "monash", (), args.events, args.seed, progress)
    other = sample(workdir, name, settings, args.events, args.seed + 1, progress)
    columns = ["particles." + f for f in ("px", "py", "pz", "e", "m", "pid", "charge", "status", "parent")]
    events = [base.read(columns)[: args.events], other.read(columns)[: args.events]]
    if args.use is not None:
        if args.use < 4 or args.use > min(map(len, events)):
            raise SystemExit(f"--use must lie in [4, {min(map(len, events))}] (the events generated), got {args.use}")
        events = [e[: args.use] for e in events]

    model = load(args.checkpoint)
    n_tr = [len(e) // 2 for e in events]
    y_train = np.repeat([0.0, 1.0], n_tr)
    y_test = np.repeat([0.0, 1.0], [len(e) - n for e, n in zip(events, n_tr)])

    t = time.perf_counter()
    emb = [embed(e, model=model, progress=progress) for e in events]
    t_embed = time.perf_counter() - t
    t = time.perf_counter()
    obs = [baseline_observables(e) for e in events]
    t_obs = time.perf_counter() - t

    scores = {}
    both = [np.concatenate([a, b], 1) for a, b in zip(emb, obs)]
    for label, (x_a, x_b) in (("encoder (linear probe)", emb), ("observables (logistic)", obs),
                              ("encoder + observables", both)):
        train, test = halves(x_a, x_b)
        scores[label] = linear_probe(train, y_train, test)

    if args.finetune_epochs > 0:
        feats = [collect_features(e, class_scheme=model.config.class_scheme) for e in events]
        n_ft = [n if args.finetune_events is None else min(n, args.finetune_events) for n in n_tr]
        train = concat_features([select_events(f, np.arange(n)) for f, n in zip(feats, n_ft)])
        test = concat_features([select_events(f, np.arange(n, f.n_events)) for f, n in zip(feats, n_tr)])
        clf = finetune(model, train, np.repeat([0, 1], n_ft), epochs=args.finetune_epochs, progress=progress)
        scores["encoder fine-tuned"] = predict(clf, test)

    summary = compare_aucs(y_test, scores, n_boot=args.bootstrap)
    print(f"\nMonash vs {' '.join(args.other)}: {len(y_train)} training, {len(y_test)} test events")
    print(summary.table())
    print(f"embedding {sum(map(len, events)) / t_embed:.0f} events/s, observables {sum(map(len, events)) / t_obs:.0f} events/s "
          f"(including thrust axes); total {time.perf_counter() - t0:.0f} s")
    result = {
        "other": args.other,
        "events_per_point": args.events,
        "events_used": int(len(events[0])),
        "seed": args.seed,
        "checkpoint": str(args.checkpoint or "shipped"),
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "auc": summary.auc,
        "auc_error": summary.error,
        "auc_diff": {f"{a} - {b}": v for (a, b), v in summary.diff.items()},
        "auc_diff_error": {f"{a} - {b}": v for (a, b), v in summary.diff_error.items()},
        "finetune_epochs": args.finetune_epochs,
        "finetune_events": args.finetune_events,
    }
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / f"probe-{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
