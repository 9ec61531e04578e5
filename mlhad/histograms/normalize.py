"""Normalisations Rivet analyses apply in ``finalize()``, as pure functions.

Each takes a :class:`Histogram` and returns a new one (or, for :func:`density`, the
bin heights); the input is never modified. Errors propagate as for any linear scaling:
``sumw -> c sumw``, ``sumw2 -> c**2 sumw2``, so the error ``sqrt(sumw2)`` scales by |c|.

What Rivet/YODA mean by each (YODA 1.9 ``Histo1D``, Rivet 3/4 ``Analysis``):

- ``scale(h, c)``: multiply every bin (and the flows) by c.
- ``normalize(h, to)``: scale so that the *area* equals ``to``. YODA's area of a
  histogram is the sum of the bins' ``sumw`` (``Histo1D::integral() == sumW()``), which
  is the same number as the integral of the plotted density, sum(height * width), since
  height = sumw / width. Rivet's ``normalize(h, norm, includeoverflows=true)`` counts the
  under- and overflow in that area by default, so the visible bins then integrate to
  less than ``to`` when fills fell outside the range; ``include_flows`` reproduces that.
- ``per_event(h)``: Rivet's ``scale(h, 1/sumOfWeights())``: divide by the sum of *event*
  weights (all events the analysis saw), so a per-particle spectrum integrates to the
  mean multiplicity.
- ``density(h)``: heights ``sumw / width`` with errors ``sqrt(sumw2) / width``: what
  YODA's ``mkScatter`` plots and what reference data are compared to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlhad.exceptions import HistogramError
from mlhad.histograms.histogram import Histogram

__all__ = ["scale", "normalize", "per_event", "density", "Heights"]


def _per_column(value: object, h: Histogram, what: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(h.n_variations, float(arr))
    if arr.shape != (h.n_variations,):
        raise HistogramError(f"{what} must be a number or one per weight column ({h.n_variations},), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise HistogramError(f"{what} must be finite, got {arr.tolist()}")
    return arr


def scale(h: Histogram, factor: float | np.ndarray) -> Histogram:
    """Return ``h`` scaled by ``factor`` (a number or (K,) one per weight column).

    sumw and the x moments scale by c, sumw2 by c**2; numentries and the event counts do
    not change; ``scaled_by`` records the product of the factors.
    """
    return h._scaled(_per_column(factor, h, "scale factor"))


def _check_not_empty(h: Histogram, action: str) -> None:
    if h.numentries_all.sum() == 0 and h.n_events == 0:
        raise HistogramError(f"no events: cannot {action} an empty histogram (0 fills, 0 events)")


def normalize(h: Histogram, to: float | np.ndarray = 1.0, *, include_flows: bool = True) -> Histogram:
    """Return ``h`` scaled so that its area (sum of sumw) is ``to`` in every weight column.

    Args:
        h: Histogram to normalise.
        to: Target area, a number or (K,).
        include_flows: Count under/overflow in the area (Rivet's default, True).

    Raises:
        HistogramError: Empty histogram ("no events: cannot normalise ..."), or a weight
            column whose area is zero.

    Example:
        >>> h = Histogram([0.0, 1.0, 3.0]).fill([0.5, 2.0, 2.5])
        >>> density(normalize(h)).values.tolist()   # integral of heights * widths is 1
        [[0.3333333333333333, 0.3333333333333333]]
    """
    _check_not_empty(h, "normalise")
    sums = h.sumw_all if include_flows else h.sumw
    area = sums.sum(axis=1)
    zero = np.flatnonzero(area == 0)
    if zero.size:
        names = [h.variations[i] for i in zero]
        raise HistogramError(
            f"cannot normalise: zero area in weight column(s) {names} "
            f"({'including' if include_flows else 'excluding'} under/overflow); nothing was filled there"
        )
    return h._scaled(_per_column(to, h, "normalisation target") / area)


def per_event(h: Histogram) -> Histogram:
    """Return ``h`` divided by the sum of event weights (``Histogram.add_events``).

    Raises:
        HistogramError: No events were counted, or a column's event sum is zero.
    """
    if h.n_events == 0:
        raise HistogramError(
            "no events: cannot normalise per event; count every event with add_events(weights) while filling"
        )
    total = h.event_sumw
    if np.any(total == 0):
        names = [h.variations[i] for i in np.flatnonzero(total == 0)]
        raise HistogramError(f"cannot normalise per event: the event weights of column(s) {names} sum to zero")
    return h._scaled(1.0 / np.asarray(total))


@dataclass(frozen=True)
class Heights:
    """Bin heights with errors, per weight column: what gets compared to data.

    Attributes:
        edges: (n+1,) bin edges.
        values: (K, n) heights.
        errors: (K, n) symmetric errors.
        variations: K column names.
        per_width: True if divided by the bin width (a density).
    """

    edges: np.ndarray
    values: np.ndarray
    errors: np.ndarray
    variations: tuple[str, ...]
    per_width: bool = True


def density(h: Histogram, *, divide_by_width: bool = True) -> Heights:
    """Heights ``sumw / width`` and errors ``sqrt(sumw2) / width`` (YODA mkScatter).

    With ``divide_by_width=False`` the heights are the raw ``sumw`` and ``sqrt(sumw2)``.
    Empty bins have height 0 and error 0.
    """
    width = h.widths if divide_by_width else np.ones(h.n_bins)
    values = np.asarray(h.sumw) / width
    errors = np.sqrt(np.asarray(h.sumw2)) / width
    values.setflags(write=False)
    errors.setflags(write=False)
    return Heights(edges=h.edges, values=values, errors=errors, variations=h.variations, per_width=divide_by_width)
