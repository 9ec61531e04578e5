"""Fill histograms from contributions with any event weights: no observable is recomputed.

With ``K`` weight columns ``w`` (``(n_events, K)``), each histogram's bin sums are sums
over its sparse rows (see :mod:`mlhad.analysis.sparse`)::

    sumw[k, b]  = sum_{rows in b} w[event, k] * count        sumw2[k, b] = sum w**2 * count2
    sumwx[k, b] = sum w * sumx                                sumwx2      = sum w * sumx2
    W[k] = sum(w[accepted, k])      (the normalisation, Rivet's sumOfWeights of accepted events)

computed for all K columns at once as sparse-matrix products (:mod:`mlhad.analysis.rowsums`):
the cost is ``rows x K`` multiply-adds, whatever the observables cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlhad.exceptions import HistogramError
from mlhad.histograms import Histogram
from mlhad.histograms.fill import check_weights
from mlhad.yoda import Profile1D

from .contributions import Contributions, HistogramContributions
from .rowsums import row_layout, row_sums

__all__ = ["fill", "fill_one", "accepted_sums", "ProfileHistogram", "event_weights"]


@dataclass(frozen=True, eq=False)
class ProfileHistogram:
    """A filled profile (DELPHI d09, d10): per x bin, the weighted sums of the profiled value y.

    Attributes:
        edges: ``(n+1,)`` bin edges.
        sumw, sumw2, sumwx, sumwx2, sumwy, sumwy2, sumwxy: ``(K, n+2)`` sums with the flows
            (index 0 underflow, n+1 overflow), YODA's Dbn2D moments.
        numentries: ``(n+2,)`` fills per bin.
        event_sumw, event_sumw2: ``(K,)`` sums of the accepted events' weights.
        n_events: accepted events.
        variations: K column names.
    """

    edges: np.ndarray
    sumw: np.ndarray
    sumw2: np.ndarray
    sumwx: np.ndarray
    sumwx2: np.ndarray
    sumwy: np.ndarray
    sumwy2: np.ndarray
    sumwxy: np.ndarray
    numentries: np.ndarray
    event_sumw: np.ndarray
    event_sumw2: np.ndarray
    n_events: int
    variations: tuple[str, ...]

    @property
    def n_variations(self) -> int:
        return len(self.variations)

    def to_yoda(self, path: str, variation: int = 0) -> Profile1D:
        """One weight column as a YODA Profile1D."""
        k = variation
        dbn = np.column_stack([self.sumw[k], self.sumw2[k], self.sumwx[k], self.sumwx2[k], self.sumwy[k],
                               self.sumwy2[k], self.sumwxy[k], self.numentries])
        return Profile1D(path=path, edges=self.edges, dbn=dbn, annotations={"Title": "~"})


def event_weights(contributions: Contributions, weights: object = None) -> np.ndarray | None:
    """Check event weights against the sample: None, ``(n_events,)`` or ``(n_events, K)`` float64.

    Raises:
        HistogramError: wrong length or shape, non-numeric, or NaN/inf weights (how many
            and the first one), naming the sample size expected.
    """
    if weights is None:
        return None
    arr = np.asarray(weights)
    if arr.ndim not in (1, 2):
        raise HistogramError(f"event weights must be (n_events,) or (n_events, K), got shape {arr.shape}")
    if arr.shape[0] != contributions.n_events:
        raise HistogramError(
            f"{arr.shape[0]} event weights for a sample of {contributions.n_events} events "
            f"({contributions.analysis}); give one weight (row) per event, in the sample's order"
        )
    k = 1 if arr.ndim == 1 else arr.shape[1]
    if k < 1:
        raise HistogramError("event weights have zero columns")
    checked = check_weights(arr, contributions.n_events, k)
    return np.ascontiguousarray(np.asarray(checked, dtype=np.float64).reshape(contributions.n_events, k))


def _column_names(k: int, variations: Sequence[str] | None) -> tuple[str, ...]:
    if variations is None:
        return tuple(f"w{i}" for i in range(k))
    names = tuple(variations)
    if len(names) != k:
        raise HistogramError(f"{len(names)} variation names for {k} weight columns")
    return names


def accepted_sums(accepted: np.ndarray, weights: np.ndarray, weights2: np.ndarray,
                  memo: dict[int, tuple[np.ndarray, np.ndarray]] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(sum w, sum w**2)`` over the accepted events, ``(K,)`` each; ``memo`` shares them between
    histograms with the same (identical) acceptance array."""
    key = id(accepted)
    if memo is not None and key in memo:
        return memo[key]
    acc = accepted.astype(np.float64)
    out = (acc @ weights, acc @ weights2)
    if memo is not None:
        memo[key] = out
    return out


