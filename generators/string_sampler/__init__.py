"""A torch string-fragmentation chain sampler (``mlhad.generators.string_sampler``).

Pythia 8's string algorithm for the ``string`` preset (one u ubar string at rest,
pions only, 1+1D light-cone kinematics), vectorised over many strings, with the z and
pT of each break drawn from pluggable models.

What to use when:

- :func:`fragment` -- N strings -> events with the columns of an mlhad sample;
  :func:`write_sample` stores them as a sample directory (``open_sample`` reads it).
- :class:`LundZ`, :class:`GaussianPT` -- Pythia's own z and pT models (the reference).
- :class:`ZSampler`, :class:`PTSampler` -- the Protocols a learned model implements
  (e.g. :class:`mlhad.reweight.flows.BreakFlow`).
- :func:`lund_log_prob`, :func:`sample_lund` -- the Lund function as pure functions.
- :class:`StringParams` -- every parameter, with Pythia's preset values by default.
"""

from __future__ import annotations

from .base import CONTEXT_KEYS, PTSampler, ZSampler
from .lund import lund_log_norm, lund_log_prob, sample_lund
from .params import StringParams, params_from_metadata
from .reference import GaussianPT, LundZ
from .sampler import fragment
from .write import write_sample

__all__ = [
    "fragment",
    "write_sample",
    "StringParams",
    "params_from_metadata",
    "LundZ",
    "GaussianPT",
    "ZSampler",
    "PTSampler",
    "CONTEXT_KEYS",
    "lund_log_prob",
    "lund_log_norm",
    "sample_lund",
]
