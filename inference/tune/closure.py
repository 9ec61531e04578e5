"""Pseudo-data for closure tests: a run at a known theta*, written as Rivet reference data.

:func:`pseudo_data` turns the normalised histograms of a run (heights and their
delta-method statistical errors, :mod:`mlhad.analysis.variance`) into ``/REF`` Scatter2D
objects with the reference binning, exactly what a fit reads from a measurement;
:func:`write_pseudo_data` writes them as a YODA file. Fitting them and comparing
theta_fit with theta* (:func:`pulls`) is the closure test.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from mlhad.exceptions import TuneError
from mlhad.yoda import Scatter2D, write_yoda

from .simulator import SimulationRun

__all__ = ["pseudo_data", "write_pseudo_data", "pulls"]


def pseudo_data(run: SimulationRun, paths: Sequence[str] | None = None, *, error_scale: float = 1.0,
                errors_from: SimulationRun | None = None, title: str | None = None) -> dict[str, Scatter2D]:
    """Reference objects holding a run's predictions and statistical errors.

    Args:
        run: the run at theta* (unit event weights).
        paths: MC paths to include (default: every histogram of the run).
        error_scale: multiply the errors (e.g. ``sqrt(N_run / N_data)`` to assign the
            errors of a smaller data set to values measured with less fluctuation).
        errors_from: take the errors from this independent run at the same point
            (scaled by ``sqrt(its N / run's N)``, so they are the errors of ``run``'s size)
            instead of from ``run`` itself. Errors estimated from the same events as the
            values are correlated with their fluctuations: a bin that fluctuates down
            gets a smaller error and pulls harder (the bias of Neyman's chi2, visible in
            sparsely filled bins); independent errors remove that from a closure test.
        title: ``Title`` annotation (default: the run's point).

    Returns:
        ``{"/REF/ANALYSIS/name": Scatter2D}`` in run order, x = bin centres, y errors
        symmetric.

    Bins no event filled get value 0 and error 0, as a measurement without an error; a fit
    drops them with a note (``filter_zero_errors``, Professor's ``--filter``).

    Raises:
        TuneError: a requested path the run does not have, or a non-finite value (a
            profile bin without entries: generate more events).
    """
    if not error_scale > 0:
        raise TuneError(f"error_scale must be positive, got {error_scale!r}")
    label = title or "pseudo-data at " + ", ".join(f"{k}={v:g}" for k, v in run.point.items())
    out: dict[str, Scatter2D] = {}
    predictions = {p: pred for preds in run.predictions().values() for p, pred in preds.items()}
    wanted = list(predictions) if paths is None else list(paths)
    other = None
    if errors_from is not None:
        other = {p: pred for preds in errors_from.predictions().values() for p, pred in preds.items()}
        error_scale = error_scale * float(np.sqrt(errors_from.n_events / run.n_events))
    for path in wanted:
        if path not in predictions:
            raise TuneError(f"the run {run.label} has no histogram {path}; it has {sorted(predictions)[:5]}...")
        pred = predictions[path]
        values, errors = pred.at_reference()
        if other is not None:
            if path not in other:
                raise TuneError(f"the error run {errors_from.label} has no histogram {path}")  # type: ignore[union-attr]
            errors = other[path].at_reference()[1]
        errors = errors * error_scale
        bad = ~(np.isfinite(values) & np.isfinite(errors))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise TuneError(f"{path}: pseudo-data point {i} has value {values[i]!r} +- {errors[i]!r}; too few events "
                            f"({run.n_events}) fill it: generate more or leave {path} out")
        lo, hi = pred.edges[pred.ref_bins], pred.edges[pred.ref_bins + 1]
        centre = 0.5 * (lo + hi)
        out["/REF" + path] = Scatter2D(path="/REF" + path, x=centre, xerr_minus=centre - lo, xerr_plus=hi - centre,
                                       y=values, yerr_minus=errors, yerr_plus=errors,
                                       annotations={"IsRef": "1", "Title": label})
    return out


def write_pseudo_data(path: str | os.PathLike[str], objects: Mapping[str, Scatter2D], *,
                      overwrite: bool = False) -> Path:
    """Write pseudo-data as a YODA1 file (Scatter2D, as Rivet 3 reference files)."""
    return write_yoda(path, objects, version=1, overwrite=overwrite)


def pulls(fitted: Mapping[str, float], errors: Mapping[str, float], truth: Mapping[str, float]) -> dict[str, float]:
    """``{name: (theta_fit - theta*) / sigma}`` for the fitted parameters."""
    return {name: (fitted[name] - truth[name]) / errors[name] for name in fitted if name in truth}
