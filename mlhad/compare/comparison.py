"""Reference data against MC predictions, histogram by histogram: values, pulls, chi2/ndf.

:func:`compare_predictions` pairs every reference object with the MC prediction of the
same path (``/REF`` removed, as Rivet, Professor and Apprentice do), checks that their
binnings agree (:class:`~mlhad.exceptions.BinningMismatchError` naming the histogram
otherwise), and computes the chi2 of :mod:`mlhad.compare.chi2` with the data's total
errors and the MC statistical errors. Reference objects without MC counterpart are
listed with the reason, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from mlhad.analysis import Prediction
from mlhad.exceptions import HistogramError, RegistryError
from mlhad.histograms import check_binning, reference_edges
from mlhad.registry import mc_path as registry_mc_path
from mlhad.yoda import Estimate1D, Scatter2D, YodaObject, strip_ref

from .chi2 import chi2_terms, symmetric_error
from .weights import WeightFile

__all__ = ["HistogramComparison", "Comparison", "compare_predictions", "reference_points"]


@dataclass(frozen=True, eq=False)
class HistogramComparison:
    """One reference histogram against one MC weight column.

    Attributes:
        path: MC path; ``ref_path`` = ``/REF`` + path.
        normalisation: the MC normalisation (registry).
        xlow, xhigh: ``(n,)`` bin edges of the reference points.
        data, data_err_minus, data_err_plus: ``(n,)`` reference values and total errors.
        mc, mc_err: ``(n,)`` MC values and statistical errors at the points.
        weights: ``(n,)`` bin weights (1 without a weight file).
        terms: ``(n,)`` chi2 contributions.
        variation: the MC weight column compared.
    """

    path: str
    normalisation: str
    xlow: np.ndarray
    xhigh: np.ndarray
    data: np.ndarray
    data_err_minus: np.ndarray
    data_err_plus: np.ndarray
    mc: np.ndarray
    mc_err: np.ndarray
    weights: np.ndarray
    terms: np.ndarray
    variation: str = "w0"

    @property
    def ref_path(self) -> str:
        return "/REF" + self.path

    @property
    def analysis(self) -> str:
        return self.path.split("/")[1]

    @property
    def name(self) -> str:
        return self.path.split("/")[2]

    @property
    def chi2(self) -> float:
        return float(self.terms.sum())

    @property
    def ndf(self) -> int:
        """Points entering the chi2 (non-zero weight)."""
        return int((self.weights > 0).sum())

    @property
    def chi2_ndf(self) -> float:
        return self.chi2 / self.ndf if self.ndf else float("nan")

    @property
    def data_err(self) -> np.ndarray:
        """Symmetric data error used in the chi2 (mean of down and up)."""
        return symmetric_error(self.data_err_minus, self.data_err_plus)

    @property
    def pulls(self) -> np.ndarray:
        """``(m - d) / sqrt(s**2 + e**2)`` per point (unweighted)."""
        return (self.mc - self.data) / np.hypot(self.data_err, self.mc_err)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Every compared histogram, the total, and what was left out.

    Attributes:
        histograms: the comparisons, in reference-file order.
        skipped: ``{ref_path: reason}`` reference objects not compared.
        excluded: MC paths compared but left out of the total by the weight file.
        warnings: messages to show the user (unused weight rules, ...).
    """

    histograms: tuple[HistogramComparison, ...]
    skipped: Mapping[str, str] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def included(self) -> tuple[HistogramComparison, ...]:
        return tuple(h for h in self.histograms if h.path not in self.excluded and h.ndf > 0)

    @property
    def chi2(self) -> float:
        return float(sum(h.chi2 for h in self.included))

    @property
    def ndf(self) -> int:
        return int(sum(h.ndf for h in self.included))

    @property
    def chi2_ndf(self) -> float:
        return self.chi2 / self.ndf if self.ndf else float("nan")

    def worst_first(self) -> list[HistogramComparison]:
        """Histograms sorted by chi2/ndf, largest first (excluded ones last)."""
        return sorted(self.histograms, key=lambda h: (h.path in self.excluded or h.ndf == 0,
                                                      -(h.chi2_ndf if h.ndf else 0.0)))

    def __getitem__(self, path: str) -> HistogramComparison:
        key = strip_ref(path)
        for h in self.histograms:
            if h.path == key:
                return h
        raise KeyError(f"{path} was not compared")


