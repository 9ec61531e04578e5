"""HOMER step 1: a classifier between simulation and data gives event weights w_class(x).

With balanced class weights in the binary cross-entropy, the minimiser is
s(x) = log[p_data(x) / p_sim(x)] (the likelihood-ratio trick; arXiv 2410.06342 Sec. 3,
Eq. for w_class = p / (1 - p)), so w_class = exp(s) needs no further class-prior
factor. The network is an MLP on standardised features, trained with early stopping on
a validation split; Platt scaling fitted on the validation split corrects a miscalibrated
scale (reported with the reliability curve), and the weights are finally normalised to
mean 1 over the training simulation, which fixes the overall constant exactly (the
remaining class-prior correction).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.special import logsumexp
from torch import nn

from mlhad.exceptions import ModelError

from .calibration import Platt, fit_platt
from .config import ClassifierConfig
from .networks import Standardise, mlp
from .training import TrainingHistory, train_with_early_stopping

__all__ = ["EventClassifier", "ClassifierFit", "fit_classifier", "normalise_weights"]


class EventClassifier(nn.Module):
    """Standardisation (saved) and an MLP giving the logit of "data" for each event.

    Args:
        shift, scale: (d,) feature standardisation (from the training events).
        hidden: hidden-layer widths.
    """

    def __init__(self, shift: np.ndarray, scale: np.ndarray, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.standardise = Standardise(torch.as_tensor(shift), torch.as_tensor(scale))
        self.net = mlp(len(shift), hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.standardise(x)).squeeze(-1)


@dataclass
class ClassifierFit:
    """A trained step-1 classifier.

    Attributes:
        model: the network (eval mode).
        platt: calibration of its logit (identity if not fitted).
        history: losses per epoch (balanced binary cross-entropy).
        log_norm: constant subtracted from the calibrated logit so that the weights have
            mean 1 over the training simulation.
    """

    model: EventClassifier
    platt: Platt = field(default_factory=Platt)
    history: TrainingHistory = field(default_factory=TrainingHistory)
    log_norm: float = 0.0

    def logits(self, x: np.ndarray, *, batch: int = 65536) -> np.ndarray:
        """(n,) raw logits."""
        self.model.eval()
        out = []
        with torch.no_grad():
            for first in range(0, len(x), batch):
                out.append(self.model(torch.as_tensor(x[first:first + batch], dtype=torch.float32)))
        return torch.cat(out).double().numpy() if out else np.zeros(0)

    def log_weights(self, x: np.ndarray) -> np.ndarray:
        """(n,) calibrated, normalised log w_class of events with features x."""
        return self.platt(self.logits(x)) - self.log_norm


def normalise_weights(log_w: np.ndarray) -> float:
    """log of the mean of exp(log_w), computed stably (the constant that makes the mean 1)."""
    log_w = np.asarray(log_w, dtype=np.float64)
    return float(np.logaddexp.reduce(log_w) - np.log(log_w.size))


def _finite_features(name: str, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ModelError(f"step 1: {name} features must be a non-empty (n_events, n_features) array, got {x.shape}")
    if np.any(np.isinf(x)):
        raise ModelError(f"step 1: {name} features hold infinite values in columns "
                         f"{sorted(set(np.nonzero(np.isinf(x))[1].tolist()))}")
    return x


def fit_classifier(x_sim: np.ndarray, x_data: np.ndarray, x_sim_val: np.ndarray, x_data_val: np.ndarray,
                   config: ClassifierConfig, *, seed: int, progress: bool = True,
                   sim_weights: tuple[np.ndarray, np.ndarray] | None = None) -> ClassifierFit:
    """Train the step-1 classifier with early stopping, then calibrate it.

    Args:
        x_sim, x_data: (n, d) training features of simulation and data.
        x_sim_val, x_data_val: validation features (early stopping, Platt scaling).
        config: architecture and training settings.
        seed: initialisation and shuffling seed.
        progress: progress bar.
        sim_weights: (training, validation) weights of the simulated events, e.g. the
            previous iteration's HOMER weights; the classifier then learns the remaining
            ratio p_data / (w p_sim). Default: unweighted.

    Returns:
        The fit; ``log_weights(x)`` gives log w_class, normalised so that the (weighted)
        training simulation times w_class has mean weight 1.
    """
    x_sim, x_data = _finite_features("simulation", x_sim), _finite_features("data", x_data)
    x_sim_val, x_data_val = _finite_features("simulation (validation)", x_sim_val), _finite_features(
        "data (validation)", x_data_val)
    if x_sim.shape[1] != x_data.shape[1]:
        raise ModelError(f"step 1: simulation has {x_sim.shape[1]} features, data {x_data.shape[1]}")
    ws, ws_val = (np.ones(len(x_sim)), np.ones(len(x_sim_val))) if sim_weights is None else (
        np.asarray(sim_weights[0], dtype=np.float64), np.asarray(sim_weights[1], dtype=np.float64))
    if ws.shape != (len(x_sim),) or ws_val.shape != (len(x_sim_val),) or not (
            np.all(np.isfinite(ws) & (ws >= 0)) and np.all(np.isfinite(ws_val) & (ws_val >= 0))):
        raise ModelError("step 1: simulation weights must be finite, >= 0 and one per simulated event")
    torch.manual_seed(seed)
    both = np.concatenate([x_sim, x_data])
    shift = np.nanmean(both, axis=0)
    scale = np.nanstd(both, axis=0)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    model = EventClassifier(shift, scale, config.hidden)

    def weights(w_sim: np.ndarray, n_data: int) -> np.ndarray:
        # each class carries half of the total weight: the density ratio needs no prior factor
        n = w_sim.size + n_data
        return np.r_[w_sim * (n / 2.0) / w_sim.sum(), np.full(n_data, n / (2.0 * n_data))]

    x_train = torch.as_tensor(both, dtype=torch.float32)
    y_train = torch.as_tensor(np.r_[np.zeros(len(x_sim)), np.ones(len(x_data))], dtype=torch.float32)
    w_train = torch.as_tensor(weights(ws, len(x_data)), dtype=torch.float32)
    x_val = torch.as_tensor(np.concatenate([x_sim_val, x_data_val]), dtype=torch.float32)
    y_val = torch.as_tensor(np.r_[np.zeros(len(x_sim_val)), np.ones(len(x_data_val))], dtype=torch.float32)
    w_val_np = weights(ws_val, len(x_data_val))
    w_val = torch.as_tensor(w_val_np, dtype=torch.float32)
    bce = nn.BCEWithLogitsLoss(reduction="none")

    def batch_loss(idx: np.ndarray) -> torch.Tensor:
        i = torch.as_tensor(idx)
        return (bce(model(x_train[i]), y_train[i]) * w_train[i]).sum() / w_train[i].sum()

    def val_loss() -> float:
        return float((bce(model(x_val), y_val) * w_val).sum() / w_val.sum())

    history = train_with_early_stopping(
        model, batch_loss, val_loss, n_train=len(x_train), batch_size=config.batch_size,
        max_epochs=config.max_epochs, patience=config.patience, learning_rate=config.learning_rate,
        weight_decay=config.weight_decay, seed=seed, desc="HOMER step 1", progress=progress,
    )
    fit = ClassifierFit(model=model, history=history)
    if config.calibrate:
        fit.platt = fit_platt(fit.logits(x_val.numpy()), y_val.numpy(), w_val_np)
    s = fit.platt(fit.logits(x_sim))
    fit.log_norm = float(logsumexp(s, b=ws) - np.log(ws.sum()))
    return fit
