"""Fine-tuning: the pretrained encoder plus a small head, trained end to end on a label.

The typical task is the one the embedding is for: telling events of two hadronization
parameter points apart (a classifier whose output is the likelihood ratio used for
reweighting, HOMER step 1, or the diagnosis of a tune). The encoder gets a learning
rate ten times below the head's, so the few epochs adapt it without wiping out what
pretraining learnt (the usual practice for foundation models, e.g. OmniLearn).
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mlhad.exceptions import ModelError
from mlhad.progress import progress_bar

from .batching import iter_batches
from .features import FlatFeatures
from .model import PETEncoder

__all__ = ["EventClassifier", "finetune", "predict"]


class EventClassifier(nn.Module):
    """Encoder + MLP head giving one logit per event.

    Args:
        encoder: a (pretrained) :class:`PETEncoder`; used as is, not copied.
        hidden: width of the head's hidden layer.
    """

    def __init__(self, encoder: PETEncoder, hidden: int = 64) -> None:
        super().__init__()
        self.encoder = encoder
        d = encoder.config.d_event
        self.head = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, 1))

    def forward(self, features: torch.Tensor, mask: torch.Tensor, globals_: torch.Tensor) -> torch.Tensor:
        """``(B,)`` logits; ``sigmoid`` gives the probability of label 1."""
        return self.head(self.encoder(features, mask, globals_).event)[:, 0]


def _check_labels(flat: FlatFeatures, labels: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(labels)
    if labels.shape != (flat.n_events,):
        raise ModelError(f"labels must have shape ({flat.n_events},) (one per event), got {labels.shape}")
    if not np.isin(labels, (0, 1)).all():
        raise ModelError(f"labels must be 0 or 1, got values {np.unique(labels)[:5].tolist()}")
    w = np.ones(flat.n_events) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (flat.n_events,) or not np.isfinite(w).all():
        raise ModelError(f"weights must be {flat.n_events} finite numbers, got shape {w.shape}")
    return labels.astype(np.float32), w.astype(np.float32)


def finetune(
    encoder: PETEncoder,
    flat: FlatFeatures,
    labels: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    epochs: int = 3,
    batch_size: int = 256,
    lr: float = 3e-4,
    head_lr: float = 3e-3,
    weight_decay: float = 1e-4,
    freeze_encoder: bool = False,
    seed: int = 1,
    progress: bool = True,
) -> EventClassifier:
    """Train a copy of ``encoder`` with a classification head (binary cross entropy).

    Args:
        encoder: pretrained encoder; it is deep-copied, the original is not changed.
        flat: training events (:func:`mlhad.encoder.collect_features`).
        labels: ``(n_events,)`` 0/1 targets.
        weights: optional ``(n_events,)`` per-event weights in the loss.
        epochs, batch_size: passes over the data and events per step.
        lr, head_lr: peak learning rates of encoder and head (cosine decay).
        weight_decay: AdamW weight decay.
        freeze_encoder: train the head only (a nonlinear probe).
        seed: seed of initialisation and batch order (forked RNG, global state untouched).
        progress: show a progress bar.

    Returns:
        The trained :class:`EventClassifier` (eval mode).
    """
    y, w = _check_labels(flat, labels, weights)
    rng = np.random.default_rng(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        clf = EventClassifier(copy.deepcopy(encoder))
        for p in clf.encoder.parameters():
            p.requires_grad_(not freeze_encoder)
        groups = [{"params": clf.head.parameters(), "lr": head_lr}]
        if not freeze_encoder:
            groups.append({"params": clf.encoder.parameters(), "lr": lr})
        opt = torch.optim.AdamW(groups, weight_decay=weight_decay)
        total = epochs * -(-flat.n_events // batch_size)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1.0 + np.cos(np.pi * s / max(total, 1))))
        with progress_bar(total=total, desc="finetune", unit="step", disable=not progress) as bar:
            for _ in range(epochs):
                clf.train()
                for batch in iter_batches(flat, batch_size, rng=rng):
                    logits = clf(batch.features, batch.mask, batch.globals)
                    target = torch.from_numpy(y[batch.index])
                    loss = F.binary_cross_entropy_with_logits(logits, target, weight=torch.from_numpy(w[batch.index]))
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    sched.step()
                    bar.update(1)
    return clf.eval()


def predict(classifier: EventClassifier, flat: FlatFeatures, *, batch_size: int = 1024) -> np.ndarray:
    """``(n_events,)`` probabilities of label 1, in the order of ``flat``."""
    out = np.zeros(flat.n_events, dtype=np.float64)
    was_training = classifier.training
    classifier.eval()
    try:
        with torch.inference_mode():
            for batch in iter_batches(flat, batch_size, exact=True):
                out[batch.index] = torch.sigmoid(classifier(batch.features, batch.mask, batch.globals)).double().numpy()
    finally:
        classifier.train(was_training)
    return out
