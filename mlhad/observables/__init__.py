"""LEP1 observables of e+e- -> hadrons events, vectorised over events.

What to use when:
    * :func:`compute` -- the histogramming step: ``compute(particles, names,
      beam_energy=45.6)`` returns exactly the named observables, sharing intermediate
      results (thrust axes, tensors, jet clustering) between them. Names:
      :func:`available`, definitions: ``docs/observables.md``.
    * Single observables on an already selected set of particles, e.g.
      ``thrust(charged_final(events.particles))``: :func:`thrust`, :func:`sphericity`,
      :func:`c_parameter`, :func:`y23`, ...
    * Per-particle observables (x_p, rapidities, p_T in/out, identified spectra) come
      from :func:`compute`; :func:`multiplicity_in_rapidity` counts ``|y_T| <= cut``.
    * Event axes for other code: :func:`thrust_axes` and :func:`sphericity_axes`
      return ``(n_events, 3, 3)`` arrays whose rows are unit axes.
    * Selections like Rivet's projections: :func:`charged_final`, :func:`final`,
      :func:`unstable`, :func:`with_pid`.

Input: the ragged ``particles`` of a sample (docs/sample_format.md), awkward records
with px, py, pz, e, m (GeV), pid, charge, status, parent. Everything is computed in
float64. Event-level results are ``(n_events,)`` numpy arrays with NaN where the
observable is undefined (fewer than 2 particles for event shapes).
"""

from __future__ import annotations

from .catalogue import OBSERVABLES, Observable
from .computation import available, compute
from .hemispheres import hemisphere_masses, jet_broadenings
from .jets import durham_y, jade_y, y23
from .kinematics import multiplicity_in_rapidity
from .selection import charged_final, final, unstable, with_pid
from .species import SPECIES, Species
from .tensors import (
    aplanarity,
    c_parameter,
    d_parameter,
    planarity,
    sphericity,
    sphericity_axes,
)
from .exact_thrust import oblateness, thrust, thrust_axes, thrust_major, thrust_minor

__all__ = [
    "compute",
    "available",
    "OBSERVABLES",
    "Observable",
    "SPECIES",
    "Species",
    "charged_final",
    "final",
    "unstable",
    "with_pid",
    "thrust",
    "thrust_major",
    "thrust_minor",
    "oblateness",
    "thrust_axes",
    "sphericity",
    "aplanarity",
    "planarity",
    "c_parameter",
    "d_parameter",
    "sphericity_axes",
    "hemisphere_masses",
    "jet_broadenings",
    "y23",
    "durham_y",
    "jade_y",
    "multiplicity_in_rapidity",
]
