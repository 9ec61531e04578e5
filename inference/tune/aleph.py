"""Selections of ALEPH_1996_S3486095 data for tuning the Lund string (aLund, bLund, sigma).

Two selections, both as Professor weight-file text:

* :data:`ALEPH_GLOBAL_WEIGHTS` ("global", what ``mlhad demo`` fits): every charged-particle
  spectrum and event shape of the analysis -- the soft-pT selection below with pT_in and
  pT_out over their full range, plus the eight event shapes d01-d08 (300 points in 13
  histograms). On 1M-event direct runs its tune lowers ALEPH's chi2 nearly as much as the
  soft-pT one and leaves DELPHI's (not fitted) within MC noise of Monash's, where the
  soft-pT tune raises it (docs/tune.md, "The global ALEPH tune");
* :data:`ALEPH_WEIGHTS` ("soft-pt", the selection of docs/aleph_tune, the closures and the
  benchmark), described below with the reasoning it was chosen by; the DELPHI check
  showed that leaving out the pT tails and the event shapes costs more than it saves.

The soft-pT selection: only observables that the string fragmentation parameters control are fitted, in the
regions where hadronization rather than the perturbative shower shapes them:

* d17, xi_p = ln(1/x_p) of charged particles, all points: the bulk of the momentum
  spectrum (aLund, bLund through the fragmentation function) and, by its integral,
  the mean charged multiplicity;
* d18, the charged multiplicity distribution, all points;
* d10, |rapidity| w.r.t. the thrust axis, all points: the rapidity plateau (multiplicity
  per unit rapidity) and its fall-off;
* d11 and d12, pT in and out of the event plane (sphericity axes), below 1 GeV only:
  the Gaussian string pT (sigma); above about 1 GeV both are made by hard gluon emission
  (3- and 4-jet events), i.e. by the shower, not by the string.

Left out, and why:

* d01-d08, event shapes: dominated by the parton shower (alpha_s of the final-state
  shower is not tuned here, so fitting them would make the string parameters absorb
  shower mismodelling);
* d09, x_p: the same charged particles as d17 in another binning (double counting);
* d19-d23, mean multiplicities: the same particles as d17, d18 and d10 again;
* d25-d44, identified hadrons: governed by the flavour parameters (StringFlav:*), which
  are not tuned (and cannot be reweighted by mlhad).
"""

from __future__ import annotations

from mlhad.compare import WeightFile, parse_weights
from mlhad.exceptions import TuneError
from mlhad.yoda import YodaObject, read_reference

__all__ = ["ALEPH_WEIGHTS", "ALEPH_GLOBAL_WEIGHTS", "SELECTIONS", "ANALYSIS", "aleph_weights", "aleph_selection",
           "aleph_reference", "DEFAULT_PARAMS"]

#: The analysis whose shipped data the selections are taken from.
ANALYSIS = "ALEPH_1996_S3486095"

#: The string parameters the default tune fits.
DEFAULT_PARAMS = ("StringZ:aLund", "StringZ:bLund", "StringPT:sigma")

#: Professor weight-file text of the soft-pT selection described in the module docstring.
ALEPH_WEIGHTS = """\
# mlhad's soft-pT ALEPH_1996_S3486095 selection for aLund, bLund, StringPT:sigma (see mlhad.inference.tune.aleph)
/ALEPH_1996_S3486095/d17-x01-y01        1     # xi_p, all points
/ALEPH_1996_S3486095/d18-x01-y01        1     # N_ch distribution, all points
/ALEPH_1996_S3486095/d10-x01-y01        1     # |y_T|, all points
/ALEPH_1996_S3486095/d11-x01-y01@0:0.99 1     # pT_in < 1 GeV (string pT; above: hard gluons)
/ALEPH_1996_S3486095/d12-x01-y01@0:0.99 1     # pT_out < 1 GeV
"""


#: Professor weight-file text of the global selection (d09, x_p, stays out: the particles of
#: xi_p again; so do the mean multiplicities and the identified hadrons).
ALEPH_GLOBAL_WEIGHTS = """\
# mlhad's global ALEPH_1996_S3486095 selection for aLund, bLund, StringPT:sigma (see mlhad.inference.tune.aleph)
/ALEPH_1996_S3486095/d17-x01-y01        1     # xi_p
/ALEPH_1996_S3486095/d18-x01-y01        1     # N_ch distribution
/ALEPH_1996_S3486095/d10-x01-y01        1     # |y_T|
/ALEPH_1996_S3486095/d11-x01-y01        1     # pT_in (sphericity axes), all points
/ALEPH_1996_S3486095/d12-x01-y01        1     # pT_out, all points
/ALEPH_1996_S3486095/d01-x01-y01        1     # sphericity
/ALEPH_1996_S3486095/d02-x01-y01        1     # aplanarity
/ALEPH_1996_S3486095/d03-x01-y01        1     # 1 - T
/ALEPH_1996_S3486095/d04-x01-y01        1     # T_minor
/ALEPH_1996_S3486095/d05-x01-y01        1     # -ln y_3 (Durham)
/ALEPH_1996_S3486095/d06-x01-y01        1     # heavy jet mass
/ALEPH_1996_S3486095/d07-x01-y01        1     # C parameter
/ALEPH_1996_S3486095/d08-x01-y01        1     # oblateness
"""

#: The selections by name, as ``mlhad demo --selection`` takes them.
SELECTIONS = {"global": ALEPH_GLOBAL_WEIGHTS, "soft-pt": ALEPH_WEIGHTS}


def aleph_weights(name: str = "soft-pt") -> WeightFile:
    """Selection ``name`` parsed (default :data:`ALEPH_WEIGHTS`, the soft-pT selection).

    Raises:
        TuneError: an unknown name (see :func:`aleph_selection`).
    """
    return parse_weights(aleph_selection(name), source=f"mlhad {name} ALEPH selection")


def aleph_selection(name: str) -> str:
    """The weight-file text of selection ``name`` ("global" or "soft-pt").

    Raises:
        TuneError: an unknown name (the message lists the known ones).
    """
    if name not in SELECTIONS:
        raise TuneError(f"unknown ALEPH selection {name!r}: choose one of {', '.join(SELECTIONS)}")
    return SELECTIONS[name]


def aleph_reference(name: str = "soft-pt") -> dict[str, YodaObject]:
    """The shipped ALEPH reference objects (``{ref path: object}``) that selection ``name`` fits.

    Booking only these in a simulator (``PythiaSimulator(reference={ANALYSIS: ...})``) analyses
    what a tune of that selection needs and nothing else.
    """
    rules = aleph_weights(name).rules
    return {p: o for p, o in read_reference(ANALYSIS).items() if any(r.matches_path(p[4:]) for r in rules)}
