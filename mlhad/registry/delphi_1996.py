"""DELPHI_1996_S3430090: DELPHI, "Tuning and test of fragmentation models based on identified
particles and precision event shape data", Z. Phys. C73 (1996) 11 -- as Rivet fills it.

Event shapes, spectra, jet rates and the (asymmetry of the) energy-energy correlation
use charged final-state particles; the mean identified-hadron rates (d36-d40) use
Rivet's UnstableParticles with ``abs(pid)``. Events with fewer than 2 charged particles
are vetoed. Unlike the ALEPH analysis, the event shapes are scaled per event (1/sumW),
not to unit area. Rivet books only the first column (``y01``) of d01-d34 and none of
the identified-particle spectra d41-d56.
"""

from __future__ import annotations

from .entry import Analysis, Entry

__all__ = ["DELPHI_1996"]

_D = "/DELPHI_1996_S3430090/"
_E = (90.7, 91.7)  # the x "bin" of single-value rates: the centre-of-mass energy


_Range = tuple[float, float]


def _shape(name: str, observable: str, x_range: _Range, n_bins: int, *, min_charged: int = 2, notes: str = "") -> Entry:
    return Entry(_D + name, observable, "charged", "event", "per_event", x_range, n_bins, min_charged, notes=notes)


def _spectrum(name: str, observable: str, x_range: _Range, n_bins: int, notes: str = "") -> Entry:
    return Entry(_D + name, observable, "charged", "particle", "per_event", x_range, n_bins, notes=notes)


def _profile(name: str, value: str, notes: str) -> Entry:
    return Entry(_D + name, "x_p", "charged", "particle", "profile", (0.0, 1.0), 23, value=value, notes=notes)


def _rate(name: str, observable: str, notes: str = "") -> Entry:
    return Entry(_D + name, observable, "unstable", "event", "mean", _E, 1, notes=notes)


_JETS = "exclusive_ymerge_max(n), E-scheme, scaled by E_vis^2; per event with at least n+1 charged particles"
_NOT_BOOKED = "never filled by Rivet's DELPHI_1996_S3430090 (not booked)"

