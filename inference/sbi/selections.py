"""Named selections of reference histograms for the SBI examples and benchmarks."""

from __future__ import annotations

__all__ = ["ALEPH_CHARGED_WEIGHTS"]

# Professor weight-file text: the ALEPH_1996 charged-particle observables (event shapes,
# charged spectra, multiplicity), no identified hadrons.
ALEPH_CHARGED_WEIGHTS = """# ALEPH charged-particle observables (no identified hadrons)
/ALEPH_1996_S3486095/d0[1-9]-x01-y01   1
/ALEPH_1996_S3486095/d1[0-2]-x01-y01   1
/ALEPH_1996_S3486095/d1[7-9]-x01-y01   1
/ALEPH_1996_S3486095/d2[0-3]-x01-y01   1
"""
