"""The default selection of ALEPH_1996_S3486095 data for tuning the Lund string (aLund, bLund, sigma).

Only observables that the string fragmentation parameters control are fitted, in the
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

__all__ = ["ALEPH_WEIGHTS", "aleph_weights", "DEFAULT_PARAMS"]

#: The string parameters the default tune fits.
DEFAULT_PARAMS = ("StringZ:aLund", "StringZ:bLund", "StringPT:sigma")

#: Professor weight-file text of the selection described in the module docstring.
ALEPH_WEIGHTS = """\
# mlhad's default ALEPH_1996_S3486095 selection for aLund, bLund, StringPT:sigma (see mlhad.inference.tune.aleph)
/ALEPH_1996_S3486095/d17-x01-y01        1     # xi_p, all points
/ALEPH_1996_S3486095/d18-x01-y01        1     # N_ch distribution, all points
/ALEPH_1996_S3486095/d10-x01-y01        1     # |y_T|, all points
/ALEPH_1996_S3486095/d11-x01-y01@0:0.99 1     # pT_in < 1 GeV (string pT; above: hard gluons)
/ALEPH_1996_S3486095/d12-x01-y01@0:0.99 1     # pT_out < 1 GeV
"""


def aleph_weights() -> WeightFile:
    """:data:`ALEPH_WEIGHTS` parsed."""
    return parse_weights(ALEPH_WEIGHTS, source="mlhad default ALEPH selection")
