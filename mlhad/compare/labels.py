"""Axis labels and titles of the comparison plots, from the registry and the observable catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from mlhad.exceptions import RegistryError
from mlhad.observables import OBSERVABLES
from mlhad.registry import lookup

__all__ = ["PlotLabels", "plot_labels"]

_X = {
    "sphericity": "$S$",
    "aplanarity": "$A$",
    "planarity": "$P$",
    "one_minus_thrust": "$1-T$",
    "thrust_major": r"$T_\mathrm{major}$",
    "thrust_minor": r"$T_\mathrm{minor}$",
    "oblateness": "$O$",
    "neg_ln_y23": r"$-\ln y_{23}$ (Durham)",
    "m2_heavy": r"$M_h^2/E_\mathrm{vis}^2$",
    "m2_light": r"$M_l^2/E_\mathrm{vis}^2$",
    "m2_diff": r"$(M_h^2-M_l^2)/E_\mathrm{vis}^2$",
    "c_parameter": "$C$",
    "d_parameter": "$D$",
    "b_wide": "$B_W$",
    "b_narrow": "$B_N$",
    "b_total": "$B_T$",
    "b_diff": "$B_D$",
    "y23": r"$y_{23}$ (Durham)",
    "y34": r"$y_{34}$ (Durham)",
    "y45": r"$y_{45}$ (Durham)",
    "jade_y23": r"$y_{23}$ (JADE)",
    "jade_y34": r"$y_{34}$ (JADE)",
    "jade_y45": r"$y_{45}$ (JADE)",
    "x_p": "$x_p$",
    "xi_p": r"$\xi_p = \ln(1/x_p)$",
    "abs_rapidity_thrust": "$|y_T|$",
    "abs_rapidity_sphericity": "$|y_S|$",
    "pt_in_thrust": r"$p_T^\mathrm{in}$ (thrust axes) [GeV]",
    "pt_out_thrust": r"$p_T^\mathrm{out}$ (thrust axes) [GeV]",
    "pt_thrust": r"$p_T$ (thrust axis) [GeV]",
    "pt_in_sphericity": r"$p_T^\mathrm{in}$ (sphericity axes) [GeV]",
    "pt_out_sphericity": r"$p_T^\mathrm{out}$ (sphericity axes) [GeV]",
    "n_charged": r"$N_\mathrm{ch}$",
    "eec_cos": r"$\cos\chi$",
    "aeec_x": r"$\cos\chi$",
}


@dataclass(frozen=True)
class PlotLabels:
    """Title and axis labels of one comparison plot (matplotlib mathtext)."""

    title: str
    xlabel: str
    ylabel: str


def _xlabel(observable: str) -> str:
    if observable in _X:
        return _X[observable]
    for prefix, label in (("x_p_", "$x_p$"), ("x_e_", "$x_E$"), ("xi_p_", r"$\xi_p$")):
        if observable.startswith(prefix):
            return label
    return observable.replace("_", " ")


def plot_labels(mc_path: str) -> PlotLabels:
    """Labels for the histogram at ``mc_path`` (registry entry); generic ones if unknown."""
    try:
        entry = lookup(mc_path)
    except RegistryError:
        return PlotLabels(title=mc_path, xlabel="$x$", ylabel="value")
    obs = OBSERVABLES[entry.observable]
    title = obs.doc
    if entry.normalisation == "profile" and entry.value is not None:
        title = f"mean {OBSERVABLES[entry.value].doc}, in bins of {entry.observable}"
    x = _xlabel(entry.observable)
    xs = x.split(" [")[0].split(" (")[0]  # the bare symbol, for the y label
    norm = entry.normalisation
    if norm == "unit_area":
        y = rf"$1/N\,\mathrm{{d}}N/\mathrm{{d}}${xs}"
    elif norm == "per_event":
        y = rf"$1/N_\mathrm{{ev}}\,\mathrm{{d}}n/\mathrm{{d}}${xs}"
    elif norm == "fraction":
        y = rf"$P(${xs}$)$"
    elif norm == "mean":
        x, y = "centre-of-mass energy [GeV]", r"$\langle n \rangle$ per event"
    else:
        y = rf"$\langle${_xlabel(entry.value or '')}$\rangle$"
    return PlotLabels(title=title, xlabel=x, ylabel=y)