def fill_one(h: HistogramContributions, weights: np.ndarray | None, variations: tuple[str, ...], *,
             weights2: np.ndarray | None = None, memo: dict | None = None) -> Histogram | ProfileHistogram:
    """Fill one histogram from its contributions.

    Args:
        h: the histogram's contributions.
        weights: checked C-contiguous ``(n_events, K)`` weights, or None for weight 1.
        variations: K column names.
        weights2: ``weights**2`` if already computed (shared between histograms).
        memo: cache of :func:`accepted_sums` shared between the histograms of one call.
    """
    layout = row_layout(h)
    n = layout.n_storage
    k = len(variations)
    w2 = None if weights is None else (weights * weights if weights2 is None else weights2)
    if weights is None:
        event_sumw = np.full(k, float(h.accepted.sum()))
        event_sumw2 = event_sumw.copy()
    else:
        event_sumw, event_sumw2 = accepted_sums(h.accepted, weights, w2, memo)  # type: ignore[arg-type]
    numentries = np.bincount(layout.index, weights=h.n_fills, minlength=n)
    sums = {
        "sumw": row_sums(layout, h.count, weights),
        "sumw2": row_sums(layout, h.count2, w2),
        # without x moments (moments=False) YODA's sumwx stay 0; write_predictions refuses them
        "sumwx": row_sums(layout, h.sumx, weights) if h.sumx is not None else np.zeros((k, n)),
        "sumwx2": row_sums(layout, h.sumx2, weights) if h.sumx2 is not None else np.zeros((k, n)),
    }
    if h.normalisation == "profile":
        if h.sumy is None or h.sumy2 is None or h.sumxy is None:
            raise HistogramError(f"{h.path}: profile contributions lack the profiled sums (sumy, sumy2, sumxy)")
        return ProfileHistogram(
            edges=h.edges, **sums, sumwy=row_sums(layout, h.sumy, weights), sumwy2=row_sums(layout, h.sumy2, weights),
            sumwxy=row_sums(layout, h.sumxy, weights), numentries=numentries, event_sumw=event_sumw,
            event_sumw2=event_sumw2, n_events=int(h.accepted.sum()), variations=variations,
        )
    return _histogram(h.edges, sums, numentries, event_sumw, event_sumw2, int(h.accepted.sum()), variations)


def _histogram(edges: np.ndarray, sums: dict[str, np.ndarray], numentries: np.ndarray, event_sumw: np.ndarray,
               event_sumw2: np.ndarray, n_events: int, variations: tuple[str, ...]) -> Histogram:
    return Histogram.from_sums(edges, sumw=sums["sumw"], sumw2=sums["sumw2"], sumwx=sums["sumwx"],
                               sumwx2=sums["sumwx2"], numentries=numentries, event_sumw=event_sumw,
                               event_sumw2=event_sumw2, n_events=n_events, variations=variations)


def fill(
    contributions: Contributions,
    weights: object = None,
    *,
    variations: Sequence[str] | None = None,
    paths: Sequence[str] | None = None,
) -> dict[str, Histogram | ProfileHistogram]:
    """Fill every histogram of ``contributions`` with event weights.

    Args:
        contributions: from :func:`~mlhad.analysis.analysis_contributions`.
        weights: None (weight 1), ``(n_events,)`` or ``(n_events, K)`` event weights in
            the sample's event order (e.g. reweighting variations, column 0 nominal).
        variations: K lowercase column names (default ``w0, w1, ...``).
        paths: fill only these histograms (default all).

    Returns:
        ``{mc_path: Histogram}`` (raw sums, YODA's sumw2 convention: each fill adds
        ``w**2``; ``event_sumw`` = sum of the accepted events' weights), and
        :class:`ProfileHistogram` for profiles. Normalise with
        :func:`~mlhad.analysis.normalise`.

    Raises:
        HistogramError: weights of the wrong length/shape or with NaN/inf entries.
    """
    w = event_weights(contributions, weights)
    names = _column_names(1 if w is None else w.shape[1], variations)
    w2 = None if w is None else w * w
    selected = list(contributions) if paths is None else [contributions[p].path for p in paths]
    memo: dict = {}
    return {p: fill_one(contributions[p], w, names, weights2=w2, memo=memo) for p in selected}
