"""Intermediate results shared by the observables of one :func:`mlhad.observables.compute` call.

A :class:`Context` computes each intermediate (selected momenta, thrust axes, tensor
eigensystems, jet resolutions, ...) the first time an observable asks for it and keeps
it for the others, so asking for thrust, oblateness, hemisphere masses and |y_T| costs
one thrust computation. It lives for one call; nothing is cached between calls.
"""

from __future__ import annotations

from functools import cached_property

import awkward as ak
import numpy as np

from ._momenta import Momenta, momenta
from .exact_thrust import thrust_frame
from .hemispheres import hemisphere_shapes
from .jets import ymerge_max
from .kinematics import eec_pairs, rapidity_along, scaled_momentum
from .selection import as_particles, charged_final, final, unstable
from .species import Species
from .tensors import momentum_tensor, tensor_eigen

__all__ = ["Context", "SELECTIONS"]

#: Particle selections an event-shape computation can use.
SELECTIONS = {"charged": charged_final, "final": final}


class Context:
    """Lazily computed intermediates for one set of events.

    Args:
        particles: ragged particles of the events (all statuses, as read).
        beam_energy: beam momentum ``p_beam = sqrt(s) / 2`` in GeV.
        selection: ``"charged"`` or ``"final"``: the particles event shapes and
            per-particle observables use (identified hadrons always use
            :func:`~mlhad.observables.selection.unstable`).
    """

    def __init__(self, particles: ak.Array, *, beam_energy: float, selection: str) -> None:
        self.particles = as_particles(particles)
        self.p_beam = float(beam_energy)
        self.selection = selection
        self._jets: dict[tuple[str, int], np.ndarray] = {}
        self._species: dict[str, np.ndarray] = {}

    @cached_property
    def selected(self) -> ak.Array:
        return SELECTIONS[self.selection](self.particles)

    @cached_property
    def m(self) -> Momenta:
        return momenta(self.selected)

    def ragged(self, values: np.ndarray) -> ak.Array:
        """``(N,)`` values of the selected particles as ``(n_events, var)``."""
        return ak.unflatten(values, self.m.counts)

    @cached_property
    def thrust(self) -> tuple[np.ndarray, np.ndarray]:
        return thrust_frame(self.m)

    @cached_property
    def thrust_axes(self) -> np.ndarray:
        return self.thrust[1]

    @cached_property
    def quadratic(self) -> tuple[np.ndarray, np.ndarray]:
        return tensor_eigen(momentum_tensor(self.m, 2.0))

    @cached_property
    def linear(self) -> tuple[np.ndarray, np.ndarray]:
        return tensor_eigen(momentum_tensor(self.m, 1.0))

    @cached_property
    def hemispheres(self) -> dict[str, np.ndarray]:
        return hemisphere_shapes(self.m, self.thrust_axes[:, 0])

    @cached_property
    def rapidity_thrust(self) -> np.ndarray:
        return rapidity_along(self.m, self.thrust_axes[:, 0])

    @cached_property
    def x_p(self) -> np.ndarray:
        return scaled_momentum(self.m, self.p_beam)

    @cached_property
    def eec(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return eec_pairs(self.m)

    def ymerge_max(self, algorithm: str, njets: int) -> np.ndarray:
        key = (algorithm, njets)
        if key not in self._jets:
            self._jets[key] = ymerge_max(self.m, njets, algorithm)
        return self._jets[key]

    @cached_property
    def n_charged(self) -> np.ndarray:
        """Charged final-state multiplicity (the analyses' event veto uses it)."""
        return ak.to_numpy(ak.num(charged_final(self.particles), axis=1)).astype(np.int64)

    @cached_property
    def unstable(self) -> tuple[Momenta, np.ndarray]:
        """Momenta and ``|pid|`` of the UnstableParticles-like selection."""
        chosen = unstable(self.particles)
        pid = np.abs(ak.to_numpy(ak.flatten(chosen.pid))).astype(np.int64)
        return momenta(chosen), pid

    def species_mask(self, sp: Species) -> np.ndarray:
        """``(N_unstable,)`` mask of the unstable particles that are of species ``sp``."""
        if sp.name not in self._species:
            m, pid = self.unstable
            # a lookup table over the species' few ids: one linear pass, no sorting
            mask = np.isin(pid, sp.pids, kind="table")
            if sp.xp_min > 0:
                mask &= scaled_momentum(m, self.p_beam) >= sp.xp_min
            self._species[sp.name] = mask
        return self._species[sp.name]
