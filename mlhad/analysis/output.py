"""Write normalised predictions as an MC YODA file with the reference's paths (as Rivet does)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mlhad.exceptions import HistogramError
from mlhad.histograms import Histogram, mc_objects
from mlhad.yoda import Counter, YodaObject, write_yoda

from .contributions import Contributions
from .fill import ProfileHistogram, event_weights
from .normalise import Prediction

__all__ = ["prediction_objects", "write_predictions"]


def prediction_objects(
    predictions: Mapping[str, Prediction],
    contributions: Contributions,
    weights: object = None,
    *,
    variations: bool = True,
) -> dict[str, YodaObject]:
    """The YODA objects of :func:`write_predictions`: Histo1D/Profile1D per path (and variation), /_EVTCOUNT.

    ``/_EVTCOUNT`` counts every event of the sample (vetoed ones included), as Rivet's
    event counter does.
    """
    if not predictions:
        raise HistogramError("no predictions to write")
    lacking = [p for p in predictions if contributions[p].sumx is None]
    if lacking:
        raise HistogramError(
            f"{lacking[0]} (and {len(lacking) - 1} more) were computed without x moments (moments=False); YODA "
            "histograms need them: call analysis_contributions(..., moments=True) to write YODA files"
        )
    histos = {p: pred.histogram for p, pred in predictions.items() if isinstance(pred.histogram, Histogram)}
    objects: dict[str, YodaObject] = {}
    if histos:
        objects.update(mc_objects(histos, variations=variations, event_counter=False))
    for path, pred in predictions.items():
        h = pred.histogram
        if isinstance(h, ProfileHistogram):
            for k in range(h.n_variations if variations else 1):
                vpath = path if k == 0 else f"{path}[{h.variations[k]}]"
                objects[vpath] = h.to_yoda(vpath, k)
    w = event_weights(contributions, weights)
    names = next(iter(predictions.values())).variations
    cols = np.ones((contributions.n_events, 1)) if w is None else w
    for k in range(cols.shape[1] if variations else 1):
        cpath = "/_EVTCOUNT" if k == 0 else f"/_EVTCOUNT[{names[k]}]"
        objects[cpath] = Counter(path=cpath, sumw=float(cols[:, k].sum()), sumw2=float((cols[:, k] ** 2).sum()),
                                 numentries=contributions.n_events)
    return objects


def write_predictions(
    path: str | os.PathLike[str],
    predictions: Mapping[str, Prediction],
    contributions: Contributions,
    weights: object = None,
    *,
    version: int = 2,
    variations: bool = True,
    overwrite: bool = False,
) -> Path:
    """Write normalised histograms as an MC YODA file, paths ``/ANALYSIS/dNN-xNN-yNN`` (``[variation]``).

    Args:
        path: output ``.yoda`` (or ``.yoda.gz``) file.
        predictions: from :func:`~mlhad.analysis.normalise` / :func:`~mlhad.analysis.predict`.
        contributions: the contributions they came from (for ``/_EVTCOUNT``).
        weights: the event weights used (None for unit weights).
        version: 2 (YODA2, Rivet 4; default) or 1 (YODA1, Rivet 3).
        variations: also write weight columns 1..K-1 as ``<path>[<name>]``.
        overwrite: replace an existing file (otherwise ``FileExistsError``).

    Returns:
        The path written. Heights read back (``sumw / width``) equal the predictions' values.
    """
    objects = prediction_objects(predictions, contributions, weights, variations=variations)
    return write_yoda(path, objects, version=version, overwrite=overwrite)
