"""The observed data vector: which reference points enter, their values, errors and weights.

An :class:`Observation` is the concatenation, histogram by histogram, of the reference
points that an inference or a diagnosis uses: the data value ``d``, the symmetric total
error ``s`` (mean of the down and up errors, as Professor and :mod:`mlhad.compare`)
and the bin weight ``w`` of a Professor-style weight file (1 by default; ``w = 0``
points are left out). Reference objects that cannot be used are listed with the reason
in :attr:`Observation.skipped`: objects the registry does not know, objects Rivet never
fills, bookkeeping, profiles (not predicted by reweighting), analyses mlhad does not
know, and histograms a weight file leaves out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mlhad.analysis import Contributions
from mlhad.compare import read_data, reference_points, symmetric_error
from mlhad.compare.weights import WeightFile, read_weights
from mlhad.exceptions import InferenceError, RegistryError
from mlhad.registry import analysis as registry_analysis
from mlhad.yoda import YodaObject, strip_ref

__all__ = ["HistogramSelection", "Observation", "read_references", "build_observation"]


@dataclass(frozen=True, eq=False)
class HistogramSelection:
    """One histogram's share of the data vector.

    Attributes:
        analysis: Rivet name of the analysis.
        path: MC path (``/ALEPH_1996_S3486095/d03-x01-y01``).
        points: ``(n,)`` indices of the reference points used (in the reference object).
        start, stop: slice of the concatenated vector.
        normalisation: the registry's normalisation of the histogram.
    """

    analysis: str
    path: str
    points: np.ndarray
    start: int
    stop: int
    normalisation: str

    @property
    def slice(self) -> slice:
        return slice(self.start, self.stop)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True, eq=False)
class Observation:
    """The data vector of an inference (all arrays ``(n_points,)``, histogram order).

    Attributes:
        histograms: the selected histograms with their slices.
        values: data values ``d``.
        errors: symmetric total data errors ``s``.
        weights: Professor bin weights ``w > 0``.
        xlow, xhigh: bin edges of every point.
        skipped: ``{ref_path: reason}`` reference objects not used.
        dropped: ``{"path#i": reason}`` single points not used (zero error, NaN, weight 0).
    """

    histograms: tuple[HistogramSelection, ...]
    values: np.ndarray
    errors: np.ndarray
    weights: np.ndarray
    xlow: np.ndarray
    xhigh: np.ndarray
    skipped: Mapping[str, str] = field(default_factory=dict)
    dropped: Mapping[str, str] = field(default_factory=dict)

    @property
    def n_points(self) -> int:
        return int(self.values.shape[0])

    @property
    def analyses(self) -> list[str]:
        return list(dict.fromkeys(h.analysis for h in self.histograms))

    @property
    def paths(self) -> list[str]:
        return [h.path for h in self.histograms]

    def histogram(self, path: str) -> HistogramSelection:
        key = strip_ref(path)
        for h in self.histograms:
            if h.path == key:
                return h
        raise KeyError(f"{path} is not part of the observation; it holds {self.paths}")

    def group_index(self) -> np.ndarray:
        """``(n_points,)`` index of the histogram each point belongs to."""
        out = np.empty(self.n_points, dtype=np.int64)
        for i, h in enumerate(self.histograms):
            out[h.slice] = i
        return out

    def noise_scale(self, mc_errors: np.ndarray | None = None) -> np.ndarray:
        """Standard deviation of a pseudo-observation: ``sqrt(s**2 + e**2) / w``.

        The chi2 of :mod:`mlhad.compare` weighs a point by ``w**2 / (s**2 + e**2)``; a
        Gaussian with this standard deviation has exactly that chi2 as ``-2 log L``.

        Args:
            mc_errors: ``(..., n_points)`` MC statistical errors (0 if None).
        """
        e2 = 0.0 if mc_errors is None else np.square(mc_errors)
        return np.sqrt(np.square(self.errors) + e2) / self.weights

    def with_values(self, values: np.ndarray, errors: np.ndarray | None = None) -> Observation:
        """The same selection with other data values (pseudo-data) and optionally errors."""
        v = np.asarray(values, dtype=np.float64)
        if v.shape != self.values.shape:
            raise InferenceError(f"pseudo-data must have shape {self.values.shape}, got {v.shape}")
        e = self.errors if errors is None else np.asarray(errors, dtype=np.float64)
        if e.shape != self.errors.shape or np.any(~np.isfinite(e)) or np.any(e <= 0):
            raise InferenceError("pseudo-data errors must be finite, positive and one per point")
        return Observation(self.histograms, v, e, self.weights, self.xlow, self.xhigh, self.skipped, self.dropped)


def read_references(files: Sequence[str | os.PathLike[str]]) -> tuple[dict[str, dict[str, YodaObject]], dict[str, str]]:
    """Reference objects of YODA files by analysis, and the ones no analysis of the registry holds.

    Returns:
        ``({analysis: {ref_path: object}}, {ref_path: reason})``; analysis names are
        canonical (aliases such as ``ALEPH_1996_I428072`` resolved).

    Raises:
        InputFileNotFoundError, YodaFormatError: unreadable files.
        RegistryError: no object of the files belongs to an analysis mlhad knows.
    """
    by_analysis = read_data(files)
    known: dict[str, dict[str, YodaObject]] = {}
    skipped: dict[str, str] = {}
    for name, objects in by_analysis.items():
        try:
            canonical = registry_analysis(name).name
        except RegistryError:
            skipped.update({p: f"analysis {name} is not in mlhad's registry (mlhad.registry.ANALYSES)"
                            for p in objects})
            continue
        known.setdefault(canonical, {}).update(objects)
    if not known:
        raise RegistryError(
            f"none of the analyses in {[str(f) for f in files]} ({sorted(by_analysis) or 'no /REF objects'}) is in "
            "mlhad's registry, so no prediction can be made for them; known analyses: "
            f"{sorted(a for a in _known_analyses())}"
        )
    return known, skipped


def _known_analyses() -> list[str]:
    from mlhad.registry import ANALYSES

    return list(ANALYSES)


def build_observation(
    references: Mapping[str, Mapping[str, YodaObject]],
    contributions: Mapping[str, Contributions],
    *,
    weight_file: str | os.PathLike[str] | WeightFile | None = None,
    skipped: Mapping[str, str] | None = None,
) -> Observation:
    """Select the reference points that a prediction exists for.

    Args:
        references: ``{analysis: {ref_path: Scatter2D/Estimate1D}}`` (:func:`read_references`).
        contributions: ``{analysis: Contributions}`` of the base sample, booked with the
            same reference objects.
        weight_file: Professor-style weights (:mod:`mlhad.compare.weights`); histograms
            it does not name are left out, points get its weights (0 = left out).
        skipped: reasons already known (e.g. from :func:`read_references`).

    Raises:
        InferenceError: nothing left to use (the message lists why each object went).
    """
    rules = read_weights(weight_file) if isinstance(weight_file, (str, os.PathLike)) else weight_file
    reasons = dict(skipped or {})
    dropped: dict[str, str] = {}
    selections: list[HistogramSelection] = []
    columns: dict[str, list[np.ndarray]] = {k: [] for k in ("values", "errors", "weights", "xlow", "xhigh")}
    start = 0
    for name, refs in references.items():
        contrib = contributions.get(name)
        if contrib is None:
            reasons.update({p: f"no contributions of the sample for {name}" for p in refs})
            continue
        reasons.update(contrib.skipped)
        for ref_path, ref in refs.items():
            if ref.is_bookkeeping or ref_path in reasons:
                continue
            path = strip_ref(ref_path)
            if path not in contrib.histograms:
                reasons[ref_path] = "no MC counterpart in mlhad's registry"
                continue
            mode = contrib[path].normalisation
            if mode == "profile":
                reasons[ref_path] = "profile histogram: its reweighted prediction is not implemented"
                continue
            xlow, xhigh, y, dn, up = (np.asarray(a, dtype=np.float64) for a in reference_points(ref))
            s = symmetric_error(dn, up)
            w = np.ones_like(y)
            if rules is not None:
                got = rules.point_weights(path, xlow, xhigh)
                if got is None:
                    reasons[ref_path] = f"not named in the weight file {rules.source}"
                    continue
                w = got
            keep = np.ones(y.shape, dtype=bool)
            for i in range(y.size):
                why = None
                if w[i] <= 0:
                    why = "weight 0"
                elif not np.isfinite(y[i]):
                    why = f"data value {y[i]}"
                elif not (np.isfinite(s[i]) and s[i] > 0):
                    why = f"data error {s[i]}: a point without error cannot enter a likelihood"
                if why:
                    keep[i] = False
                    dropped[f"{path}#{i}"] = why
            idx = np.flatnonzero(keep)
            if idx.size == 0:
                reasons[ref_path] = "no usable point (all weight 0, NaN or zero error)"
                continue
            selections.append(HistogramSelection(name, path, idx, start, start + idx.size, mode))
            start += idx.size
            for key, arr in (("values", y), ("errors", s), ("weights", w), ("xlow", xlow), ("xhigh", xhigh)):
                columns[key].append(arr[idx])
    if not selections:
        listed = "; ".join(f"{p}: {r}" for p, r in list(reasons.items())[:8])
        raise InferenceError(f"no reference point can be used ({len(reasons)} objects skipped: {listed}); "
                             "check the data file, the registry and the weight file")
    arrays = {k: np.concatenate(v) for k, v in columns.items()}
    return Observation(tuple(selections), arrays["values"], arrays["errors"], arrays["weights"], arrays["xlow"],
                       arrays["xhigh"], skipped=reasons, dropped=dropped)
