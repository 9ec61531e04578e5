"""Seeded train / validation / test split of a sample's events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlhad.exceptions import InferenceError

__all__ = ["Split", "split_events"]


@dataclass(frozen=True)
class Split:
    """Sorted event indices of the three parts."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    @property
    def fit(self) -> np.ndarray:
        """Training and validation events together (sorted)."""
        return np.sort(np.concatenate([self.train, self.val]))


def split_events(n: int, validation_fraction: float, test_fraction: float, seed: int, *, minimum: int = 10) -> Split:
    """Random disjoint parts of ``range(n)``.

    Raises:
        InferenceError: a part would hold fewer than ``minimum`` events.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_test = int(round(test_fraction * n))
    n_val = int(round(validation_fraction * n))
    n_train = n - n_test - n_val
    if min(n_test, n_val, n_train) < minimum:
        raise InferenceError(
            f"{n} events cannot be split into training ({n_train}), validation ({n_val}) and test ({n_test}) parts "
            f"of at least {minimum} events each; give more events"
        )
    return Split(train=np.sort(order[:n_train]), val=np.sort(order[n_train:n_train + n_val]),
                 test=np.sort(order[n_train + n_val:]))
