"""What one reference histogram is made of: :class:`Entry`, and the :class:`Analysis` holding them.

An entry says which observable of :mod:`mlhad.observables` fills the MC counterpart of
a reference histogram, with which particles, per what (event, particle, pair) and how
Rivet's analysis normalises it. The bin edges are always the reference's own; the
entry records the x range and number of points it expects, so that a changed
reference file is caught.

Normalisations (``W`` = sum of weights of the accepted events: at least
``min_charged`` charged particles; ``w_i`` = summed weight of the fills in bin ``i``
of width ``dx_i``):

    ``unit_area``  h_i = w_i / (W_fill dx_i), ``W_fill`` the total weight of *all* fills,
                   under- and overflow included (Rivet's ``normalize(h)``);
    ``per_event``  h_i = w_i / (W dx_i): the spectrum per event, ``1/N dN/dx`` (Rivet's
                   ``scale(h, 1/sumW)``, or ``normalize(h, <N>)`` when every selected
                   particle fills once, which is the same thing);
    ``fraction``   h_i = w_i / W, not divided by the width (ALEPH d18: Rivet 3 fills bins
                   of width 2 and scales by 2 / sumW, so each height is the fraction of
                   events in the bin);
    ``mean``       one value: the weighted mean per accepted event of the observable;
    ``profile``    h_i = mean of ``value`` over the fills with ``observable`` in bin ``i``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlhad.exceptions import RegistryError

__all__ = ["Entry", "Analysis", "KINDS", "NORMALISATIONS", "SELECTIONS"]

KINDS = ("event", "particle", "pair")
NORMALISATIONS = ("unit_area", "per_event", "fraction", "mean", "profile")
SELECTIONS = ("charged", "final", "unstable")


@dataclass(frozen=True)
class Entry:
    """The MC counterpart of one reference histogram.

    Attributes:
        path: MC path, ``/<ANALYSIS>/dNN-xNN-yNN`` (the reference is ``/REF`` + path).
        observable: name in :mod:`mlhad.observables` that is histogrammed (the binned
            quantity; for ``mean`` the averaged one).
        selection: particles it is computed from: ``"charged"`` (charged final state),
            ``"final"`` or ``"unstable"`` (identified hadrons, Rivet's UnstableParticles).
        kind: ``"event"``, ``"particle"`` or ``"pair"``: one fill per event, per particle
            or per particle pair.
        normalisation: one of :data:`NORMALISATIONS` (see the module docstring).
        x_range: ``(low, high)`` edges of the reference's first and last bin.
        n_bins: number of reference points.
        min_charged: events with fewer charged particles are not counted (neither filled
            nor in ``W``); Rivet's analyses veto events with fewer than 2.
        weight: per-fill weight observable (pair histograms), ``None`` for unit weights.
        value: for ``profile``: the observable averaged in bins of ``observable``.
        notes: what Rivet's code does that the fields do not say.
    """

    path: str
    observable: str
    selection: str
    kind: str
    normalisation: str
    x_range: tuple[float, float]
    n_bins: int
    min_charged: int = 2
    weight: str | None = None
    value: str | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        from mlhad.observables import OBSERVABLES

        def bad(what: str) -> RegistryError:
            return RegistryError(f"registry entry {self.path}: {what}")

        parts = self.path.split("/")
        if len(parts) != 3 or parts[0] != "" or not parts[2].startswith("d"):
            raise bad("path must look like '/ANALYSIS/dNN-xNN-yNN'")
        if self.kind not in KINDS:
            raise bad(f"kind {self.kind!r} is not one of {KINDS}")
        if self.normalisation not in NORMALISATIONS:
            raise bad(f"normalisation {self.normalisation!r} is not one of {NORMALISATIONS}")
        if self.selection not in SELECTIONS:
            raise bad(f"selection {self.selection!r} is not one of {SELECTIONS}")
        for role, name in (("observable", self.observable), ("weight", self.weight), ("value", self.value)):
            if name is None:
                continue
            if name not in OBSERVABLES:
                raise bad(f"{role} {name!r} is not an observable of mlhad.observables")
            if OBSERVABLES[name].kind != self.kind:
                raise bad(f"{role} {name!r} is per {OBSERVABLES[name].kind}, the entry per {self.kind}")
        if (self.selection == "unstable") != (OBSERVABLES[self.observable].particles == "unstable"):
            raise bad(f"selection {self.selection!r} does not fit {self.observable!r}: identified-hadron "
                      "observables (and only they) take 'unstable'")
        if (self.normalisation == "profile") != (self.value is not None):
            raise bad("a value observable is needed exactly for profile entries")
        low, high = self.x_range
        if not low < high or self.n_bins < 1:
            raise bad(f"x_range {self.x_range} and n_bins {self.n_bins} do not describe bins")

    @property
    def analysis(self) -> str:
        """Analysis name, e.g. ``"ALEPH_1996_S3486095"``."""
        return self.path.split("/")[1]

    @property
    def ref_path(self) -> str:
        """Path of the reference object, ``/REF`` + :attr:`path`."""
        return "/REF" + self.path

    @property
    def compute_selection(self) -> str:
        """The ``selection`` argument for :func:`mlhad.observables.compute`.

        Identified-hadron observables pick Rivet's UnstableParticles themselves, and
        every event veto counts charged particles, so ``"unstable"`` maps to
        ``"charged"``.
        """
        return "final" if self.selection == "final" else "charged"


@dataclass(frozen=True)
class Analysis:
    """A Rivet analysis: its entries and the reference objects it never fills.

    Attributes:
        name: Rivet name of the analysis (and of its reference file).
        aliases: other names of the same analysis (newer Rivet inspire-based names).
        publication: the experiment's paper (cite it with the data).
        sqrt_s: centre-of-mass energy in GeV.
        entries: one :class:`Entry` per reference histogram with an MC counterpart.
        skipped: ``(ref_path, reason)`` for every reference object Rivet never fills.
    """

    name: str
    aliases: tuple[str, ...]
    publication: str
    sqrt_s: float
    entries: tuple[Entry, ...]
    skipped: tuple[tuple[str, str], ...] = field(default=())

    @property
    def beam_energy(self) -> float:
        """``p_beam = sqrt(s) / 2`` in GeV: the denominator of ``x_p`` (mean beam momentum)."""
        return self.sqrt_s / 2.0

    @property
    def min_charged(self) -> int:
        """The analysis-wide veto: events need at least this many charged particles."""
        return min(e.min_charged for e in self.entries)
