"""Configuration of a mismodelling diagnosis (frozen, validated, written with the report)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from mlhad.exceptions import InferenceError

__all__ = ["DiagnoseConfig"]


@dataclass(frozen=True)
class DiagnoseConfig:
    """What a diagnosis does.

    Attributes:
        n_design: quasi-random (Sobol) points of the parameter box, on top of its
            ``2**d`` corners and the best fit, at which every bin is predicted: the
            envelope of what the parameters can do, and the regression's training set.
        loss, f_scale: the best fit's loss (``soft_l1``, pseudo-Huber, by default: a
            few bins nothing can describe must not drag the fit of the rest; ``linear``
            is the plain chi2 of the tuner) and where it turns linear (in pulls).
        alpha: family-wise false-flag rate; an observable is flagged when its p-value
            is below ``alpha / n_observables`` (Bonferroni).
        refine: fit each flagged observable alone (local least squares from its best
            design point) for its smallest chi2 inside the box; False uses the design
            minimum (an upper bound).
        classifier: train the data-vs-MC replica classifier per observable.
        n_replicas: replicas per class for the classifier.
        degree: polynomial degree in x of the gap regression (capped by the number of
            bins minus one).
        max_gaps: at most this many flagged observables get plots and explanations.
        seed: seeds the design, the replicas and the classifier.
    """

    n_design: int = 256
    loss: str = "soft_l1"
    f_scale: float = 2.0
    alpha: float = 0.05
    refine: bool = True
    classifier: bool = True
    n_replicas: int = 400
    degree: int = 3
    max_gaps: int = 20
    seed: int = 1

    def __post_init__(self) -> None:
        for name, minimum in (("n_design", 8), ("n_replicas", 20), ("degree", 0), ("max_gaps", 1), ("seed", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise InferenceError(f"{name} must be an integer >= {minimum}, got {value!r}")
        if self.loss not in ("linear", "soft_l1", "huber", "cauchy"):
            raise InferenceError(f"loss must be linear, soft_l1, huber or cauchy, got {self.loss!r}")
        if not self.f_scale > 0:
            raise InferenceError(f"f_scale must be positive, got {self.f_scale!r}")
        if not 0 < self.alpha < 1:
            raise InferenceError(f"alpha must lie in (0, 1), got {self.alpha!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
