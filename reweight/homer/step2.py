"""HOMER step 2: single-break weights whose product over a history reproduces w_class.

Loss (arXiv 2410.06342 Sec. 3: the binary cross-entropy of the simulation weighted by
w_class against the simulation itself): for an event with log weight L and step-1
weight w,

    l(L; w) = (w + 1) softplus(-L) + L = -w log sigmoid(L) - log(1 - sigmoid(L)).

d l / d L = 1 - (w + 1) / (1 + e^L) vanishes exactly at e^L = w, and over events sharing
a history the minimum of the expected loss is e^L = E[w_class | history]: the best
history weight the observables allow. We report the *excess* loss l - l_min(w),
l_min(w) = (w + 1) log(w + 1) - w log w, which is >= 0 and 0 only at e^L = w.

Which breaks make L (:attr:`BreakWeightConfig.chains`):

* ``"accepted"`` -- L = sum over the breaks of the kept fragmentation attempt of g,
  minus log(A_new / A_sim), the change of Pythia's acceptance of a fragmentation attempt
  (arXiv 2509.03592): the kept attempt of a string has density p_chain a / A, so its
  weight is prod e^g * A_sim / A_new. With normalised g, E_sim[prod_kept e^g] = A_new /
  A_sim (averaged over strings); it is estimated on every batch (differentiably) during
  training and on the whole training sample for the final weights.
* ``"history"`` -- L = sum over every recorded break, thrown-away attempts included: the
  history weight of arXiv 2410.06342, unbiased for normalised g whatever the acceptance.
  The thrown-away attempts are invisible in the observables, so this target makes the
  fit shrink g towards 0 (not measured here); kept for comparison.
"""

from __future__ import annotations

import math
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
           "break_log_weights", "log_mean_exp"]


