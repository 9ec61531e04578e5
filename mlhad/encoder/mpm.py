"""Masked-particle modelling (MPM): the self-supervised task the encoder is pretrained on.

A fraction of the particles of each event is hidden: their energy, momentum, charge and
class are removed, only their direction (in the event frame) stays. From the rest of
the event the model predicts, for each hidden particle,

* ``ln E`` (regression, in the standardised units of the encoder's input), and
* its species = (class, charge sign) (classification, ``3 * n_classes`` logits).

Why this task for hadronization: what a string model decides is exactly how energy,
flavour and charge are shared among neighbouring hadrons (the z distribution, the
pT kick, strangeness and baryon suppression, rank-ordered charge alternation). A
model that predicts a hidden hadron's energy and species from its neighbours has to
represent those correlations, and those are what tell parameter points apart.
Contrastive views would teach the opposite: the standard augmentations (dropping or
smearing particles) make the embedding *invariant* to multiplicity and spectra, the
very quantities the parameters change. The geometric invariances (rotations,
permutations) are built into the inputs and the architecture instead of being learnt.

The pooled event embedding gets a second, weakly supervised target during pretraining
(the parameter point of the sample, :mod:`mlhad.encoder.parameters`).

Refs: T. Golling et al., "Masked particle modeling on sets", arXiv:2401.13537 (MPM);
M. Leigh et al., "Is tokenization needed for masked particle modelling?",
arXiv:2409.12589 (direct regression targets work as well as tokens).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .features import PARTICLE_FEATURES

__all__ = ["choose_hidden", "MPMTargets", "mpm_targets", "MPMHead", "mpm_loss"]

_CLASS_START = len(PARTICLE_FEATURES)
_CHARGE = PARTICLE_FEATURES.index("charge")


def choose_hidden(mask: torch.Tensor, fraction: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Hide ``max(1, round(fraction * n))`` random real particles of each event.

    Args:
        mask: ``(B, N)`` bool, True for real particles.
        fraction: in (0, 1).
        generator: torch RNG (reproducible masking).

    Returns:
        ``(B, N)`` bool, a subset of ``mask``; events with one particle keep it visible.
    """
    scores = torch.rand(mask.shape, generator=generator, device=mask.device)
    scores = scores.masked_fill(~mask, 2.0)  # padded slots sort last
    rank = scores.argsort(dim=1).argsort(dim=1)
    n = mask.sum(1)
    n_hide = torch.clamp(torch.round(fraction * n), min=1)
    n_hide = torch.where(n > 1, n_hide, torch.zeros_like(n_hide))
    return (rank < n_hide[:, None]) & mask


class MPMTargets(NamedTuple):
    """``log_e`` (B, N) standardised ln E; ``species`` (B, N) int64 = 3 * class + charge + 1."""

    log_e: torch.Tensor
    species: torch.Tensor


def mpm_targets(features: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> MPMTargets:
    """Targets from the raw features (``mean``/``std``: the encoder's input standardisation)."""
    log_e = (features[..., 0] - mean[0]) / std[0]
    cls = features[..., _CLASS_START:].argmax(-1)
    charge = torch.clamp(torch.round(features[..., _CHARGE]), -1, 1).long()
    return MPMTargets(log_e=log_e, species=3 * cls + charge + 1)


class MPMHead(nn.Module):
    """Predicts (ln E, species logits) of hidden particles from their token and the event embedding."""

    def __init__(self, d_model: int, d_event: int, n_classes: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_model + d_event, 2 * d_model), nn.GELU(), nn.Linear(2 * d_model, 1 + 3 * n_classes)
        )

    def forward(self, particles: torch.Tensor, event: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``particles`` (M, d_model), ``event`` (M, d_event) -> (M,) ln E and (M, 3C) logits."""
        out = self.net(torch.cat([particles, event], dim=-1))
        return out[:, 0], out[:, 1:]


def mpm_loss(
    head: MPMHead, particles: torch.Tensor, event: torch.Tensor, targets: MPMTargets, hidden: torch.Tensor
) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean squared error on ln E plus cross entropy on the species, over hidden particles.

    Args:
        head: the MPM head.
        particles: ``(B, N, d_model)`` encoder output.
        event: ``(B, d_event)`` encoder output.
        targets: from :func:`mpm_targets`.
        hidden: ``(B, N)`` bool.

    Returns:
        The scalar loss (for backward) and its parts as floats: ``mse``, ``ce``, ``loss``.
    """
    rows, cols = torch.nonzero(hidden, as_tuple=True)
    log_e, logits = head(particles[rows, cols], event[rows])
    mse = F.mse_loss(log_e, targets.log_e[rows, cols])
    ce = F.cross_entropy(logits, targets.species[rows, cols])
    loss = mse + ce
    return loss, {"loss": float(loss.detach()), "mse": float(mse.detach()), "ce": float(ce.detach())}
