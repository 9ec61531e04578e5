"""Linear probes and AUCs with honest uncertainties, to compare event representations.

A linear probe is a logistic regression on frozen features: it measures how much of
the information that separates two samples a representation holds in linearly
readable form. Comparing two representations on the *same* test events, the paired
bootstrap of the AUC difference cancels the common fluctuation of the events and
gives a much smaller error on the difference than on either AUC alone.

Ref: E. R. DeLong et al., Biometrics 44 (1988) 837 (correlated AUCs); B. Efron,
R. Tibshirani, "An Introduction to the Bootstrap" (1993).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mlhad.exceptions import ModelError

__all__ = ["BASELINE_SHAPES", "BASELINE_MULTIPLICITIES", "baseline_observables", "linear_probe", "fit_linear_probe", "AUCSummary",
           "auc", "compare_aucs"]

#: Event shapes of the charged particles (as the ALEPH/DELPHI analyses), names of
#: :func:`mlhad.observables.compute`: the high-level representation the encoder is
#: compared with.
BASELINE_SHAPES = (
    "thrust", "thrust_major", "thrust_minor", "oblateness", "sphericity", "aplanarity", "planarity",
    "c_parameter", "d_parameter", "m2_heavy", "m2_light", "m2_diff", "b_wide", "b_narrow", "b_total",
    "b_diff", "neg_ln_y23", "y34", "n_charged",
)
#: Multiplicities of all final-state particles (the encoder's input set).
BASELINE_MULTIPLICITIES = ("multiplicity", "n_gamma")


def baseline_observables(events, *, beam_energy: float = 45.6) -> np.ndarray:
    """``(n_events, 21)`` high-level observables: ``BASELINE_SHAPES`` then ``BASELINE_MULTIPLICITIES``.

    Args:
        events: awkward events with ``particles`` (all columns the observables need).
        beam_energy: GeV (45.6 at LEP1).

    Undefined values (event shapes of events with < 2 charged particles) become 0.
    """
    from mlhad.observables import compute

    shapes = compute(events.particles, BASELINE_SHAPES, beam_energy=beam_energy, selection="charged")
    mult = compute(events.particles, BASELINE_MULTIPLICITIES, beam_energy=beam_energy, selection="final")
    columns = [np.asarray(shapes[k], float) for k in BASELINE_SHAPES]
    columns += [np.asarray(mult[k], float) for k in BASELINE_MULTIPLICITIES]
    return np.nan_to_num(np.stack(columns, axis=1))


def fit_linear_probe(train_x: np.ndarray, train_y: np.ndarray, *, c: float = 1.0, seed: int = 1,
                     sample_weight: np.ndarray | None = None):
    """Fit standardisation + L2 logistic regression; returns the scikit-learn pipeline.

    Args:
        train_x: ``(n_train, d)`` features.
        train_y: ``(n_train,)`` 0/1 labels.
        c: inverse L2 strength (scikit-learn's ``C``).
        seed: solver seed.
        sample_weight: optional ``(n_train,)`` per-event weights.

    Returns:
        A fitted ``Pipeline(StandardScaler, LogisticRegression)``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if not np.isfinite(train_x).all():
        raise ModelError(f"train_x has non-finite entries (rows {np.flatnonzero(~np.isfinite(train_x).all(1))[:5].tolist()})")
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000, random_state=seed))
    clf.fit(train_x, train_y, logisticregression__sample_weight=sample_weight)
    return clf


def linear_probe(
    train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, *, c: float = 1.0, seed: int = 1
) -> np.ndarray:
    """Fit standardisation + L2 logistic regression on train, return test probabilities.

    Args:
        train_x: ``(n_train, d)`` features.
        train_y: ``(n_train,)`` 0/1 labels.
        test_x: ``(n_test, d)`` features.
        c: inverse L2 strength (scikit-learn's ``C``).
        seed: solver seed.

    Returns:
        ``(n_test,)`` probability of label 1.
    """
    if not np.isfinite(test_x).all():
        raise ModelError(f"test_x has non-finite entries (rows {np.flatnonzero(~np.isfinite(test_x).all(1))[:5].tolist()})")
    return fit_linear_probe(train_x, train_y, c=c, seed=seed).predict_proba(test_x)[:, 1]


@dataclass(frozen=True)
class AUCSummary:
    """AUCs of several scores on the same events, with bootstrap errors.

    Attributes:
        auc: name -> ROC AUC.
        error: name -> bootstrap standard deviation of the AUC.
        diff: (a, b) -> AUC(a) - AUC(b).
        diff_error: (a, b) -> paired bootstrap standard deviation of the difference.
        n_boot: bootstrap replicas.
    """

    auc: dict[str, float]
    error: dict[str, float]
    diff: dict[tuple[str, str], float]
    diff_error: dict[tuple[str, str], float]
    n_boot: int

    def table(self) -> str:
        """A plain-text table for logs and docs."""
        lines = [f"{'representation':<28} {'AUC':>8} {'+-':>7}"]
        lines += [f"{k:<28} {v:8.4f} {self.error[k]:7.4f}" for k, v in self.auc.items()]
        for (a, b), d in self.diff.items():
            lines.append(f"AUC({a}) - AUC({b}) = {d:+.4f} +- {self.diff_error[(a, b)]:.4f} (paired bootstrap)")
        return "\n".join(lines)


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC by the Mann-Whitney rank sum (ties count one half).

    AUC = (R_1 - n_1 (n_1 + 1) / 2) / (n_1 n_0), with R_1 the sum of the (average) ranks
    of the label-1 scores: the probability that a random label-1 event scores above a
    random label-0 event. Equal to scikit-learn's ``roc_auc_score`` (tested), without
    its input validation, which dominates the cost of a bootstrap.

    >>> auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    from scipy.stats import rankdata

    labels = np.asarray(labels).astype(bool)
    n1 = int(labels.sum())
    n0 = labels.size - n1
    if n1 == 0 or n0 == 0:
        raise ModelError(f"an AUC needs both labels, got {n1} events with label 1 and {n0} with label 0")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def compare_aucs(labels: np.ndarray, scores: Mapping[str, np.ndarray], *, n_boot: int = 200, seed: int = 1) -> AUCSummary:
    """ROC AUC of each score, errors and all pairwise differences by a paired bootstrap.

    Args:
        labels: ``(n,)`` 0/1 truth.
        scores: name -> ``(n,)`` scores on the same events.
        n_boot: bootstrap replicas (events resampled with replacement, the same
            resampling for every score, hence "paired").
        seed: bootstrap seed.
    """
    labels = np.asarray(labels)
    if not scores:
        raise ModelError("compare_aucs needs at least one score")
    for name, s in scores.items():
        if np.shape(s) != labels.shape:
            raise ModelError(f"score {name!r} has shape {np.shape(s)}, labels {labels.shape}")
    names = list(scores)
    values = {k: float(auc(labels, scores[k])) for k in names}
    rng = np.random.default_rng(seed)
    boot = np.empty((n_boot, len(names)))
    for b in range(n_boot):
        idx = rng.integers(0, labels.size, labels.size)
        boot[b] = [auc(labels[idx], np.asarray(scores[k])[idx]) for k in names]
    error = {k: float(boot[:, i].std(ddof=1)) for i, k in enumerate(names)}
    diff, diff_error = {}, {}
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            b_ = names[j]
            diff[(a, b_)] = values[a] - values[b_]
            diff_error[(a, b_)] = float((boot[:, i] - boot[:, j]).std(ddof=1))
    return AUCSummary(auc=values, error=error, diff=diff, diff_error=diff_error, n_boot=n_boot)