def reference_points(ref: YodaObject) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(xlow, xhigh, y, yerr_minus, yerr_plus)`` of a Scatter2D or Estimate1D reference object."""
    if isinstance(ref, Scatter2D):
        return ref.xlow, ref.xhigh, ref.y, ref.yerr_minus, ref.yerr_plus
    if isinstance(ref, Estimate1D):
        dn, up = ref.total_errors()
        return ref.edges[:-1], ref.edges[1:], ref.values, np.abs(dn), np.abs(up)
    raise HistogramError(f"{ref.path}: a {ref.type_name} cannot be compared; expected Scatter2D or Estimate1D")


def _canonical(path: str) -> str:
    """The registry's MC path (analysis aliases such as ALEPH_1996_I428072 resolved), else ``path``."""
    try:
        return registry_mc_path(path)
    except RegistryError:
        return path


def _compare_one(ref: YodaObject, pred: Prediction, weights: np.ndarray | None, variation: int
                 ) -> HistogramComparison:
    check_binning(pred.path, reference_edges(ref, allow_gaps=True), pred.edges)
    xlow, xhigh, y, dn, up = reference_points(ref)
    if len(y) != len(pred.ref_bins):
        raise HistogramError(f"{pred.path}: the reference has {len(y)} points, the prediction {len(pred.ref_bins)}")
    mc, err = pred.at_reference(variation)
    w = np.ones(len(y)) if weights is None else weights
    terms = chi2_terms(y, symmetric_error(dn, up), mc, err, w, name=pred.path)
    return HistogramComparison(
        path=pred.path, normalisation=pred.normalisation, xlow=np.asarray(xlow), xhigh=np.asarray(xhigh),
        data=np.asarray(y), data_err_minus=np.asarray(dn), data_err_plus=np.asarray(up), mc=mc, mc_err=err,
        weights=w, terms=terms, variation=pred.variations[variation],
    )


def compare_predictions(
    reference: Mapping[str, YodaObject],
    predictions: Mapping[str, Prediction],
    *,
    weights: WeightFile | None = None,
    variation: int = 0,
    skipped: Mapping[str, str] | None = None,
) -> Comparison:
    """Compare every reference object that has a prediction.

    Args:
        reference: ``{path: Scatter2D/Estimate1D}`` (e.g. ``read_yoda(data_file)``);
            bookkeeping objects (``/RAW``, ``/_...``) are ignored.
        predictions: ``{mc_path: Prediction}`` from :func:`mlhad.analysis.predict`.
        weights: a Professor-style weight file; without one every point has weight 1.
        variation: the MC weight column to compare.
        skipped: reasons for reference objects known to have no MC counterpart.

    Returns:
        :class:`Comparison`.

    Raises:
        BinningMismatchError: data and MC binnings differ (names the histogram).
        HistogramError: a point with zero or non-finite total error.
    """
    reasons = dict(skipped or {})
    compared: list[HistogramComparison] = []
    excluded: list[str] = []
    left_out: dict[str, str] = {}
    for path, ref in reference.items():
        if ref.is_bookkeeping:
            continue
        mc_path = _canonical(strip_ref(path))
        pred = predictions.get(mc_path)
        if pred is None:
            left_out[path] = reasons.get(path, "no MC prediction for this object")
            continue
        xlow, xhigh, *_ = reference_points(ref)
        w = None if weights is None else weights.point_weights(mc_path, xlow, xhigh)
        if weights is not None and w is None:
            excluded.append(mc_path)
        compared.append(_compare_one(ref, pred, w, variation))
    messages = []
    if weights is not None:
        for rule in weights.unused([h.path for h in compared]):
            messages.append(f"{weights.source}, line {rule.line}: {rule.pattern!r} matches no compared histogram")
    return Comparison(histograms=tuple(compared), skipped=left_out, excluded=tuple(excluded), warnings=tuple(messages))
