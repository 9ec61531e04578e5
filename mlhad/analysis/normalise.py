"""Rivet's normalisation of each histogram, and the MC errors that go with it.

Per histogram (registry ``normalisation``; ``W`` = summed weight of accepted events):

===========  ==========================================  ===================================
mode         height (what the reference Scatter2D holds)  Rivet ``finalize()``
===========  ==========================================  ===================================
unit_area    ``sumw / (sum of all fills incl. flows) / width``  ``normalize(h)``
per_event    ``sumw / W / width``                         ``scale(h, 1/sumW)`` / ``normalize(h, <N>)``
fraction     ``sumw / W`` (no width division)             ALEPH d18: ``scale(h, 2/sumW)``, width 2
mean         ``sumw / W`` (one bin)                       ``scale(h, 1/sumW)``, bin width 1
profile      ``sumwy / sumw`` per bin                     ``Profile1D`` (not scaled)
===========  ==========================================  ===================================

Three MC errors are attached to every height (all ``(K, n)``, same units as the heights):

* ``errors`` -- the **statistical error used in the chi2**: the delta-method standard
  deviation of the normalised ratio with the event as independent unit
  (:mod:`mlhad.analysis.variance`): correct for several (correlated) fills per event and
  for the normalisation estimated from the same events;
* ``event_errors`` -- ``sqrt(sum_e (w_e count_eb)**2) / T``: the event-level error of the
  bin sum alone, ignoring the normalisation's own fluctuation (it exceeds ``errors`` by
  ``R_b**2 C / T**2`` in quadrature, e.g. for unit-area bins ``sqrt(R/N)`` vs ``sqrt(R(1-R)/N)``);
* ``yoda_errors`` -- ``sqrt(sumw2) / T``: what Rivet's YODA histogram shows (one ``w**2``
  per fill; for spectra it treats the fills of an event as independent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mlhad.exceptions import HistogramError
from mlhad.histograms import Histogram, scale

from .contributions import Contributions, HistogramContributions
from .fill import ProfileHistogram, accepted_sums, event_weights, fill
from .rowsums import row_layout, row_sums
from .variance import profile_variance, ratio_variance, yoda_profile_error

__all__ = ["Prediction", "normalise", "normalise_one", "predict", "PER_WIDTH"]

#: Normalisations whose heights are per unit x (divided by the bin width).
PER_WIDTH = {"unit_area": True, "per_event": True, "fraction": False, "mean": False, "profile": False}


@dataclass(frozen=True, eq=False)
class Prediction:
    """A normalised MC histogram, comparable with the reference points.

    Attributes:
        path: MC path (``/ALEPH_1996_S3486095/d01-x01-y01``).
        normalisation: the registry's normalisation.
        edges: ``(n+1,)`` bin edges.
        values: ``(K, n)`` heights, as the reference's y values.
        errors: ``(K, n)`` statistical errors used in the chi2 (delta method).
        event_errors: ``(K, n)`` event-level errors of the bin sums (see module docstring).
        yoda_errors: ``(K, n)`` Rivet/YODA's ``sqrt(sumw2)`` errors.
        ref_bins: ``(n_points,)`` bin of each reference point.
        variations: K weight-column names.
        histogram: the normalised :class:`~mlhad.histograms.Histogram` (what Rivet writes;
            its YODA heights equal ``values``) or the :class:`ProfileHistogram`.
        n_events: accepted events.
    """

    path: str
    normalisation: str
    edges: np.ndarray
    values: np.ndarray
    errors: np.ndarray
    event_errors: np.ndarray
    yoda_errors: np.ndarray
    ref_bins: np.ndarray
    variations: tuple[str, ...]
    histogram: Histogram | ProfileHistogram
    n_events: int

    @property
    def per_width(self) -> bool:
        return PER_WIDTH[self.normalisation]

    def at_reference(self, variation: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``(values, errors)`` of one weight column at the reference points, ``(n_points,)`` each."""
        return self.values[variation, self.ref_bins], self.errors[variation, self.ref_bins]


def _check_same_weights(h: Histogram | ProfileHistogram, c: HistogramContributions, w: np.ndarray | None,
                        w2: np.ndarray | None = None, memo: dict | None = None) -> None:
    if w is None:
        n_acc = float(c.accepted.sum())
        if h.n_variations != 1 or not np.allclose(h.event_sumw, n_acc) or not np.allclose(h.event_sumw2, n_acc):
            raise HistogramError(
                f"{c.path}: the histogram was filled with event weights (sum {np.asarray(h.event_sumw).tolist()} "
                f"for {int(n_acc)} accepted events); pass the same weights to normalise()"
            )
        return
    expected = accepted_sums(c.accepted, w, w * w if w2 is None else w2, memo)[0]
    if expected.shape != np.shape(h.event_sumw) or not np.allclose(h.event_sumw, expected, rtol=1e-10, atol=0.0):
        raise HistogramError(
            f"{c.path}: the weights given to normalise() are not those the histogram was filled with "
            f"(event sums {np.asarray(h.event_sumw).tolist()} vs {expected.tolist()})"
        )


