"""What a chain sampler needs from its z and pT models: two small Protocols.

The chain (:func:`mlhad.generators.string_sampler.fragment`) asks a ``ZSampler`` for the
light-cone fraction of each new hadron given the string state, and a ``PTSampler`` for
the transverse momentum of each new q qbar pair. The Lund function
(:class:`~mlhad.generators.string_sampler.LundZ`) and Gaussian pT
(:class:`~mlhad.generators.string_sampler.GaussianPT`) are the reference
implementations; a trained flow (:class:`mlhad.reweight.flows.BreakFlow`) is another.

The state handed to ``ZSampler.sample_z`` is a dict of (n,) tensors:

    mT2       float64  transverse mass squared of the new hadron (GeV^2)
    rank      int64    hadrons already made from this end in this attempt
    from_pos  bool     the break is taken from the positive (quark) end
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import torch

__all__ = ["ZSampler", "PTSampler", "CONTEXT_KEYS"]

#: Keys of the state dict given to z samplers (see the module docstring).
CONTEXT_KEYS = ("mT2", "rank", "from_pos")


@runtime_checkable
class ZSampler(Protocol):
    """Draws and scores the z of a string break."""

    def sample_z(
        self, state: Mapping[str, torch.Tensor], generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """(n,) float64 z in (0, 1), one per string in ``state``."""
        ...

    def log_prob_z(self, z: torch.Tensor, state: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """(n,) log density of z given the state (normalised over 0 < z < 1)."""
        ...


@runtime_checkable
class PTSampler(Protocol):
    """Draws and scores the transverse momentum of a new q qbar pair."""

    def sample_pt(
        self, n: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(px, py), each (n,) float64 in GeV."""
        ...

    def log_prob_pt(self, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
        """(n,) log density in (px, py) (GeV^-2)."""
        ...
