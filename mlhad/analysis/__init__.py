"""From a sample to Rivet-style histograms of an analysis, for any number of event weights.

The event loop over observables runs once per sample; everything after it is cheap
array arithmetic on a sparse table, so filling many reweighting variations costs a few
bin counts each.

What to use when:
    * :func:`analysis_contributions` -- the one pass over a sample (chunk by chunk,
      stored beside it): ``{path: HistogramContributions}`` with, per reference histogram,
      the (event, bin, count) rows of every fill, the bin edges and the normalisation.
    * :func:`fill` -- ``(n_events, K)`` event weights -> ``{path: Histogram}`` with
      YODA's sumw/sumw2 per weight column.
    * :func:`normalise` -- Rivet's ``finalize()`` per path (unit area, per event, the
      width-2 fractions of ALEPH d18, means, profiles) with MC errors ->
      ``{path: Prediction}`` comparable with the reference points.
    * :func:`predict` -- fill + normalise in one call.
    * :func:`write_predictions` -- the MC YODA file, reference-matching paths.

Example::

    from mlhad.analysis import analysis_contributions, predict, write_predictions
    c = analysis_contributions("runs/monash", "ALEPH_1996_S3486095")
    pred = predict(c)                                   # unit weights
    values, errors = pred["/ALEPH_1996_S3486095/d03-x01-y01"].at_reference()
    write_predictions("monash.yoda", pred, c)

Data structure and formulas: :mod:`mlhad.analysis.contributions`,
:mod:`mlhad.analysis.sparse`, :mod:`mlhad.analysis.variance`; docs/compare.md.
"""

from __future__ import annotations

from .analyse import PARTICLE_COLUMNS, analysis_contributions, sample_sqrt_s
from .booking import Booking, book, fill_mode
from .cache import clear_cache
from .contributions import FORMAT_VERSION, Contributions, HistogramContributions
from .extract import batch_contributions
from .fill import ProfileHistogram, fill
from .normalise import Prediction, normalise, predict
from .output import prediction_objects, write_predictions
from .sparse import SparseRows, aggregate, bin_of

__all__ = [
    "analysis_contributions",
    "batch_contributions",
    "fill",
    "normalise",
    "predict",
    "write_predictions",
    "prediction_objects",
    "clear_cache",
    "book",
    "fill_mode",
    "sample_sqrt_s",
    "Booking",
    "Contributions",
    "HistogramContributions",
    "Prediction",
    "ProfileHistogram",
    "SparseRows",
    "aggregate",
    "bin_of",
    "FORMAT_VERSION",
    "PARTICLE_COLUMNS",
]