DELPHI_1996 = Analysis(
    name="DELPHI_1996_S3430090",
    aliases=("DELPHI_1996_I424112",),
    publication="DELPHI Collaboration, Z. Phys. C73 (1996) 11",
    sqrt_s=91.2,
    entries=(
        _spectrum("d01-x01-y01", "pt_in_thrust", (0.0, 14.0), 25, "|p . n_major| (thrust major axis)"),
        _spectrum("d02-x01-y01", "pt_out_thrust", (0.0, 3.5), 17, "|p . n_minor| (thrust minor axis)"),
        _spectrum("d03-x01-y01", "pt_in_sphericity", (0.0, 14.0), 25),
        _spectrum("d04-x01-y01", "pt_out_sphericity", (0.0, 3.5), 17),
        _spectrum("d05-x01-y01", "abs_rapidity_thrust", (0.0, 6.0), 21),
        _spectrum("d06-x01-y01", "abs_rapidity_sphericity", (0.0, 6.0), 21),
        _spectrum("d07-x01-y01", "x_p", (0.0, 1.0), 23),
        _spectrum("d08-x01-y01", "xi_p", (0.0, 5.4), 27),
        _profile("d09-x01-y01", "pt_out_thrust", "mean |p_T,out| (thrust minor axis) in bins of x_p"),
        _profile("d10-x01-y01", "pt_thrust", "mean |p_T| w.r.t. the thrust axis in bins of x_p"),
        _shape("d11-x01-y01", "one_minus_thrust", (0.0, 0.5), 20),
        _shape("d12-x01-y01", "thrust_major", (0.0, 0.64), 22),
        _shape("d13-x01-y01", "thrust_minor", (0.0, 0.4), 15),
        _shape("d14-x01-y01", "oblateness", (0.0, 0.52), 16),
        _shape("d15-x01-y01", "sphericity", (0.0, 0.85), 19),
        _shape("d16-x01-y01", "aplanarity", (0.0, 0.3), 15),
        _shape("d17-x01-y01", "planarity", (0.0, 0.5), 20),
        _shape("d18-x01-y01", "c_parameter", (0.0, 0.92), 23),
        _shape("d19-x01-y01", "d_parameter", (0.0, 0.8), 22),
        _shape("d20-x01-y01", "m2_heavy", (0.0, 0.4), 16),
        _shape("d21-x01-y01", "m2_light", (0.0, 0.12), 9),
        _shape("d22-x01-y01", "m2_diff", (0.0, 0.4), 13),
        _shape("d23-x01-y01", "b_wide", (0.01, 0.32), 15),
        _shape("d24-x01-y01", "b_narrow", (0.0, 0.18), 11),
        _shape("d25-x01-y01", "b_total", (0.02, 0.36), 19),
        _shape("d26-x01-y01", "b_diff", (0.0, 0.28), 17),
        _shape("d27-x01-y01", "y23", (0.0, 0.3), 15, min_charged=3, notes="Durham " + _JETS),
        _shape("d28-x01-y01", "jade_y23", (0.0, 0.3), 15, min_charged=3, notes="JADE " + _JETS),
        _shape("d29-x01-y01", "y34", (0.0, 0.1), 15, min_charged=4, notes="Durham " + _JETS),
        _shape("d30-x01-y01", "jade_y34", (0.0, 0.1), 15, min_charged=4, notes="JADE " + _JETS),
        _shape("d31-x01-y01", "y45", (0.0, 0.03), 15, min_charged=5, notes="Durham " + _JETS),
        _shape("d32-x01-y01", "jade_y45", (0.0, 0.05), 16, min_charged=5, notes="JADE " + _JETS),
        Entry(
            _D + "d33-x01-y01", "eec_cos", "charged", "pair", "per_event", (-1.0, 1.0), 50,
            weight="eec_weight", notes="every pair i < j once, weight E_i E_j / E_vis^2",
        ),
        Entry(
            _D + "d34-x01-y01", "aeec_x", "charged", "pair", "per_event", (-1.0, 0.0), 25,
            weight="aeec_weight", notes="filled at -|cos chi| with +w (cos chi < 0) or -w",
        ),
        Entry(_D + "d35-x01-y01", "n_charged", "charged", "event", "mean", _E, 1),
        _rate("d36-x01-y01", "n_pi_pm"),
        _rate("d36-x01-y02", "n_pi0"),
        _rate("d36-x01-y03", "n_k_pm"),
        _rate("d36-x01-y04", "n_k0", "K0_S + K0_L"),
        _rate("d36-x01-y05", "n_eta", "all etas (no x_p cut, unlike ALEPH)"),
        _rate("d36-x01-y06", "n_eta_prime"),
        _rate("d36-x01-y07", "n_d_pm"),
        _rate("d36-x01-y08", "n_d0"),
        _rate("d36-x01-y09", "n_b_mesons", "Rivet counts pids 511, 521 and 531 (B_s included)"),
        _rate("d37-x01-y01", "n_f0_980"),
        _rate("d38-x01-y01", "n_rho0"),
        _rate("d38-x01-y02", "n_kstar_pm"),
        _rate("d38-x01-y03", "n_kstar0"),
        _rate("d38-x01-y04", "n_phi"),
        _rate("d38-x01-y05", "n_dstar_pm"),
        _rate("d39-x01-y01", "n_f2_1270"),
        _rate("d39-x01-y02", "n_k2star0"),
        _rate("d40-x01-y01", "n_p"),
        _rate("d40-x01-y02", "n_lambda"),
        _rate("d40-x01-y03", "n_xi_minus"),
        _rate("d40-x01-y04", "n_omega_minus"),
        _rate("d40-x01-y05", "n_delta_pp"),
        _rate("d40-x01-y06", "n_sigma1385_minus", "Rivet counts pid 3114 only (Sigma(1385)- + c.c.)"),
        _rate("d40-x01-y07", "n_xi1530_0"),
        _rate("d40-x01-y08", "n_lambda_b"),
    ),
    skipped=tuple(
        (f"/REF{_D}d{d:02d}-x01-y02", _NOT_BOOKED + " (Rivet books only the y01 column)")
        for d in (*range(1, 7), *range(11, 33))
    )
    + tuple((f"/REF{_D}d{d:02d}-x01-y01", _NOT_BOOKED) for d in range(41, 57)),
)
