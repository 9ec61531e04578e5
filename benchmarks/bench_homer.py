"""HOMER on CPU: training cost per epoch and event, inference events/s, vs the exact weights.

Measured in one run, on the first ``--events`` events of a simulation and a data sample
(lep1 preset, with histories):

- step-1 inputs: the 13 event observables of the HOMER papers, events/s;
- step 1 (classifier) and step 2 (break-weight network): seconds per epoch, timed over
  a fixed number of epochs (no early stopping), scaled linearly to ``--target-events``
  (an epoch is a pass over the events, so its cost is linear in their number);
- step 3 (inference): HOMER event weights from the histories (read, prepare, network,
  product over breaks), events/s, best of ``--repeats``;
- the baseline, in the same run: the exact Lund weights to the data's parameters
  (mlhad.reweight: read histories, build tables, evaluate), events/s.

The projected training wall time for ``--target-events`` uses the epochs at which early
stopping ended in the closure run of docs/homer.md (``--typical-epochs1/2``).

    python benchmarks/bench_homer.py runs/homer-closure/sim runs/homer-closure/data --events 20000
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from mlhad.io import open_sample
from mlhad.reweight import FragmentationBase, reweighter_from_sample
from mlhad.reweight.homer import (BreakTable, BreakWeightConfig, ClassifierConfig, fit_break_weights, fit_classifier,
                                  prepare_breaks, sample_features)
from mlhad.reweight.homer.checks import limit_threads
from mlhad.reweight.homer.closure import exact_truth
from mlhad.reweight.homer.config import DEFAULT_OBSERVABLES
from mlhad.reweight.homer.step2 import event_log_weights


def _chunks_for(sample, n: int) -> list[int]:
    chunks, total = [], 0
    for info in sample.chunks:
        if total >= n:
            break
        chunks.append(info.index)
        total += info.n_events
    return chunks


def best_of(fn, repeats: int) -> tuple[float, float, object]:
    """(best wall seconds, best CPU seconds of this process, result)."""
    best, best_cpu, out = float("inf"), float("inf"), None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
    return best, best_cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sim")
    parser.add_argument("data")
    parser.add_argument("--events", type=int, default=20_000, help="events of each sample to time on")
    parser.add_argument("--target-events", type=int, default=500_000, help="projection target")
    parser.add_argument("--epochs1", type=int, default=3, help="step-1 epochs timed")
    parser.add_argument("--epochs2", type=int, default=2, help="step-2 epochs timed")
    parser.add_argument("--typical-epochs1", type=int, default=20)
    parser.add_argument("--typical-epochs2", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    sim, data = open_sample(args.sim), open_sample(args.data)
    n = min(args.events, sim.n_events, data.n_events)
    point = exact_truth(sim, data)
    if not point:
        raise SystemExit("the data sample must be generated at fragmentation parameters mlhad can reweight to")
    base = FragmentationBase.from_metadata(sim.metadata)
    n_train = int(0.6 * n)
    with limit_threads(args.threads):
        t0, c0 = time.perf_counter(), time.process_time()
        x_sim = sample_features(sim, DEFAULT_OBSERVABLES, max_events=n, progress=False)
        x_data = sample_features(data, DEFAULT_OBSERVABLES, max_events=n, progress=False)
        t_features = (time.perf_counter() - t0) / (2 * n)
        c_features = (time.process_time() - c0) / (2 * n)

        cfg1 = ClassifierConfig(max_epochs=args.epochs1, patience=args.epochs1 + 1)
        c0 = time.process_time()
        fit1 = fit_classifier(x_sim[:n_train], x_data[:n_train], x_sim[n_train:], x_data[n_train:], cfg1, seed=1,
                              progress=False)
        t_epoch1 = fit1.history.seconds / len(fit1.history.train_loss) / (2 * n_train)
        c_epoch1 = (time.process_time() - c0) / len(fit1.history.train_loss) / (2 * n_train)
        target = np.exp(fit1.log_weights(x_sim))

        table = BreakTable.from_sample(sim, max_events=n, progress=False)
        train, val = np.arange(n_train), np.arange(n_train, n)
        cfg2 = BreakWeightConfig(max_epochs=args.epochs2, patience=args.epochs2 + 1)
        c0 = time.process_time()
        fit2 = fit_break_weights(table.select(train), target[train], table.select(val), target[val], base, cfg2,
                                 seed=1, progress=False)
        t_epoch2 = fit2.history.seconds / len(fit2.history.train_loss) / n_train
        c_epoch2 = (time.process_time() - c0) / len(fit2.history.train_loss) / n_train

        def homer_weights() -> np.ndarray:
            t = BreakTable.from_sample(sim, max_events=n, progress=False)
            return np.exp(event_log_weights(fit2.model, prepare_breaks(t, fit2.model)))

        def exact_weights() -> np.ndarray:
            rw = reweighter_from_sample(sim, params=list(point), chunks=_chunks_for(sim, n))
            return rw.weights(point).numpy()[:n]

        t_homer, c_homer, w_homer = best_of(homer_weights, args.repeats)
        t_exact, c_exact, w_exact = best_of(exact_weights, args.repeats)

    target_n = args.target_events

    def project(features: float, epoch1: float, epoch2: float) -> float:
        return target_n * (2 * features + 2 * 0.6 * args.typical_epochs1 * epoch1
                           + 0.6 * args.typical_epochs2 * epoch2) / 60

    load = os.getloadavg()[0]
    print(f"HOMER benchmark on {n} events per sample (lep1), {args.threads} thread(s), breaks/event "
          f"{table.n_breaks / n:.1f}, load average {load:.1f} on {os.cpu_count()} cores")
    print("  (wall times; in brackets CPU time of this process, what a quiet machine would take)")
    print(f"  step-1 observables:            {1 / t_features:10.0f} events/s  [{1 / c_features:.0f}]")
    print(f"  step 1 training:               {t_epoch1 * 1e6:10.2f} us per event per epoch  [{c_epoch1 * 1e6:.2f}]")
    print(f"  step 2 training:               {t_epoch2 * 1e6:10.2f} us per event per epoch  [{c_epoch2 * 1e6:.2f}]")
    print(f"  projected training time for {target_n} events per sample (60% train, {args.typical_epochs1} + "
          f"{args.typical_epochs2} epochs, observables included): {project(t_features, t_epoch1, t_epoch2):.1f} min "
          f"[{project(c_features, c_epoch1, c_epoch2):.1f} min]")
    print(f"  inference, HOMER weights:      {n / t_homer:10.0f} events/s  [{n / c_homer:.0f}]")
    print(f"  baseline, exact Lund weights:  {n / t_exact:10.0f} events/s  [{n / c_exact:.0f}]")
    print(f"  ratio HOMER / exact:           {t_exact / t_homer:10.2f}  [{c_exact / c_homer:.2f}]  "
          "(events/s; > 1: HOMER faster)")
    print(f"  sanity: r(log w_HOMER, log w_exact) = {np.corrcoef(np.log(w_homer), np.log(w_exact))[0, 1]:.3f}")


if __name__ == "__main__":
    main()
