"""The names :func:`mlhad.observables.compute` understands, what each one is, and its shape.

Kinds:
    ``event``: one value per event, ``(n_events,)`` numpy array (NaN where undefined);
    ``particle``: one value per selected particle, ragged ``(n_events, var)`` awkward array;
    ``pair``: one value per unordered particle pair, ragged ``(n_events, var)``.

Identified-hadron names are built from :data:`~mlhad.observables.species.SPECIES`:
``x_p_<species>``, ``x_e_<species>``, ``xi_p_<species>`` (particle) and ``n_<species>``
(event), e.g. ``x_p_pi_pm``, ``xi_p_gamma``, ``n_eta_xp01``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import awkward as ak
import numpy as np

from .context import Context
from .kinematics import count_within, log_inverse_scaled_momentum, momentum_along, rapidity_along, scaled_energy
from .species import SPECIES, Species
from .tensors import linear_shapes, quadratic_shapes

__all__ = ["Observable", "OBSERVABLES", "KINDS"]

KINDS = ("event", "particle", "pair")


@dataclass(frozen=True)
class Observable:
    """One computable quantity.

    Attributes:
        name: lowercase identifier.
        kind: ``"event"``, ``"particle"`` or ``"pair"``.
        doc: one-line definition.
        evaluate: function of a :class:`~mlhad.observables.context.Context`.
        particles: ``"selected"`` (the ``selection`` argument of compute) or
            ``"unstable"`` (identified hadrons, Rivet's UnstableParticles).
    """

    name: str
    kind: str
    doc: str
    evaluate: Callable[[Context], Any]
    particles: str = "selected"


def _neg_log(y: np.ndarray) -> np.ndarray:
    out = np.full_like(y, np.nan)
    positive = y > 0  # Rivet fills -ln(y3) only for y3 > 0
    out[positive] = -np.log(y[positive])
    return out


def _count_within(c: Context, cut: float) -> np.ndarray:
    return count_within(c.m, c.rapidity_thrust, cut)


def _identified(sp: Species, variable: str) -> Callable[[Context], Any]:
    def evaluate(c: Context) -> ak.Array:
        m, _ = c.unstable
        mask = c.species_mask(sp)
        if variable == "x_p":
            values = m.pmag / c.p_beam
        elif variable == "x_e":
            values = scaled_energy(m, c.p_beam)
        else:
            values = log_inverse_scaled_momentum(m, c.p_beam)
        counts = np.bincount(m.event[mask], minlength=m.n_events)
        return ak.unflatten(values[mask], counts)

    return evaluate


def _count(sp: Species) -> Callable[[Context], np.ndarray]:
    def evaluate(c: Context) -> np.ndarray:
        m, _ = c.unstable
        return np.bincount(m.event[c.species_mask(sp)], minlength=m.n_events).astype(np.int64)

    return evaluate


def _aeec(c: Context, part: str) -> ak.Array:
    cos_chi, weight, counts = c.eec
    backward = cos_chi < 0
    values = -np.abs(cos_chi) if part == "x" else np.where(backward, weight, -weight)
    return ak.unflatten(values, counts)


_EVENT: dict[str, tuple[str, Callable[[Context], Any]]] = {
    "thrust": ("thrust T (exact maximum)", lambda c: c.thrust[0][:, 0]),
    "one_minus_thrust": ("1 - T", lambda c: 1.0 - c.thrust[0][:, 0]),
    "thrust_major": ("thrust major T_M", lambda c: c.thrust[0][:, 1]),
    "thrust_minor": ("thrust minor T_m", lambda c: c.thrust[0][:, 2]),
    "oblateness": ("oblateness O = T_M - T_m", lambda c: c.thrust[0][:, 1] - c.thrust[0][:, 2]),
    "sphericity": ("sphericity 3/2 (l2 + l3), r = 2", lambda c: quadratic_shapes(c.quadratic[0])["sphericity"]),
    "aplanarity": ("aplanarity 3/2 l3, r = 2", lambda c: quadratic_shapes(c.quadratic[0])["aplanarity"]),
    "planarity": ("planarity l2 - l3, r = 2", lambda c: quadratic_shapes(c.quadratic[0])["planarity"]),
    "c_parameter": ("C = 3 (l1 l2 + l1 l3 + l2 l3), r = 1", lambda c: linear_shapes(c.linear[0])["c_parameter"]),
    "d_parameter": ("D = 27 l1 l2 l3, r = 1", lambda c: linear_shapes(c.linear[0])["d_parameter"]),
    "m2_heavy": ("heavy hemisphere mass M_h^2 / E_vis^2", lambda c: c.hemispheres["m2_heavy"]),
    "m2_light": ("light hemisphere mass M_l^2 / E_vis^2", lambda c: c.hemispheres["m2_light"]),
    "m2_diff": ("(M_h^2 - M_l^2) / E_vis^2", lambda c: c.hemispheres["m2_diff"]),
    "b_wide": ("wide jet broadening B_W", lambda c: c.hemispheres["b_wide"]),
    "b_narrow": ("narrow jet broadening B_N", lambda c: c.hemispheres["b_narrow"]),
    "b_total": ("total jet broadening B_T", lambda c: c.hemispheres["b_total"]),
    "b_diff": ("broadening difference |B_W - B_N|", lambda c: c.hemispheres["b_diff"]),
    "y23": ("Durham exclusive_ymerge_max(2)", lambda c: c.ymerge_max("durham", 2)),
    "y34": ("Durham exclusive_ymerge_max(3)", lambda c: c.ymerge_max("durham", 3)),
    "y45": ("Durham exclusive_ymerge_max(4)", lambda c: c.ymerge_max("durham", 4)),
    "neg_ln_y23": ("-ln y23 (Durham; NaN if y23 <= 0)", lambda c: _neg_log(c.ymerge_max("durham", 2))),
    "jade_y23": ("JADE exclusive_ymerge_max(2)", lambda c: c.ymerge_max("jade", 2)),
    "jade_y34": ("JADE exclusive_ymerge_max(3)", lambda c: c.ymerge_max("jade", 3)),
    "jade_y45": ("JADE exclusive_ymerge_max(4)", lambda c: c.ymerge_max("jade", 4)),
    "multiplicity": ("number of selected particles", lambda c: c.m.counts.copy()),
    "n_charged": ("charged final-state multiplicity (whatever the selection)", lambda c: c.n_charged),
    "n_yt05": ("selected particles with |y_T| <= 0.5", lambda c: _count_within(c, 0.5)),
    "n_yt10": ("selected particles with |y_T| <= 1.0", lambda c: _count_within(c, 1.0)),
    "n_yt15": ("selected particles with |y_T| <= 1.5", lambda c: _count_within(c, 1.5)),
    "n_yt20": ("selected particles with |y_T| <= 2.0", lambda c: _count_within(c, 2.0)),
}


def _along(c: Context, frame: str, row: int) -> ak.Array:
    axes = c.thrust_axes if frame == "thrust" else c.quadratic[1]
    return c.ragged(np.abs(momentum_along(c.m, axes[:, row])))


_PARTICLE: dict[str, tuple[str, Callable[[Context], Any]]] = {
    "x_p": ("x_p = |p| / p_beam", lambda c: c.ragged(c.x_p)),
    "xi_p": ("xi_p = ln(1 / x_p)", lambda c: c.ragged(log_inverse_scaled_momentum(c.m, c.p_beam))),
    "x_e": ("x_E = E / p_beam", lambda c: c.ragged(scaled_energy(c.m, c.p_beam))),
    "rapidity_thrust": ("rapidity w.r.t. the thrust axis (axis z >= 0)", lambda c: c.ragged(c.rapidity_thrust)),
    "abs_rapidity_thrust": ("|rapidity| w.r.t. the thrust axis", lambda c: c.ragged(np.abs(c.rapidity_thrust))),
    "rapidity_sphericity": (
        "rapidity w.r.t. the sphericity axis (axis z >= 0)",
        lambda c: c.ragged(rapidity_along(c.m, c.quadratic[1][:, 0])),
    ),
    "abs_rapidity_sphericity": (
        "|rapidity| w.r.t. the sphericity axis",
        lambda c: c.ragged(np.abs(rapidity_along(c.m, c.quadratic[1][:, 0]))),
    ),
    "pt_in_thrust": ("|p . n_major| (thrust major axis)", lambda c: _along(c, "thrust", 1)),
    "pt_out_thrust": ("|p . n_minor| (thrust minor axis)", lambda c: _along(c, "thrust", 2)),
    "pt_thrust": (
        "|p| transverse to the thrust axis",
        lambda c: c.ragged(np.hypot(*(momentum_along(c.m, c.thrust_axes[:, k]) for k in (1, 2)))),
    ),
    "pt_in_sphericity": ("|p . n_2| (sphericity major axis, in the event plane)", lambda c: _along(c, "sphericity", 1)),
    "pt_out_sphericity": ("|p . n_3| (sphericity minor axis, out of the plane)", lambda c: _along(c, "sphericity", 2)),
}

_PAIR: dict[str, tuple[str, Callable[[Context], Any]]] = {
    "eec_cos": ("cos chi of every pair i < j", lambda c: ak.unflatten(c.eec[0], c.eec[2])),
    "eec_weight": ("E_i E_j / E_vis^2 of every pair i < j", lambda c: ak.unflatten(c.eec[1], c.eec[2])),
    "aeec_x": ("-|cos chi| of every pair (asymmetry fill point)", lambda c: _aeec(c, "x")),
    "aeec_weight": ("+w if cos chi < 0 else -w (asymmetry weight)", lambda c: _aeec(c, "weight")),
}


def _build() -> dict[str, Observable]:
    table = {n: Observable(n, "event", d, f) for n, (d, f) in _EVENT.items()}
    table.update({n: Observable(n, "particle", d, f) for n, (d, f) in _PARTICLE.items()})
    table.update({n: Observable(n, "pair", d, f) for n, (d, f) in _PAIR.items()})
    for sp in SPECIES.values():
        for variable, what in (("x_p", "x_p"), ("x_e", "x_E"), ("xi_p", "xi_p")):
            name = f"{variable}_{sp.name}"
            table[name] = Observable(name, "particle", f"{what} of {sp.label}", _identified(sp, variable), "unstable")
        name = f"n_{sp.name}"
        table[name] = Observable(name, "event", f"number of {sp.label} per event", _count(sp), "unstable")
    return table


#: Every observable name known to :func:`mlhad.observables.compute`.
OBSERVABLES: dict[str, Observable] = _build()