def _normalise_profile(p: ProfileHistogram, c: HistogramContributions, w2: np.ndarray | None) -> Prediction:
    layout = row_layout(c)
    if c.sumy is None:
        raise HistogramError(f"{c.path}: profile contributions lack the profiled sums (sumy)")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = p.sumwy / p.sumw
        a = row_sums(layout, c.sumy**2, w2)
        b = row_sums(layout, c.sumy * c.count, w2)
        cc = row_sums(layout, c.count**2, w2)
        var = profile_variance(mean, p.sumw, a, b, cc)
        event_var = np.where(p.sumw != 0, a / (p.sumw * p.sumw), np.nan)
    yoda = yoda_profile_error(p.sumw, p.sumw2, p.sumwy, p.sumwy2)
    inner = slice(1, -1)
    return Prediction(
        path=c.path, normalisation=c.normalisation, edges=c.edges, values=mean[:, inner], errors=np.sqrt(var[:, inner]),
        event_errors=np.sqrt(event_var[:, inner]), yoda_errors=yoda[:, inner], ref_bins=c.ref_bins,
        variations=p.variations, histogram=p, n_events=p.n_events,
    )


def normalise_one(h: Histogram | ProfileHistogram, c: HistogramContributions, w: np.ndarray | None, *,
                  w2: np.ndarray | None = None, memo: dict | None = None) -> Prediction:
    """Normalise one filled histogram as Rivet does.

    Args:
        h: the filled histogram.
        c: its contributions.
        w: the checked C-contiguous ``(n_events, K)`` weights, or None for weight 1.
        w2: ``w**2`` if already computed.
        memo: cache of accepted-event weight sums shared between histograms.
    """
    if w is not None and w2 is None:
        w2 = w * w
    _check_same_weights(h, c, w, w2, memo)
    if isinstance(h, ProfileHistogram):
        return _normalise_profile(h, c, w2)
    mode = c.normalisation
    if h.n_events == 0 or np.any(h.event_sumw == 0):
        raise HistogramError(
            f"{c.path}: no accepted events (or event weights summing to zero) to normalise; the sample has "
            f"{c.n_events} events, {int(c.accepted.sum())} with at least {c.metadata.get('min_charged', 2)} charged particles"
        )
    layout = row_layout(c)
    sumw = np.asarray(h.sumw_all)
    if mode == "unit_area":
        total = sumw.sum(axis=1)
        if np.any(total == 0):
            raise HistogramError(f"{c.path}: nothing was filled (zero area): cannot normalise to unit area")
        t_event = np.bincount(c.event, weights=c.count, minlength=c.n_events)
        t_rows = t_event[c.event]
        cc = (t_event**2).sum()[None] if w2 is None else (t_event**2) @ w2
    elif mode in ("per_event", "fraction", "mean"):
        total = np.asarray(h.event_sumw, dtype=np.float64)
        t_rows = np.ones(c.n_rows)
        cc = np.asarray(h.event_sumw2, dtype=np.float64)
    else:
        raise HistogramError(f"{c.path}: unknown normalisation {mode!r}")
    ratio = sumw / total[:, None]
    a = row_sums(layout, c.count**2, w2)
    b = row_sums(layout, c.count * t_rows, w2)
    var = ratio_variance(ratio, total, a, b, np.broadcast_to(cc, total.shape))
    widths = c.widths
    per_width = PER_WIDTH[mode]
    inner = slice(1, -1)
    divide = widths if per_width else np.ones_like(widths)
    if per_width:
        scaled = scale(h, 1.0 / total)
    else:
        # Rivet scales these so that YODA's height sumw/width is the fraction or mean itself
        if not np.allclose(widths, widths[0], rtol=1e-9):
            raise HistogramError(f"{c.path}: '{mode}' bins must have equal widths, got {widths.tolist()}")
        scaled = scale(h, widths[0] / total)
    return Prediction(
        path=c.path, normalisation=mode, edges=c.edges, values=ratio[:, inner] / divide,
        errors=np.sqrt(var[:, inner]) / divide, event_errors=np.sqrt(a[:, inner]) / total[:, None] / divide,
        yoda_errors=np.sqrt(np.asarray(h.sumw2)) / total[:, None] / divide, ref_bins=c.ref_bins,
        variations=h.variations, histogram=scaled, n_events=h.n_events,
    )


def normalise(
    histograms: Mapping[str, Histogram | ProfileHistogram],
    contributions: Contributions,
    weights: object = None,
) -> dict[str, Prediction]:
    """Normalise filled histograms the way Rivet's analysis does, with MC errors.

    Args:
        histograms: ``{path: Histogram}`` from :func:`~mlhad.analysis.fill`.
        contributions: the contributions they were filled from.
        weights: the same event weights given to :func:`~mlhad.analysis.fill` (None for
            unit weights): the statistical errors need them event by event.

    Returns:
        ``{path: Prediction}`` with heights and errors comparable with the reference
        Scatter2D (see the module docstring for the three errors).

    Raises:
        HistogramError: no accepted events, zero area, or weights that are not those
            the histograms were filled with.
    """
    w = event_weights(contributions, weights)
    w2 = None if w is None else w * w
    memo: dict = {}
    return {p: normalise_one(h, contributions[p], w, w2=w2, memo=memo) for p, h in histograms.items()}


def predict(contributions: Contributions, weights: object = None, *, variations: list[str] | None = None
            ) -> dict[str, Prediction]:
    """:func:`fill` then :func:`normalise`, with the same weights: the usual one-liner."""
    return normalise(fill(contributions, weights, variations=variations), contributions, weights)