def history_loss(log_w: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-event step-2 loss, (n,), minimal exactly at ``log_w = log(target)``.

    Args:
        log_w: (n,) event log weights.
        target: (n,) step-1 weights w_class > 0.
    """
    return (target + 1.0) * F.softplus(-log_w) + log_w


def minimum_history_loss(target: torch.Tensor) -> torch.Tensor:
    """(n,) value of :func:`history_loss` at its minimum, ``(w + 1) log(w + 1) - w log w``."""
    return (target + 1.0) * torch.log1p(target) - torch.special.xlogy(target, target)


def log_mean_exp(x: torch.Tensor) -> torch.Tensor:
    """log(mean(exp(x))), stable."""
    return torch.logsumexp(x, dim=0) - math.log(x.numel())


@dataclass
class BreakWeightFit:
    """A trained step-2 model and how its training went."""

    model: BreakWeightNet
    history: TrainingHistory


def _sums(g: torch.Tensor, event: torch.Tensor, n: int, mask: torch.Tensor | None) -> torch.Tensor:
    values = g if mask is None else g * mask
    return torch.zeros(n, dtype=g.dtype).index_add_(0, event, values)


def _break_log_weights(model: BreakWeightNet, prepared: PreparedBreaks, batch_breaks: int) -> torch.Tensor:
    parts = []
    with torch.no_grad():
        log_norm = model.log_norm_table(prepared)
        n = prepared.cont.shape[0]
        for first in range(0, n, batch_breaks):
            parts.append(model.log_weights(prepared, torch.arange(first, min(first + batch_breaks, n)), log_norm))
    return torch.cat(parts).double() if parts else torch.zeros(0, dtype=torch.float64)


def break_log_weights(model: BreakWeightNet, prepared: PreparedBreaks, *, batch_breaks: int = 1_000_000) -> np.ndarray:
    """(n_breaks,) learned g of every break."""
    model.eval()
    return _break_log_weights(model, prepared, batch_breaks).numpy()


def event_log_weights(model: BreakWeightNet, prepared: PreparedBreaks, *, chains: str | None = None,
                      batch_breaks: int = 1_000_000) -> np.ndarray:
    """Step 3: per-event HOMER log weights.

    Args:
        model: trained step-2 model.
        prepared: the events' breaks (:func:`~mlhad.reweight.homer.breakweight.prepare_breaks`).
        chains: ``"accepted"`` (kept attempt times the acceptance correction stored in the
            model) or ``"history"`` (every break); default: the model's training choice.
        batch_breaks: breaks per forward pass (memory).

    Returns:
        (n_events,) float64; an event without breaks gets 0 (``"history"``) or the
        acceptance correction alone (``"accepted"``).
    """
    chains = chains or model.config.chains
    if chains not in ("accepted", "history"):
        raise ModelError(f"chains must be 'accepted' or 'history', got {chains!r}")
    model.eval()
    g = _break_log_weights(model, prepared, batch_breaks)
    mask = prepared.accepted.double() if chains == "accepted" else None
    out = _sums(g, prepared.event, prepared.n_events, mask)
    if chains == "accepted":
        out = out - model.log_acceptance
    return out.numpy()


def _check_weights(name: str, table: BreakTable, w: np.ndarray) -> None:
    w = np.asarray(w)
    if w.shape != (table.n_events,):
        raise ModelError(f"step 2: {w.shape[0] if w.ndim else 0} {name} weights for {table.n_events} events")
    if not np.all(np.isfinite(w) & (w > 0)):
        bad = int(np.count_nonzero(~(np.isfinite(w) & (w > 0))))
        raise ModelError(f"step 2: {bad} {name} weights w_class are not finite and positive; "
                         "step 1 produced unusable weights (check its report)")


def fit_break_weights(train: BreakTable, w_train: np.ndarray, val: BreakTable, w_val: np.ndarray,
                      base: FragmentationBase, config: BreakWeightConfig, *, seed: int,
                      progress: bool = True, init: BreakWeightNet | None = None) -> BreakWeightFit:
    """Train g so that the event weights built from it reproduce the step-1 weights.

    Args:
        train, val: histories of the training and validation events (simulation).
        w_train, w_val: (n,) their step-1 weights w_class (mean 1 over the simulation).
        base: fragmentation parameters of the simulation (its z density normalises g).
        config: network, training and chain settings.
        seed: initialisation and shuffling seed.
        progress: progress bar.
        init: start from this model's parameters (warm start of a later iteration).

    Raises:
        ModelError: weights not finite and positive, or their number differs from the events.
    """
    _check_weights("training", train, w_train)
    _check_weights("validation", val, w_val)
    torch.manual_seed(seed)
    if init is None:
        shift, scale = feature_moments(train)
    else:
        shift, scale = init.standardise.shift.numpy(), init.standardise.scale.numpy()
    model = BreakWeightNet(config, shift, scale, base)
    if init is not None:
        model.load_state_dict(init.state_dict())
    prep_train = prepare_breaks(train, model)
    prep_val = prepare_breaks(val, model)
    target = torch.as_tensor(w_train, dtype=torch.float32)
    target_val = torch.as_tensor(w_val, dtype=torch.float64)
    floor_val = float(minimum_history_loss(target_val).mean())
    offsets, counts = train.offsets, train.counts
    accepted_only = config.chains == "accepted"

    def event_logs(g: torch.Tensor, event: torch.Tensor, n: int, accepted: torch.Tensor) -> torch.Tensor:
        log_w = _sums(g, event, n, accepted if accepted_only else None)
        return log_w - log_mean_exp(log_w) if accepted_only else log_w

    def batch_loss(idx: np.ndarray) -> torch.Tensor:
        rows = torch.as_tensor(break_rows(offsets, counts, idx))
        local = torch.as_tensor(np.repeat(np.arange(len(idx)), counts[idx]))
        g = model.log_weights(prep_train, rows)
        log_w = event_logs(g, local, len(idx), prep_train.accepted[rows])
        return history_loss(log_w, target[idx]).mean()

    def val_loss() -> float:
        g = model.log_weights(prep_val).double()
        log_w = event_logs(g, prep_val.event, val.n_events, prep_val.accepted.double())
        return float(history_loss(log_w, target_val).mean()) - floor_val

    history = train_with_early_stopping(
        model, batch_loss, val_loss, n_train=train.n_events, batch_size=config.batch_size,
        max_epochs=config.max_epochs, patience=config.patience, learning_rate=config.learning_rate,
        weight_decay=config.weight_decay, seed=seed, desc="HOMER step 2", progress=progress,
    )
    floor_train = float(minimum_history_loss(target.double()).mean())
    history.train_loss = [v - floor_train for v in history.train_loss]
    if accepted_only:
        with torch.no_grad():
            g = _break_log_weights(model, prep_train, 1_000_000)
            kept = _sums(g, prep_train.event, train.n_events, prep_train.accepted.double())
            model.log_acceptance.fill_(float(log_mean_exp(kept)))
    return BreakWeightFit(model=model, history=history)
