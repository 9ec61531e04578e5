"""HOMER step 2: single-break weights whose product over a history reproduces w_class.

Loss (arXiv 2410.06342 Sec. 3, the weighted binary cross-entropy of the simulation
against itself weighted by w_class): for an event with history weight
log W = sum_breaks g and step-1 weight w,

    l(log W; w) = (w + 1) softplus(-log W) + log W
               = -w log sigmoid(log W) - log(1 - sigmoid(log W)).

d l / d log W = 1 - (w + 1) / (1 + W) vanishes exactly at W = w, and over events sharing a
history the minimum of the expected loss is W(h) = E[w_class | h]: the best history
weight that the observables allow. The normalisation E_sim[e^g | c] = 1 is built into
the model (breakweight.py), so the product is a proper event weight with E_sim[W] = 1.
We report the *excess* loss l - l_min(w), l_min(w) = (w + 1) log(w + 1) - w log w, which
is >= 0 per event and 0 only at W = w.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from mlhad.exceptions import ModelError
from mlhad.reweight.base import FragmentationBase

from .breakweight import BreakWeightNet, PreparedBreaks, feature_moments, prepare_breaks
from .config import BreakWeightConfig
from .histories import BreakTable, break_rows
from .training import TrainingHistory, train_with_early_stopping

__all__ = ["history_loss", "minimum_history_loss", "BreakWeightFit", "fit_break_weights", "event_log_weights",
           "break_log_weights"]


def history_loss(log_w: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-event step-2 loss, (n,), minimal exactly at ``log_w = log(target)``.

    Args:
        log_w: (n,) history log weights, sum of g over each event's breaks.
        target: (n,) step-1 weights w_class > 0.
    """
    return (target + 1.0) * F.softplus(-log_w) + log_w


def minimum_history_loss(target: torch.Tensor) -> torch.Tensor:
    """(n,) value of :func:`history_loss` at its minimum, ``(w + 1) log(w + 1) - w log w``."""
    return (target + 1.0) * torch.log1p(target) - torch.special.xlogy(target, target)


@dataclass
class BreakWeightFit:
    """A trained step-2 model and how its training went."""

    model: BreakWeightNet
    history: TrainingHistory


def _event_sums(g: torch.Tensor, local_event: torch.Tensor, n: int) -> torch.Tensor:
    return torch.zeros(n, dtype=g.dtype).index_add_(0, local_event, g)


def event_log_weights(model: BreakWeightNet, prepared: PreparedBreaks, *, batch_breaks: int = 1_000_000) -> np.ndarray:
    """Per-event HOMER log weight: the sum of g over every break of the history.

    Args:
        model: trained step-2 model.
        prepared: the events' breaks (:func:`~mlhad.reweight.homer.breakweight.prepare_breaks`).
        batch_breaks: breaks per forward pass (memory).

    Returns:
        (n_events,) float64; events without breaks get 0 (weight 1).
    """
    model.eval()
    out = torch.zeros(prepared.n_events, dtype=torch.float64)
    with torch.no_grad():
        log_norm = model.log_norm_table(prepared)
        n = prepared.cont.shape[0]
        for first in range(0, n, batch_breaks):
            rows = torch.arange(first, min(first + batch_breaks, n))
            g = model.log_weights(prepared, rows, log_norm).double()
            out.index_add_(0, prepared.event[rows], g)
    return out.numpy()


def break_log_weights(model: BreakWeightNet, prepared: PreparedBreaks, *, batch_breaks: int = 1_000_000) -> np.ndarray:
    """(n_breaks,) learned g of every break."""
    model.eval()
    parts = []
    with torch.no_grad():
        log_norm = model.log_norm_table(prepared)
        n = prepared.cont.shape[0]
        for first in range(0, n, batch_breaks):
            parts.append(model.log_weights(prepared, torch.arange(first, min(first + batch_breaks, n)), log_norm))
    return torch.cat(parts).double().numpy()


def fit_break_weights(train: BreakTable, w_train: np.ndarray, val: BreakTable, w_val: np.ndarray,
                      base: FragmentationBase, config: BreakWeightConfig, *, seed: int,
                      progress: bool = True) -> BreakWeightFit:
    """Train g so that prod_breaks e^g reproduces the step-1 weights of simulated events.

    Args:
        train, val: histories of the training and validation events (simulation).
        w_train, w_val: (n,) their step-1 weights w_class (normalised to mean 1 on the
            simulation, see :func:`~mlhad.reweight.homer.classifier.normalise_weights`).
        base: fragmentation parameters of the simulation (its z density normalises g).
        config: network and training settings.
        seed: initialisation and shuffling seed.
        progress: progress bar.

    Raises:
        ModelError: weights not finite and positive, or their number differs from the events.
    """
    for name, table, w in (("training", train, w_train), ("validation", val, w_val)):
        w = np.asarray(w)
        if w.shape != (table.n_events,):
            raise ModelError(f"step 2: {w.shape[0] if w.ndim else 0} {name} weights for {table.n_events} events")
        if not np.all(np.isfinite(w) & (w > 0)):
            bad = int(np.count_nonzero(~(np.isfinite(w) & (w > 0))))
            raise ModelError(f"step 2: {bad} {name} weights w_class are not finite and positive; "
                             "step 1 produced unusable weights (check its report)")
    torch.manual_seed(seed)
    shift, scale = feature_moments(train)
    model = BreakWeightNet(config, shift, scale, base)
    prep_train = prepare_breaks(train, model)
    prep_val = prepare_breaks(val, model)
    target = torch.as_tensor(w_train, dtype=torch.float32)
    target_val = torch.as_tensor(w_val, dtype=torch.float32)
    floor_val = float(minimum_history_loss(target_val.double()).mean())
    offsets, counts = train.offsets, train.counts

    def batch_loss(idx: np.ndarray) -> torch.Tensor:
        rows = torch.as_tensor(break_rows(offsets, counts, idx))
        local = torch.as_tensor(np.repeat(np.arange(len(idx)), counts[idx]))
        g = model.log_weights(prep_train, rows)
        log_w = _event_sums(g, local, len(idx))
        return history_loss(log_w, target[idx]).mean()

    def val_loss() -> float:
        g = model.log_weights(prep_val)
        log_w = _event_sums(g, prep_val.event, val.n_events)
        return float(history_loss(log_w.double(), target_val.double()).mean()) - floor_val

    history = train_with_early_stopping(
        model, batch_loss, val_loss, n_train=train.n_events, batch_size=config.batch_size,
        max_epochs=config.max_epochs, patience=config.patience, learning_rate=config.learning_rate,
        weight_decay=config.weight_decay, seed=seed, desc="HOMER step 2", progress=progress,
    )
    floor_train = float(minimum_history_loss(target.double()).mean())
    history.train_loss = [v - floor_train for v in history.train_loss]
    return BreakWeightFit(model=model, history=history)
