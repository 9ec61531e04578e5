"""Pseudo-data for closure tests: a sample made at known settings, measured like the real data.

:func:`pseudo_data` predicts the observation's points from an independent sample
(generated at a known theta*, or with a mismodelling injected: another flavour
parameter, an ad-hoc distortion) and adds one draw of the data noise; the pseudo-data
errors are the data errors and the sample's own MC errors in quadrature, as a
measurement of that size would have. :func:`reference_objects` writes them into the
reference objects (same binning, same paths) so that any tool -- ``mlhad tune``,
``mlhad sbi``, ``mlhad diagnose`` -- reads them as it reads a measurement.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from mlhad.analysis import analysis_contributions, predict
from mlhad.compare import reference_points
from mlhad.exceptions import InferenceError
from mlhad.io import Sample
from mlhad.yoda import Scatter2D, YodaObject, write_yoda

from .observation import Observation

__all__ = ["pseudo_data", "distort", "reference_objects", "write_pseudo_reference"]


def pseudo_data(observation: Observation, references: Mapping[str, Mapping[str, YodaObject]], sample: Sample,
                rng: np.random.Generator | None, *, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(values, errors)`` of pseudo-data at the observation's points from ``sample``.

    Args:
        observation: the points (and their data errors ``s``).
        references: ``{analysis: {ref_path: object}}`` (binning).
        sample: the independent sample (unit weights).
        rng: draws the data noise ``N(0, s^2)``; None for none (the sample's prediction itself).
        progress: progress bar of the observable pass.

    Returns:
        values ``m_sample + noise`` and errors ``sqrt(s^2 + e_sample^2)``, each ``(n_points,)``.
    """
    values = np.full(observation.n_points, np.nan)
    mc_err = np.full(observation.n_points, np.nan)
    for name in observation.analyses:
        pred = predict(analysis_contributions(sample, name, reference=references[name], progress=progress))
        for h in observation.histograms:
            if h.analysis == name:
                v, e = pred[h.path].at_reference()
                values[h.slice], mc_err[h.slice] = v[h.points], e[h.points]
    if not np.all(np.isfinite(values)):
        raise InferenceError(f"the sample {sample.path} leaves some selected bins empty; generate more events")
    noise = 0.0 if rng is None else rng.standard_normal(values.size) * observation.errors
    return values + noise, np.sqrt(observation.errors ** 2 + mc_err ** 2)


def distort(observation: Observation, values: np.ndarray, path: str,
            factor: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Multiply one histogram's values by ``factor(u)``, ``u`` its bins' positions in [-1, 1].

    Example: ``distort(obs, v, "/ALEPH_1996_S3486095/d03-x01-y01", lambda u: 1 + 0.1 * u)``
    tilts 1 - T by -+10 % at its ends, a shape no hadronization parameter makes.
    """
    out = np.asarray(values, dtype=np.float64).copy()
    h = observation.histogram(path)
    n = h.stop - h.start
    u = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
    out[h.slice] *= factor(u)
    return out


def reference_objects(observation: Observation, references: Mapping[str, Mapping[str, YodaObject]],
                      values: np.ndarray, errors: np.ndarray, *, title: str = "pseudo-data") -> dict[str, Scatter2D]:
    """The observation's reference objects with the selected points replaced (others kept as measured)."""
    out: dict[str, Scatter2D] = {}
    for h in observation.histograms:
        ref_path = "/REF" + h.path
        ref = references[h.analysis][ref_path]
        xlow, xhigh, y, dn, up = (np.asarray(a, dtype=np.float64).copy() for a in reference_points(ref))
        y[h.points] = values[h.slice]
        dn[h.points] = errors[h.slice]
        up[h.points] = errors[h.slice]
        x = 0.5 * (xlow + xhigh)
        out[ref_path] = Scatter2D(path=ref_path, x=x, xerr_minus=x - xlow, xerr_plus=xhigh - x, y=y, yerr_minus=dn,
                                  yerr_plus=up, annotations={"IsRef": "1", "Title": title})
    return out


def write_pseudo_reference(data: Sequence[str | os.PathLike[str]], sample: Sample, out: str | os.PathLike[str], *,
                           seed: int | None = 1, weight_file: str | os.PathLike[str] | None = None,
                           overwrite: bool = False, progress: bool = False) -> Path:
    """Write a reference YODA file of pseudo-data: ``sample``'s prediction of ``data``'s points.

    The points are those of ``data`` that the registry predicts (and ``weight_file``
    selects); values and errors as :func:`pseudo_data` (``seed`` None: no noise drawn).
    Any tool then reads ``out`` as it reads a measurement, e.g. a sample made with
    ``StringFlav:probStoUD = 0.27`` diagnosed against a Monash base sample.

    Raises:
        FileExistsError: ``out`` exists and ``overwrite`` is False.
    """
    from .run import load_observation

    path = Path(out)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; choose another path or pass overwrite=True")
    obs, refs, _ = load_observation(data, sample, weight_file=weight_file, progress=progress)
    rng = None if seed is None else np.random.default_rng(seed)
    values, errors = pseudo_data(obs, refs, sample, rng, progress=progress)
    title = f"pseudo-data from {Path(sample.path).name}"
    write_yoda(path, reference_objects(obs, refs, values, errors, title=title), version=1, overwrite=overwrite)
    return path
