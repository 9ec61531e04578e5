"""The tuning objective: Professor's chi2 between reference data and MC predictions.

What to use when:
    * :func:`build_target` -- reference objects (+ a Professor weight file) -> the
      :class:`FitTarget`: which data points enter the fit, with their values, symmetric
      errors and weights. Points with zero data error are filtered with a message (as
      Professor's ``--filter``); histograms without an MC counterpart are listed, never
      silently dropped.
    * :func:`chi2_terms` / :func:`chi2` -- the formula, a pure function of arrays that
      runs unchanged on numpy arrays and on torch tensors (so a reweighted prediction
      keeps its gradient).
    * :meth:`FitTarget.gather` -- ``{mc_path: (values, errors)}`` at the reference
      points -> the flat ``(n,)`` vectors the chi2 needs, in the target's order.

The definition (Professor 2, ``prof2-tune``'s ``simpleGoF``; identical to
:mod:`mlhad.compare.chi2`, which the tests check to 1e-12)::

    chi2 = sum_i w_i**2 (d_i - m_i)**2 / (s_i**2 + e_i**2)

with data value ``d_i`` and symmetric total error ``s_i`` (mean of the down and up
errors), MC value ``m_i`` and MC statistical error ``e_i`` (the delta-method error of
:mod:`mlhad.analysis.variance`), bin weight ``w_i`` from the weight file (default 1;
points with weight 0 are not in the target). ``ndf = n_points - n_free_parameters``.

Example:
    >>> import numpy as np
    >>> d, s, m, e, w = (np.array(v) for v in ([1.0, 2.0], [0.1, 0.2], [1.1, 2.0], [0.0, 0.0], [1.0, 2.0]))
    >>> round(float(chi2(m, e, d, s, w)), 10)
    1.0
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from mlhad.compare import WeightFile, reference_points, symmetric_error
from mlhad.compare.weights import WeightRule
from mlhad.exceptions import TuneError
from mlhad.yoda import YodaObject, strip_ref

__all__ = [
    "HistogramTarget",
    "FitTarget",
    "build_target",
    "chi2_terms",
    "chi2",
    "weight_file_of",
    "format_weight_file",
    "select_paths",
    "flat_index",
]


def chi2_terms(mc: Any, mc_err: Any, data: Any, data_err: Any, weights: Any) -> Any:
    """Per-point chi2 contributions ``w**2 (d - m)**2 / (s**2 + e**2)``.

    Pure arithmetic, so it works on numpy arrays and on torch tensors alike (the result
    keeps the autograd graph of ``mc`` and ``mc_err``).

    Args:
        mc, mc_err: ``(n,)`` MC values and statistical errors (same units as the data).
        data, data_err: ``(n,)`` data values and symmetric total errors.
        weights: ``(n,)`` bin weights (enter squared, as in Professor 2).

    Returns:
        ``(n,)`` contributions (dimensionless).
    """
    return weights * weights * (data - mc) ** 2 / (data_err * data_err + mc_err * mc_err)


def chi2(mc: Any, mc_err: Any, data: Any, data_err: Any, weights: Any) -> Any:
    """Sum of :func:`chi2_terms` (a 0-d numpy value or torch scalar)."""
    return chi2_terms(mc, mc_err, data, data_err, weights).sum()


@dataclass(frozen=True, eq=False)
class HistogramTarget:
    """The points of one reference histogram that enter the fit.

    Attributes:
        mc_path: MC path, ``/ALEPH_1996_S3486095/d17-x01-y01`` (``/REF`` removed).
        points: ``(k,)`` indices of the used points among the reference object's points.
        n_points_total: points of the reference object.
        xlow, xhigh: ``(k,)`` bin edges of the used points.
        data, data_err: ``(k,)`` values and symmetric total errors (Professor's error).
        weights: ``(k,)`` bin weights (> 0).
    """

    mc_path: str
    points: np.ndarray
    n_points_total: int
    xlow: np.ndarray
    xhigh: np.ndarray
    data: np.ndarray
    data_err: np.ndarray
    weights: np.ndarray

    @property
    def analysis(self) -> str:
        return self.mc_path.split("/")[1]

    @property
    def name(self) -> str:
        return self.mc_path.split("/")[-1]

    @property
    def n_points(self) -> int:
        return int(self.points.shape[0])


@dataclass(frozen=True, eq=False)
class FitTarget:
    """Every data point of a fit, grouped by histogram, with the flat vectors the chi2 uses.

    Attributes:
        histograms: the used histograms, in reference-file order.
        notes: human-readable messages about what was filtered or left out (zero
            errors, histograms without MC counterpart, weight-file rules matching nothing).
        left_out: ``{ref_path: reason}`` reference objects not used at all.
    """

    histograms: tuple[HistogramTarget, ...]
    notes: tuple[str, ...] = ()
    left_out: Mapping[str, str] = field(default_factory=dict)

    @property
    def paths(self) -> list[str]:
        return [h.mc_path for h in self.histograms]

    @property
    def analyses(self) -> list[str]:
        """Analyses with at least one used histogram, in order of appearance."""
        return list(dict.fromkeys(h.analysis for h in self.histograms))

    @property
    def n_points(self) -> int:
        return int(sum(h.n_points for h in self.histograms))

    def ndf(self, n_free: int) -> int:
        """Degrees of freedom, ``n_points - n_free`` (Professor's ``NDOF``)."""
        return self.n_points - int(n_free)

    @cached_property
    def data(self) -> np.ndarray:
        """``(n,)`` data values, histograms concatenated in order."""
        return np.concatenate([h.data for h in self.histograms])

    @cached_property
    def data_err(self) -> np.ndarray:
        return np.concatenate([h.data_err for h in self.histograms])

    @cached_property
    def weights(self) -> np.ndarray:
        return np.concatenate([h.weights for h in self.histograms])

    @cached_property
    def slices(self) -> dict[str, slice]:
        """``{mc_path: slice}`` of each histogram in the flat vectors."""
        out, start = {}, 0
        for h in self.histograms:
            out[h.mc_path] = slice(start, start + h.n_points)
            start += h.n_points
        return out

    def __getitem__(self, mc_path: str) -> HistogramTarget:
        for h in self.histograms:
            if h.mc_path == strip_ref(mc_path):
                return h
        raise KeyError(f"{mc_path} is not in the fit; fitted: {self.paths}")

    def gather(self, predictions: Mapping[str, tuple[Any, Any]]) -> tuple[Any, Any]:
        """Flat MC values and errors at the target's points.

        Args:
            predictions: ``{mc_path: (values, errors)}``, each ``(n_points_total,)`` at
                *all* reference points of the histogram (numpy arrays or torch tensors,
                e.g. :class:`mlhad.reweight.predict.HistogramPrediction` fields).

        Returns:
            ``(values, errors)``, each ``(n,)``, same type as the inputs.

        Raises:
            TuneError: a fitted histogram is missing or has the wrong number of points.
        """
        values, errors = [], []
        for h in self.histograms:
            if h.mc_path not in predictions:
                raise TuneError(f"no MC prediction for the fitted histogram {h.mc_path}; "
                                f"predictions exist for {sorted(predictions)[:5]}...")
            v, e = predictions[h.mc_path]
            if tuple(v.shape) != (h.n_points_total,):
                raise TuneError(f"{h.mc_path}: the MC prediction has {tuple(v.shape)} points, the reference "
                                f"{h.n_points_total}; data and MC binnings differ")
            values.append(v[h.points])
            errors.append(e[h.points])
        if hasattr(values[0], "detach"):
            import torch

            return torch.cat(values), torch.cat(errors)
        return np.concatenate(values), np.concatenate(errors)

    def chi2_per_histogram(self, terms: np.ndarray) -> dict[str, float]:
        """``{mc_path: chi2}`` from the flat ``(n,)`` terms."""
        t = np.asarray(terms, dtype=np.float64)
        return {p: float(t[s].sum()) for p, s in self.slices.items()}

    def as_torch(self) -> tuple[Any, Any, Any]:
        """``(data, data_err, weights)`` as float64 torch tensors (cached)."""
        cached = self.__dict__.get("_torch")
        if cached is None:
            import torch

            cached = tuple(torch.from_numpy(np.array(a, dtype=np.float64)) for a in
                           (self.data, self.data_err, self.weights))
            object.__setattr__(self, "_torch", cached)
        return cached


def _used_points(path: str, y: np.ndarray, err: np.ndarray, w: np.ndarray, *, filter_zero: bool,
                 source: str, notes: list[str]) -> np.ndarray:
    used = w > 0
    bad = used & ~(np.isfinite(y) & np.isfinite(err))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise TuneError(f"{source}: {path} point {i} has a non-finite value or error ({y[i]!r} +- {err[i]!r}); "
                        "fix the file or give the point weight 0 in the weight file")
    zero = used & (err <= 0)
    if zero.any():
        idx = np.flatnonzero(zero).tolist()
        if not filter_zero:
            raise TuneError(
                f"{source}: {path} has {len(idx)} point(s) with zero data error (points {idx}); the chi2 is "
                "undefined there: pass filter_zero_errors=True (--filter, as Professor) or give them weight 0"
            )
        notes.append(f"{path}: filtered {len(idx)} point(s) with zero data error (points {idx}), as Professor's --filter")
        used &= ~zero
    return np.flatnonzero(used)


def build_target(
    reference: Mapping[str, YodaObject],
    mc_paths: Iterable[str],
    *,
    weights: WeightFile | None = None,
    filter_zero_errors: bool = True,
    skipped: Mapping[str, str] | None = None,
    source: str = "reference data",
) -> FitTarget:
    """Select the data points of a fit.

    Args:
        reference: ``{path: Scatter2D/Estimate1D}`` (e.g. ``read_yoda(file)``); paths
            ``/REF/ANALYSIS/name``; bookkeeping objects are ignored.
        mc_paths: MC paths the simulation can predict (e.g. the keys of
            :func:`mlhad.analysis.analysis_contributions`).
        weights: Professor weight file; without one every point of every histogram with
            an MC counterpart has weight 1. With one, histograms no rule names are left
            out and each point takes the weight of the last rule covering it (0: out).
        filter_zero_errors: drop points with zero data error (with a note); if False
            they raise TuneError.
        skipped: ``{ref_path: reason}`` for reference objects known to have no MC
            counterpart (the registry's reasons), used in the notes.
        source: file name(s) for messages.

    Returns:
        :class:`FitTarget`.

    Raises:
        TuneError: no point left (no overlap between data and MC, or everything weighted
            0 or filtered), non-finite data, or zero errors with ``filter_zero_errors=False``.
    """
    available = set(mc_paths)
    reasons = dict(skipped or {})
    notes: list[str] = []
    left_out: dict[str, str] = {}
    used: list[HistogramTarget] = []
    seen_data: list[str] = []
    for path, ref in reference.items():
        if ref.is_bookkeeping:
            continue
        mc = strip_ref(path)
        seen_data.append(mc)
        if mc not in available:
            left_out[path] = reasons.get(path, "no MC prediction for this object")
            continue
        xlow, xhigh, y, dn, up = (np.asarray(a, dtype=np.float64) for a in reference_points(ref))
        err = symmetric_error(dn, up)
        if weights is None:
            w = np.ones(len(y))
        else:
            w_or_none = weights.point_weights(mc, xlow, xhigh)
            if w_or_none is None:
                left_out[path] = f"not named in the weight file {weights.source}"
                continue
            w = w_or_none
        idx = _used_points(mc, y, err, w, filter_zero=filter_zero_errors, source=source, notes=notes)
        if idx.size == 0:
            left_out[path] = "every point has weight 0 or was filtered"
            continue
        used.append(HistogramTarget(mc_path=mc, points=idx, n_points_total=len(y), xlow=xlow[idx], xhigh=xhigh[idx],
                                    data=y[idx], data_err=err[idx], weights=w[idx]))
    if weights is not None:
        for rule in weights.unused(seen_data):
            notes.append(f"{weights.source}, line {rule.line}: {rule.pattern!r} matches no data histogram")
    if not used:
        mc_list = sorted(available)
        raise TuneError(
            f"no data point to fit: none of the {len(seen_data)} histograms of {source} overlaps with the "
            f"{len(mc_list)} MC histograms (data e.g. {seen_data[:3]}, MC e.g. {mc_list[:3]})"
            + (f", or the weight file {weights.source} selects none of them" if weights is not None else "")
            + "; check that the data belong to an analysis mlhad knows (mlhad.registry) and that the weight "
              "file's paths have no /REF prefix"
        )
    return FitTarget(histograms=tuple(used), notes=tuple(notes), left_out=left_out)


def weight_file_of(target: FitTarget, *, source: str = "<fit target>") -> WeightFile:
    """The Professor weight file that selects exactly the target's points (for reports and reuse).

    One rule per used point, ``PATH#i WEIGHT``, after a rule giving the histogram weight 0.
    """
    import re

    rules: list[WeightRule] = []
    line = 0
    for h in target.histograms:
        pattern = re.escape(h.mc_path) + "$"
        line += 1
        rules.append(WeightRule(pattern=pattern, kind="", low=-np.inf, high=None, weight=0.0, line=line))
        for i, w in zip(h.points.tolist(), h.weights.tolist()):
            line += 1
            rules.append(WeightRule(pattern=pattern, kind="#", low=float(i), high=None, weight=float(w), line=line))
    return WeightFile(rules=tuple(rules), source=source)


def format_weight_file(target: FitTarget) -> str:
    """The target as Professor weight-file text, ranges merged (``PATH#i:j WEIGHT``)."""
    lines = ["# data points used in the fit (Professor weight-file syntax, 0-based point ranges)"]
    for h in target.histograms:
        pts, ws = h.points.tolist(), h.weights.tolist()
        if len(pts) == h.n_points_total and all(w == 1.0 for w in ws):
            lines.append(f"{h.mc_path}  1")
            continue
        start = 0
        for k in range(1, len(pts) + 1):
            if k == len(pts) or pts[k] != pts[k - 1] + 1 or ws[k] != ws[start]:
                lines.append(f"{h.mc_path}#{pts[start]}:{pts[k - 1] + 1}  {ws[start]:g}")
                start = k
    return "\n".join(lines) + "\n"


def select_paths(target: FitTarget, analysis: str) -> list[str]:
    """MC paths of the fitted histograms of one analysis."""
    return [h.mc_path for h in target.histograms if h.analysis == analysis]


def flat_index(target: FitTarget) -> Sequence[tuple[str, int]]:
    """``[(mc_path, point), ...]`` for every entry of the flat vectors (for tables and messages)."""
    return [(h.mc_path, int(i)) for h in target.histograms for i in h.points]

