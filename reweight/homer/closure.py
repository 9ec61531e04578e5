"""Closure numbers: how well weighted simulation reproduces data, bin by bin.

For an event-level observable, :func:`compare_observable` bins data and simulation
with the same edges (quantiles of the data, so every bin holds data) and compares the
normalised shapes f_b = S_b / S. The variance of a weighted fraction is the delta-method
one, [(1 - 2 f_b) sum_{i in b} w_i^2 + f_b^2 sum_i w_i^2] / S^2 (multinomial for unit
weights). The pull of a bin is (f_pred - f_data) / sqrt(var_pred + var_data); data and
simulation are independent samples, so for a correct weighting the pulls are ~N(0, 1)
and about 95% of bins lie within 2 standard deviations ("within statistical errors" in
the report means |pull| < 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mlhad.exceptions import HistogramError
from mlhad.io import Sample
from mlhad.reweight.base import FragmentationBase

__all__ = ["ObservableComparison", "bin_edges", "shape", "compare_observable", "closure_summary", "exact_truth",
           "PULL_LIMIT"]

#: A bin agrees within statistical errors if |pull| < PULL_LIMIT (95.4% for a perfect model).
PULL_LIMIT = 2.0


def bin_edges(x: np.ndarray, n_bins: int = 20) -> np.ndarray:
    """Edges at quantiles of x (finite values); integer-valued x gets half-integer edges."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise HistogramError("no finite values to bin")
    q = np.quantile(x, np.linspace(0.0, 1.0, n_bins + 1))
    if np.all(x == np.round(x)):
        q = np.round(q) + 0.5
        q[0] = np.min(x) - 0.5
    edges = np.unique(q)
    if edges.size < 2:
        edges = np.array([x.min() - 0.5, x.max() + 0.5])
    return edges


def shape(x: np.ndarray, weights: np.ndarray | None, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised fractions per bin and their standard errors.

    The outer bins are open (values beyond the edges count in them); NaN values are left
    out of the normalisation.

    Returns:
        ``(fractions, errors)``, each (n_bins,).
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    ok = np.isfinite(x)
    x, w = x[ok], w[ok]
    n_bins = edges.size - 1
    index = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, n_bins - 1)
    s_b = np.bincount(index, w, n_bins)
    s2_b = np.bincount(index, w * w, n_bins)
    total = s_b.sum()
    if total <= 0:
        raise HistogramError("the weights sum to zero: cannot normalise")
    f = s_b / total
    var = ((1 - 2 * f) * s2_b + f * f * np.sum(w * w)) / total**2
    return f, np.sqrt(np.clip(var, 0.0, None))


@dataclass(frozen=True)
class ObservableComparison:
    """Data against (weighted) simulation for one observable.

    Attributes:
        name: observable name.
        fitted: True if step 1 used it.
        edges: (b + 1,) bin edges (outer bins open).
        data, data_err: (b,) data fractions and errors.
        predictions: label -> (fractions, errors) for the simulation under each weighting.
    """

    name: str
    fitted: bool
    edges: np.ndarray
    data: np.ndarray
    data_err: np.ndarray
    predictions: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def pulls(self, label: str) -> np.ndarray:
        f, e = self.predictions[label]
        return (f - self.data) / np.sqrt(e**2 + self.data_err**2)

    def fraction_within(self, label: str, limit: float = PULL_LIMIT) -> float:
        return float(np.mean(np.abs(self.pulls(label)) < limit))

    def chi2(self, label: str) -> tuple[float, int]:
        p = self.pulls(label)
        return float(np.sum(p**2)), int(p.size)


def compare_observable(name: str, x_sim: np.ndarray, x_data: np.ndarray, weights: Mapping[str, np.ndarray | None],
                       *, fitted: bool, n_bins: int = 20) -> ObservableComparison:
    """Bin data and the simulation under several weightings with the same edges.

    Args:
        name: observable name.
        x_sim, x_data: (n_sim,), (n_data,) values.
        weights: label -> (n_sim,) weights (None: unweighted simulation).
        fitted: whether step 1 used the observable.
        n_bins: bins (quantiles of the data; fewer for discrete observables).
    """
    edges = bin_edges(x_data, n_bins)
    f_data, e_data = shape(x_data, None, edges)
    predictions = {label: shape(x_sim, w, edges) for label, w in weights.items()}
    return ObservableComparison(name=name, fitted=fitted, edges=edges, data=f_data, data_err=e_data,
                                predictions=predictions)


def closure_summary(comparisons: Sequence[ObservableComparison], label: str) -> dict[str, float]:
    """Fraction of bins within errors and chi2 per bin, for fitted and held-out observables."""
    out: dict[str, float] = {}
    for group, wanted in (("fitted", True), ("held_out", False)):
        chosen = [c for c in comparisons if c.fitted == wanted and label in c.predictions]
        if not chosen:
            continue
        pulls = np.concatenate([c.pulls(label) for c in chosen])
        out[f"{group}_fraction_within"] = float(np.mean(np.abs(pulls) < PULL_LIMIT))
        out[f"{group}_chi2_per_bin"] = float(np.mean(pulls**2))
        out[f"{group}_bins"] = int(pulls.size)
    return out


def exact_truth(sim: Sample, data: Sample) -> dict[str, float] | None:
    """The parameter point of a generated "data" sample, if exact reweighting can reach it.

    Returns the canonical parameters that differ (e.g. ``{"StringZ:bLund": 1.1}``) when
    the two samples differ only in parameters mlhad reweights exactly, else None (real
    data, or other settings changed).
    """
    try:
        b_sim = FragmentationBase.from_metadata(sim.metadata)
        b_data = FragmentationBase.from_metadata(data.metadata)
    except Exception:  # real data or samples without the metadata: no truth
        return None
    fixed = ("aExtraSQuark", "aExtraDiquark", "useOldAExtra", "mc", "mb")
    if any(getattr(b_sim, k) != getattr(b_data, k) for k in fixed):
        return None
    p_sim, p_data = b_sim.point(), b_data.point()
    point = {k: v for k, v in p_data.items() if v != p_sim[k]}
    other = set(sim.metadata.get("pythia_settings", [])) ^ set(data.metadata.get("pythia_settings", []))
    # mlhad records the pT-draw statistics through a VariationFrag list derived from StringPT:sigma
    if any(not s.split("=")[0].strip().startswith(("StringZ:", "StringPT:", "VariationFrag:")) for s in other):
        return None
    return point or None
