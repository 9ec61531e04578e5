"""Fine-tuning: the pretrained encoder plus a small head, trained end to end on a label.

The typical task is the one the embedding is for: telling events of two hadronization
parameter points apart (a classifier whose output is the likelihood ratio used for
reweighting, HOMER step 1, or the diagnosis of a tune). The encoder gets a learning
rate ten times below the head's, so the few epochs adapt it without wiping out what
pretraining learnt (the usual practice for foundation models, e.g. OmniLearn).

Two heads (``head=``):

* ``"mlp"``: a freshly initialised MLP on the event embedding.
* ``"probe"``: a linear head that starts *at the linear probe* (standardisation +
  logistic regression fitted on the frozen embeddings of the training events, folded
  into one linear layer), so training starts from the probe's classifier and the
  early encoder updates are not spent undoing a random head ("LP-FT", Kumar et al.,
  arXiv:2202.10054). With ``validation=`` (early stopping on held-out events) the
  result can only move away from the probe where the held-out loss says it helps.

``layer_decay`` < 1 gives the deeper (earlier) parts of the encoder smaller learning
rates: ``lr`` for the last transformer block and the read-out, ``lr * layer_decay``
for the block below, and so on down to the input embeddings and the EdgeConv
(layer-wise learning-rate decay, as in ELECTRA / BEiT fine-tuning).
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

__all__ = ["EventClassifier", "finetune", "predict", "encoder_param_groups"]

HEADS = ("mlp", "probe")


class EventClassifier(nn.Module):
    """Encoder + head giving one logit per event.

    Args:
        encoder: a (pretrained) :class:`PETEncoder`; used as is, not copied.
        hidden: width of the MLP head's hidden layer.
        head: ``"mlp"`` (Linear-GELU-Linear) or ``"probe"`` (one linear layer, to be
            initialised from a linear probe by :func:`finetune`).

    Attributes:
        history: filled by :func:`finetune` with ``validation``: ``(events seen,
            held-out loss)`` at every check, the first before any update.
    """

    def __init__(self, encoder: PETEncoder, hidden: int = 64, head: str = "mlp") -> None:
        super().__init__()
        if head not in HEADS:
            raise ModelError(f"head must be one of {HEADS}, got {head!r}")
        self.encoder = encoder
        d = encoder.config.d_event
        if head == "mlp":
            self.head: nn.Module = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, 1))
        else:
            self.head = nn.Linear(d, 1)
        self.history: list[tuple[int, float]] = []

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


def encoder_param_groups(encoder: PETEncoder, lr: float, layer_decay: float = 1.0) -> list[dict]:
    """Optimiser groups with layer-wise decaying learning rates, every parameter once.

    Depth 0 (learning rate ``lr``): the last transformer block, the final LayerNorm, the
    read-out and the event head; depth i: block ``n_layers - 1 - i``; depth
    ``n_layers``: everything before the blocks (input and global embeddings, FiLM,
    EdgeConv, mask token).
    """
    if not 0.0 < layer_decay <= 1.0:
        raise ModelError(f"layer_decay must lie in (0, 1], got {layer_decay!r}")
    blocks = list(encoder.blocks)
    depth_params = [[*blocks[-1].parameters(), *encoder.final_norm.parameters(), *encoder.readout.parameters(),
                     *encoder.event_head.parameters()]] if blocks else [[]]
    depth_params += [list(b.parameters()) for b in reversed(blocks[:-1])]
    taken = {id(p) for group in depth_params for p in group}
    depth_params.append([p for p in encoder.parameters() if id(p) not in taken])
    return [{"params": group, "lr": lr * layer_decay**i} for i, group in enumerate(depth_params) if group]


def _probe_head(classifier: EventClassifier, flat: FlatFeatures, y: np.ndarray, w: np.ndarray, c: float) -> None:
    """Set the linear head to the linear probe of the frozen embeddings (standardised, L2 logistic)."""
    from .probe import fit_linear_probe

    emb = _forward_all(classifier.encoder, flat, classifier.encoder.config.d_event,
                       lambda out: out.event).astype(np.float64)
    (_, scaler), (_, reg) = fit_linear_probe(emb, y, c=c, sample_weight=w).steps
    weight = reg.coef_[0] / scaler.scale_
    with torch.no_grad():
        classifier.head.weight.copy_(torch.as_tensor(weight, dtype=torch.float32)[None])
        classifier.head.bias.fill_(float(reg.intercept_[0] - np.sum(weight * scaler.mean_)))


def _forward_all(module: nn.Module, flat: FlatFeatures, width: int | None, pick, *, batch_size: int = 1024
                 ) -> np.ndarray:
    """``pick(module(batch))`` for every event of ``flat`` in eval mode, in the order of ``flat``.

    ``width``: columns of the result (None: one value per event). The module's
    training mode is restored afterwards.
    """
    out = np.zeros(flat.n_events if width is None else (flat.n_events, width), dtype=np.float64)
    was_training = module.training
    module.eval()
    try:
        with torch.inference_mode():
            for batch in iter_batches(flat, batch_size, exact=True):
                out[batch.index] = pick(module(batch.features, batch.mask, batch.globals)).double().numpy()
    finally:
        module.train(was_training)
    return out


def _loss(classifier: EventClassifier, flat: FlatFeatures, y: np.ndarray, w: np.ndarray) -> float:
    """Weighted mean binary cross entropy of the classifier on ``flat``."""
    logits = _forward_all(classifier, flat, None, lambda out: out)
    per_event = np.logaddexp(0.0, logits) - y * logits
    return float(np.sum(w * per_event) / np.sum(w))


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
    head: str = "mlp",
    layer_decay: float = 1.0,
    probe_c: float = 1.0,
    validation: tuple[FlatFeatures, np.ndarray] | None = None,
    eval_every: int | None = None,
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
        lr, head_lr: peak learning rates of encoder (its last block, see ``layer_decay``)
            and head (cosine decay over ``epochs``).
        weight_decay: AdamW weight decay.
        freeze_encoder: train the head only (a nonlinear probe).
        head: ``"mlp"`` (random init) or ``"probe"`` (linear, starts at the linear probe).
        layer_decay: learning-rate factor per encoder depth (:func:`encoder_param_groups`).
        probe_c: inverse L2 strength of the initialising probe (``head="probe"``).
        validation: ``(features, labels)`` of held-out events: the held-out loss is
            checked before training and every ``eval_every`` training events, and the
            state of lowest held-out loss is returned (early stopping; its history in
            ``classifier.history``).
        eval_every: training events between checks (default: one epoch).
        seed: seed of initialisation and batch order (forked RNG, global state untouched).
        progress: show a progress bar.

    Returns:
        The trained :class:`EventClassifier` (eval mode).
    """
    y, w = _check_labels(flat, labels, weights)
    if validation is not None:
        val_flat, val_labels = validation
        val_y, val_w = _check_labels(val_flat, val_labels, None)
    if eval_every is not None and (validation is None or eval_every <= 0):
        raise ModelError(f"eval_every needs validation events and a positive value, got {eval_every!r}")
    every = eval_every or flat.n_events
    rng = np.random.default_rng(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        clf = EventClassifier(copy.deepcopy(encoder), head=head)
        if head == "probe":
            _probe_head(clf, flat, y, w, probe_c)
        for p in clf.encoder.parameters():
            p.requires_grad_(not freeze_encoder)
        groups = [{"params": clf.head.parameters(), "lr": head_lr}]
        if not freeze_encoder:
            groups += encoder_param_groups(clf.encoder, lr, layer_decay)
        opt = torch.optim.AdamW(groups, weight_decay=weight_decay)
        total = epochs * -(-flat.n_events // batch_size)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1.0 + np.cos(np.pi * s / max(total, 1))))
        best = None
        if validation is not None:
            clf.history.append((0, _loss(clf, val_flat, val_y, val_w)))
            best = (clf.history[0][1], copy.deepcopy(clf.state_dict()))
        seen, next_check = 0, every
        with progress_bar(total=total, desc="finetune", unit="step", disable=not progress) as bar:
            clf.train()       # the held-out checks (_loss) restore the training mode
            for _ in range(epochs):
                for batch in iter_batches(flat, batch_size, rng=rng):
                    logits = clf(batch.features, batch.mask, batch.globals)
                    target = torch.from_numpy(y[batch.index])
                    loss = F.binary_cross_entropy_with_logits(logits, target, weight=torch.from_numpy(w[batch.index]))
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    sched.step()
                    bar.update(1)
                    seen += len(batch.index)
                    if best is not None and (seen >= next_check or seen == epochs * flat.n_events):
                        next_check += every
                        clf.history.append((seen, _loss(clf, val_flat, val_y, val_w)))
                        if clf.history[-1][1] < best[0]:
                            best = (clf.history[-1][1], copy.deepcopy(clf.state_dict()))
        if best is not None:
            history = clf.history
            clf.load_state_dict(best[1])
            clf.history = history
    return clf.eval()


def predict(classifier: EventClassifier, flat: FlatFeatures, *, batch_size: int = 1024) -> np.ndarray:
    """``(n_events,)`` probabilities of label 1, in the order of ``flat``."""
    return _forward_all(classifier, flat, None, torch.sigmoid, batch_size=batch_size)
