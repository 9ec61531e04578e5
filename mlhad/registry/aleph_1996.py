"""ALEPH_1996_S3486095: ALEPH, "Studies of QCD at e+e- centre-of-mass energies between 91 and
172 GeV", Phys. Rept. 294 (1998) 1 -- as Rivet's analysis of that name fills it.

Everything uses charged final-state particles, except the identified-hadron spectra and
rates (d25-d44), which use Rivet's UnstableParticles and switch on ``abs(pid)``. Events
with fewer than 2 charged particles are vetoed for every histogram. The event shapes
are normalised to unit area, the inclusive spectra and identified spectra per event,
the multiplicities as means per event (d19-d23, d44) or fractions (d18).
"""

from __future__ import annotations

from .entry import Analysis, Entry

__all__ = ["ALEPH_1996"]

_A = "/ALEPH_1996_S3486095/"
_E = (90.7, 91.7)  # the x "bin" of single-value rates: the centre-of-mass energy


_Range = tuple[float, float]


def _shape(name: str, observable: str, x_range: _Range, n_bins: int, notes: str = "") -> Entry:
    return Entry(_A + name, observable, "charged", "event", "unit_area", x_range, n_bins, notes=notes)


def _spectrum(name: str, observable: str, x_range: _Range, n_bins: int, notes: str = "") -> Entry:
    return Entry(_A + name, observable, "charged", "particle", "per_event", x_range, n_bins, notes=notes)


def _identified(name: str, observable: str, x_range: _Range, n_bins: int, notes: str = "") -> Entry:
    return Entry(_A + name, observable, "unstable", "particle", "per_event", x_range, n_bins, notes=notes)


def _mean(name: str, observable: str, notes: str = "") -> Entry:
    return Entry(_A + name, observable, "charged", "event", "mean", _E, 1, notes=notes)


def _rate(name: str, observable: str, notes: str = "") -> Entry:
    return Entry(_A + name, observable, "unstable", "event", "mean", _E, 1, notes=notes)


_NOT_FILLED = "never filled by Rivet's ALEPH_1996_S3486095 (not booked)"

