"""Small flows shared by the flow tests."""

from __future__ import annotations

import pytest
import torch

from mlhad.reweight.flows import BreakFlow, FlowConfig


def perturbed_flow(config: FlowConfig, seed: int = 0, scale: float = 0.1) -> BreakFlow:
    """A flow whose weights are randomised away from nflows' near-identity start, so
    that identity tests exercise non-trivial transforms."""
    flow = BreakFlow(config, seed=seed)
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(scale * torch.randn(p.shape, generator=gen))
    return flow


@pytest.fixture(scope="session")
def make_flow():
    """Factory of flows with randomised weights (see :func:`perturbed_flow`)."""
    return perturbed_flow


@pytest.fixture(scope="session")
def small_config() -> FlowConfig:
    return FlowConfig(n_layers=2, hidden=16, n_blocks=1, n_bins=6, pt_layers=1)
