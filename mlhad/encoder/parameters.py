"""Auxiliary pretraining target: the hadronization parameters an event was generated with.

Masked-particle modelling alone trains the *particle* tokens; how much of the
parameter-sensitive information ends up linearly readable in the pooled *event*
embedding is left to chance, and with longer MPM training it went down (measured:
docs/encoder.md, "ablation"). Every pretraining sample records its Pythia settings, so
each event carries its parameter point theta for free. A small head regresses the
standardised theta from the event embedding; the Bayes-optimal answer is
E[theta | event], so the embedding is pushed to keep exactly what tells parameter
points apart, in every direction of the parameter space the samples span (not only
between two points, as a classifier would). The weight of this term is
``PretrainConfig.param_weight`` (0 switches it off: pure MPM).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from mlhad.config import parse_setting
from mlhad.exceptions import ConfigError

__all__ = ["ParameterHead", "parameter_table", "sample_parameters"]


class ParameterHead(nn.Module):
    """MLP from the event embedding to the standardised parameters."""

    def __init__(self, d_event: int, n_parameters: int, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d_event, hidden), nn.GELU(), nn.Linear(hidden, n_parameters))

    def forward(self, event: torch.Tensor) -> torch.Tensor:
        """``(B, d_event)`` -> ``(B, n_parameters)``."""
        return self.net(event)


def sample_parameters(sample: Any) -> dict[str, float]:
    """Numeric Pythia settings of a sample (its ``--set`` values), e.g. ``{"StringZ:aLund": 0.5}``.

    Values of the base tune that the sample did not set come from the metadata's
    ``fragmentation_base`` where recorded.
    """
    meta = getattr(sample, "metadata", None) or {}
    out: dict[str, float] = {}
    for key, value in (meta.get("fragmentation_base") or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = float(value)
    for text in (meta.get("config") or {}).get("settings", []):
        key, value = parse_setting(text)
        try:
            out[key] = float(value)
        except ValueError:
            continue
    return out


def parameter_table(per_source: Sequence[Mapping[str, float]]) -> tuple[list[str], np.ndarray]:
    """Parameters that differ between sources, as an ``(n_sources, k)`` table.

    Args:
        per_source: one ``{name: value}`` per source (e.g. :func:`sample_parameters`).

    Returns:
        The names (sorted) and values of every parameter that is known for all sources
        and not constant among them.

    Raises:
        ConfigError: a parameter varies but is missing for some source, or nothing varies.
    """
    names = sorted(set().union(*per_source)) if per_source else []
    varying = []
    for name in names:
        known = [name in p for p in per_source]
        values = {p[name] for p in per_source if name in p}
        if len(values) > 1 and not all(known):
            missing = [i for i, k in enumerate(known) if not k]
            raise ConfigError(
                f"parameter {name!r} differs between samples but is not recorded for sample(s) {missing}; "
                "set it explicitly (--set) when generating them, or pretrain with param_weight=0"
            )
        if len(values) > 1:
            varying.append(name)
    if not varying:
        raise ConfigError(
            "no hadronization parameter differs between the pretraining samples; give samples at "
            "several parameter points, or pretrain with param_weight=0 (masked particles only)"
        )
    return varying, np.array([[p[n] for n in varying] for p in per_source], dtype=np.float64)