ALEPH_1996 = Analysis(
    name="ALEPH_1996_S3486095",
    aliases=("ALEPH_1996_I428072",),
    publication="ALEPH Collaboration, Phys. Rept. 294 (1998) 1",
    sqrt_s=91.2,
    entries=(
        _shape("d01-x01-y01", "sphericity", (0.0, 0.8), 23),
        _shape("d02-x01-y01", "aplanarity", (0.0, 0.25), 16),
        _shape("d03-x01-y01", "one_minus_thrust", (0.0, 0.4), 21),
        _shape("d04-x01-y01", "thrust_minor", (0.0, 0.5), 18),
        _shape(
            "d05-x01-y01", "neg_ln_y23", (1.1, 11.0), 14,
            "Durham exclusive_ymerge_max(2), E-scheme, y scaled by E_vis^2 of the charged "
            "particles; filled only if y23 > 0 and normalised to the filled events",
        ),
        _shape("d06-x01-y01", "m2_heavy", (0.0, 0.4), 21, "M_h^2 / E_vis^2, hemispheres by the thrust axis"),
        _shape("d07-x01-y01", "c_parameter", (0.0, 1.0), 24),
        _shape("d08-x01-y01", "oblateness", (0.0, 0.6), 20),
        _spectrum("d09-x01-y01", "x_p", (0.004, 1.0), 46, "x_p = |p| / p_beam; Rivet normalize(h, <N_ch>) = 1/sumW"),
        _spectrum("d10-x01-y01", "abs_rapidity_thrust", (0.0, 6.0), 21),
        _spectrum("d11-x01-y01", "pt_in_sphericity", (0.0, 14.0), 25, "|p . n_2|, sphericity major axis"),
        _spectrum("d12-x01-y01", "pt_out_sphericity", (0.0, 5.0), 19, "|p . n_3|, sphericity minor axis"),
        _spectrum("d17-x01-y01", "xi_p", (0.2, 5.4), 52),
        Entry(
            _A + "d18-x01-y01", "n_charged", "charged", "event", "fraction", (3.0, 55.0), 26,
            notes="bins of width 2 centred on even N_ch; height = fraction of events in the bin",
        ),
        _mean("d19-x01-y01", "n_charged"),
        _mean("d20-x01-y01", "n_yt05", "|y_T| <= 0.5 (inclusive)"),
        _mean("d21-x01-y01", "n_yt10", "|y_T| <= 1.0"),
        _mean("d22-x01-y01", "n_yt15", "|y_T| <= 1.5"),
        _mean("d23-x01-y01", "n_yt20", "|y_T| <= 2.0"),
        _identified("d25-x01-y01", "x_p_pi_pm", (0.005, 0.8), 39, "reference bins have gaps"),
        _identified("d26-x01-y01", "x_p_k_pm", (0.0055, 0.8), 29, "reference bins have gaps"),
        _identified("d27-x01-y01", "x_p_p", (0.01, 0.8), 26, "reference bins have gaps"),
        _identified("d28-x01-y01", "xi_p_gamma", (0.0, 4.8), 48, "photons from UnstableParticles (status 1)"),
        _identified("d29-x01-y01", "x_p_pi0", (0.025, 1.0), 23),
        _identified("d30-x01-y01", "x_e_eta_xp01", (0.1, 1.0), 18, "x_E, only etas with x_p >= 0.1"),
        _identified("d31-x01-y01", "x_e_eta_prime_xp01", (0.1, 1.0), 9, "x_E, only eta' with x_p >= 0.1"),
        _identified("d32-x01-y01", "x_p_k0", (0.004, 0.9), 30, "K0_S and K0_L"),
        _identified("d33-x01-y01", "x_p_lambda", (0.012, 0.9), 25),
        _identified("d34-x01-y01", "x_e_xi_minus", (0.03, 0.5), 11, "x_E"),
        _identified("d35-x01-y01", "x_e_sigma1385_pm", (0.04, 0.5), 6, "x_E; pids 3114 and 3224"),
        _identified("d36-x01-y01", "x_e_xi1530_0", (0.05, 0.5), 4, "x_E"),
        _identified("d37-x01-y01", "x_p_rho0", (0.005, 1.0), 8),
        _identified("d38-x01-y01", "x_p_omega", (0.05, 1.0), 6),
        _identified("d39-x01-y01", "x_p_kstar0", (0.005, 1.0), 8),
        _identified("d40-x01-y01", "x_p_phi", (0.005, 1.0), 8),
        _identified("d43-x01-y01", "x_e_kstar_pm", (0.03, 1.0), 10, "x_E"),
        _rate("d44-x01-y02", "n_pi0"),
        _rate("d44-x01-y03", "n_eta_xp01", "only etas with x_p >= 0.1"),
        _rate("d44-x01-y04", "n_eta_prime_xp01", "only eta' with x_p >= 0.1"),
        _rate("d44-x01-y05", "n_k0", "K0_S + K0_L"),
        _rate("d44-x01-y06", "n_rho0"),
        _rate("d44-x01-y07", "n_omega"),
        _rate("d44-x01-y08", "n_phi"),
        _rate("d44-x01-y09", "n_kstar_pm"),
        _rate("d44-x01-y10", "n_kstar0"),
        _rate("d44-x01-y11", "n_lambda"),
        _rate("d44-x01-y12", "n_sigma0"),
        _rate("d44-x01-y13", "n_xi_minus"),
        _rate("d44-x01-y14", "n_sigma1385_pm", "pids 3114 and 3224"),
        _rate("d44-x01-y15", "n_xi1530_0"),
        _rate("d44-x01-y16", "n_omega_minus", "Omega- + anti-Omega+"),
    ),
    skipped=tuple(
        ("/REF" + _A + name, _NOT_FILLED)
        for name in (
            "d13-x01-y01", "d14-x01-y01", "d15-x01-y01", "d16-x01-y01",
            "d19-x01-y02", "d19-x01-y03", "d19-x01-y04",
            "d20-x01-y02", "d21-x01-y02", "d22-x01-y02", "d23-x01-y02",
            "d24-x01-y01", "d24-x01-y02", "d41-x01-y01", "d42-x01-y01",
        )
    )
    + (("/REF" + _A + "d44-x01-y01", _NOT_FILLED + " (it repeats <N_ch> of d19-x01-y01)"),),
)
