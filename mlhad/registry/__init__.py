"""Which observable fills each reference histogram of the LEP1 analyses, and how Rivet normalises it.

What to use when:
    * :func:`entries` -- every :class:`Entry` of an analysis, to histogram a sample:
      compute ``entry.observable`` with :func:`mlhad.observables.compute` (selection
      ``entry.compute_selection``), count only events with at least
      ``entry.min_charged`` charged particles, bin with the reference's own edges
      (``mlhad.yoda.scatter_edges(ref, allow_gaps=True)``) and normalise as ``entry.normalisation`` says.
    * :func:`lookup` -- one entry by path (``/REF/...`` or MC path), or an analysis by name.
    * :func:`skipped` -- the reference objects a comparison must leave out (no MC
      counterpart in Rivet's analysis), with :func:`skip_reason` for each.

The tables (:mod:`~mlhad.registry.aleph_1996`, :mod:`~mlhad.registry.delphi_1996`) are
data: one frozen :class:`Entry` per histogram, read off Rivet's analysis code.
Beam convention: ``x_p = |p| / p_beam`` with ``p_beam = sqrt(s) / 2``
(:attr:`Analysis.beam_energy`), Rivet's mean momentum of the two beams.
"""

from __future__ import annotations

from .binning import check_binning
from .entry import KINDS, NORMALISATIONS, SELECTIONS, Analysis, Entry
from .index import ANALYSES, analysis, entries, lookup, mc_path, skip_reason, skipped

__all__ = [
    "Entry",
    "Analysis",
    "ANALYSES",
    "KINDS",
    "NORMALISATIONS",
    "SELECTIONS",
    "analysis",
    "entries",
    "lookup",
    "skipped",
    "skip_reason",
    "mc_path",
    "check_binning",
]
