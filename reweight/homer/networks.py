"""The small fully connected networks of both HOMER steps."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["mlp", "Standardise"]


def mlp(n_in: int, hidden: Sequence[int], *, zero_last: bool = False) -> nn.Sequential:
    """``n_in -> hidden... -> 1`` with SiLU activations.

    Args:
        n_in: input width.
        hidden: hidden-layer widths.
        zero_last: initialise the output layer to zero, so the network starts as the
            constant 0 (step 2: every weight starts at 1, the simulation itself).
    """
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.SiLU()]
        width = h
    last = nn.Linear(width, 1)
    if zero_last:
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
    layers.append(last)
    return nn.Sequential(*layers)


class Standardise(nn.Module):
    """``(x - shift) / scale`` with fixed, saved constants; NaN inputs become 0 (the mean).

    Args:
        shift, scale: (d,) constants (scale > 0).
    """

    def __init__(self, shift: torch.Tensor, scale: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("shift", torch.as_tensor(shift, dtype=torch.float32).clone())
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nan_to_num((x - self.shift) / self.scale, nan=0.0)
