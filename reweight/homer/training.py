"""One training loop for both HOMER networks: minibatches, early stopping, best state kept."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from mlhad.exceptions import ModelError
from mlhad.progress import progress_bar

__all__ = ["TrainingHistory", "train_with_early_stopping"]


@dataclass
class TrainingHistory:
    """Losses per epoch and where training stopped.

    Attributes:
        train_loss, val_loss: mean loss per epoch (training: over the epoch's batches).
        best_epoch: 0-based epoch whose state was kept (lowest validation loss).
        seconds: wall time of the training.
        stopped_early: True if the patience ran out before max_epochs.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = -1
    seconds: float = 0.0
    stopped_early: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"train_loss": self.train_loss, "val_loss": self.val_loss, "best_epoch": self.best_epoch,
                "seconds": self.seconds, "stopped_early": self.stopped_early}


def train_with_early_stopping(
    model: nn.Module,
    batch_loss: Callable[[np.ndarray], torch.Tensor],
    val_loss: Callable[[], float],
    *,
    n_train: int,
    batch_size: int,
    max_epochs: int,
    patience: int,
    learning_rate: float,
    weight_decay: float,
    seed: int,
    desc: str,
    progress: bool = True,
) -> TrainingHistory:
    """Minimise ``batch_loss`` with AdamW over shuffled minibatches; keep the best state.

    Args:
        model: the network (its parameters are optimised, its best state restored).
        batch_loss: loss of a minibatch given (k,) training-item indices.
        val_loss: loss on the validation split (called in eval mode, without gradients).
        n_train: number of training items (events).
        batch_size: items per step.
        max_epochs, patience: stop after ``patience`` epochs without a new best
            validation loss; the learning rate halves after ``max(1, patience // 3)``.
        learning_rate, weight_decay: AdamW.
        seed: seed of the shuffling.
        desc: progress-bar label.
        progress: show a progress bar (also silenced by MLHAD_NO_PROGRESS=1).

    Raises:
        ModelError: a loss became NaN or infinite (names the epoch).
    """
    rng = np.random.default_rng(seed)
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimiser, factor=0.5, patience=max(1, patience // 3))
    history = TrainingHistory()
    best = float("inf")
    best_state = copy.deepcopy(model.state_dict())
    since_best = 0
    start = time.perf_counter()
    bar = progress_bar(total=max_epochs, desc=desc, unit="epoch", disable=not progress)
    try:
        for epoch in range(max_epochs):
            model.train()
            order = rng.permutation(n_train)
            total, seen = 0.0, 0
            for first in range(0, n_train, batch_size):
                idx = order[first:first + batch_size]
                loss = batch_loss(idx)
                if not torch.isfinite(loss):
                    raise ModelError(f"{desc}: the training loss became {float(loss)} in epoch {epoch}; "
                                     "lower the learning rate or check the inputs for extreme values")
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(idx)
                seen += len(idx)
            model.eval()
            with torch.no_grad():
                current = float(val_loss())
            if not np.isfinite(current):
                raise ModelError(f"{desc}: the validation loss is {current} after epoch {epoch}")
            history.train_loss.append(total / max(seen, 1))
            history.val_loss.append(current)
            scheduler.step(current)
            if current < best:
                best, since_best, history.best_epoch = current, 0, epoch
                best_state = copy.deepcopy(model.state_dict())
            else:
                since_best += 1
            bar.update(1)
            bar.set_postfix(train=f"{history.train_loss[-1]:.4g}", val=f"{current:.4g}")
            if since_best >= patience:
                history.stopped_early = True
                break
    finally:
        bar.close()
    model.load_state_dict(best_state)
    model.eval()
    history.seconds = time.perf_counter() - start
    return history
