"""The point-edge transformer (PET) encoder for whole e+e- events.

Data flow for a batch of ``B`` events padded to ``N`` particles::

    features (B, N, F) --standardise--> MLP --> tokens (B, N, d)
    globals  (B, G)    --standardise--> MLP --> g (B, d) --FiLM--> tokens * (1 + s(g)) + t(g)
    tokens --n_local x EdgeConv over the angular kNN graph (residual)-->
           --n_layers x transformer block (key-padding mask)--> LayerNorm --> particle embeddings (B, N, d)
    [masked mean of GELU(Linear(particle embeddings)), g] --Linear--> event embedding (B, d_event)

The read-out before the mean (a DeepSets-style ``d_model -> d_event`` layer) lets the
pooled vector hold nonlinear summaries of the particle set (moments of spectra,
species fractions), which a linear probe on the event embedding can then use.

The event embedding is permutation invariant and the particle embeddings are
permutation equivariant (exactly, up to float rounding, whenever no two particles are
tied at the k-th neighbour distance); padded slots never change the real ones.

Masked-particle pretraining passes ``hidden`` (B, N): for those particles only the
direction columns survive and a learned mask token is added, so the encoder must infer
their energy and species from the context (see :mod:`mlhad.encoder.pretrain`).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from mlhad.exceptions import ModelError

from .config import EncoderConfig
from .features import DIRECTION_COLUMNS, GLOBAL_FEATURES, PARTICLE_FEATURES, n_particle_features
from .layers import EdgeConv, TransformerBlock, masked_mean

__all__ = ["EncoderOutput", "PETEncoder"]

# The direction columns are contiguous, so a slice (a view, no copy) selects them.
_DIRECTION = slice(DIRECTION_COLUMNS[0], DIRECTION_COLUMNS[-1] + 1)
if tuple(range(64))[_DIRECTION] != tuple(DIRECTION_COLUMNS):  # pragma: no cover - guards a future edit
    raise ImportError("DIRECTION_COLUMNS must be contiguous")


class EncoderOutput(NamedTuple):
    """What the encoder returns.

    Attributes:
        event: ``(B, d_event)`` event embeddings.
        particles: ``(B, N, d_model)`` particle embeddings, zeros on padded slots.
    """

    event: torch.Tensor
    particles: torch.Tensor


class _Standardise(nn.Module):
    """x -> (x - mean) / std with buffers fitted once on pretraining data (saved in the state dict)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("std", torch.ones(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def _mlp(n_in: int, d: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, d), nn.GELU(), nn.Linear(d, d))


class PETEncoder(nn.Module):
    """Point-edge transformer over the visible particles of an event.

    Args:
        config: architecture (:class:`~mlhad.encoder.config.EncoderConfig`).

    Example:
        >>> enc = PETEncoder(EncoderConfig(d_model=32, n_layers=1, d_event=16))
        >>> x = torch.zeros(2, 5, enc.n_features); x[..., 3] = 1.0
        >>> out = enc(x, torch.ones(2, 5, dtype=torch.bool), torch.zeros(2, 5))
        >>> tuple(out.event.shape), tuple(out.particles.shape)
        ((2, 16), (2, 5, 32))
    """

    def __init__(self, config: EncoderConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or EncoderConfig()
        self.n_features = n_particle_features(config.class_scheme)
        self.n_globals = len(GLOBAL_FEATURES)
        d = config.d_model
        self.particle_norm = _Standardise(self.n_features)
        self.global_norm = _Standardise(self.n_globals)
        self.particle_embed = _mlp(self.n_features, d)
        self.global_embed = _mlp(self.n_globals, d)
        self.film = nn.Linear(d, 2 * d)
        self.mask_token = nn.Parameter(torch.zeros(d))
        self.local = nn.ModuleList(EdgeConv(d, config.d_edge, config.k_neighbours) for _ in range(config.n_local))
        self.blocks = nn.ModuleList(
            TransformerBlock(d, config.n_heads, config.mlp_ratio, config.layer_scale_init, config.dropout)
            for _ in range(config.n_layers)
        )
        self.final_norm = nn.LayerNorm(d)
        self.readout = nn.Linear(d, config.d_event)
        self.event_head = nn.Linear(config.d_event + d, config.d_event)
        keep = torch.zeros(self.n_features, dtype=torch.bool)
        keep[list(DIRECTION_COLUMNS)] = True
        self.register_buffer("_direction_columns", keep, persistent=False)

    @torch.no_grad()
    def fit_normalisation(self, values: torch.Tensor, globals_: torch.Tensor) -> PETEncoder:
        """Set the input standardisation from flat features (before training).

        Args:
            values: ``(n_particles, F)`` flat per-particle features.
            globals_: ``(n_events, G)`` per-event features.

        One-hot class columns and the direction cosines are left unscaled (already O(1));
        constant columns keep std 1.
        """
        n_cont = len(PARTICLE_FEATURES)
        mean, std = values[:, :n_cont].double().mean(0), values[:, :n_cont].double().std(0)
        scalable = torch.ones(n_cont, dtype=torch.bool)
        scalable[list(DIRECTION_COLUMNS)] = False
        self.particle_norm.mean[:n_cont] = torch.where(scalable, mean, 0.0).float()
        self.particle_norm.std[:n_cont] = torch.where(scalable & (std > 1e-6), std, 1.0).float()
        g_mean, g_std = globals_.double().mean(0), globals_.double().std(0)
        self.global_norm.mean.copy_(g_mean.float())
        self.global_norm.std.copy_(torch.where(g_std > 1e-6, g_std, 1.0).float())
        return self

    def forward(
        self,
        features: torch.Tensor,
        mask: torch.Tensor,
        globals_: torch.Tensor,
        hidden: torch.Tensor | None = None,
    ) -> EncoderOutput:
        """Embed a padded batch.

        Args:
            features: ``(B, N, F)`` from :func:`mlhad.encoder.particle_features`.
            mask: ``(B, N)`` bool, True for real particles.
            globals_: ``(B, G)`` from :func:`mlhad.encoder.global_features`.
            hidden: optional ``(B, N)`` bool, particles to hide (pretraining only).

        Raises:
            ModelError: wrong shapes, or an event with no real particle.
        """
        if features.ndim != 3 or features.shape[-1] != self.n_features:
            raise ModelError(
                f"features must have shape (batch, n_particles, {self.n_features}) for class scheme "
                f"{self.config.class_scheme!r}, got {tuple(features.shape)}"
            )
        if mask.shape != features.shape[:2] or globals_.shape != (features.shape[0], self.n_globals):
            raise ModelError(
                f"mask {tuple(mask.shape)} / globals {tuple(globals_.shape)} do not fit features "
                f"{tuple(features.shape)}: expected {tuple(features.shape[:2])} and ({features.shape[0]}, {self.n_globals})"
            )
        if features.shape[0] and not bool(mask.any(1).all()):
            raise ModelError(
                f"batch rows {torch.nonzero(~mask.any(1)).flatten()[:5].tolist()} have no real particle; "
                "an empty event has no embedding: drop it before embedding"
            )
        direction = features[..., _DIRECTION]
        x = self.particle_norm(features)
        if hidden is not None:
            x = torch.where(hidden[..., None] & ~self._direction_columns, torch.zeros_like(x), x)
        h = self.particle_embed(x)
        if hidden is not None:
            h = h + hidden[..., None].to(h.dtype) * self.mask_token
        g = self.global_embed(self.global_norm(globals_))
        scale, shift = self.film(g).chunk(2, dim=-1)
        h = torch.addcmul(shift[:, None], h, 1.0 + scale[:, None])
        # A batch without padding (equal multiplicities, as embed() builds them) skips
        # every masking step: the same function, less work.
        pad_mask = None if bool(mask.all()) else mask
        for edge in self.local:
            h = h + edge(h, direction, pad_mask)
        for block in self.blocks:
            h = block(h, pad_mask)
        particles = self.final_norm(h)
        if pad_mask is not None:
            particles = particles * pad_mask[..., None].to(h.dtype)
        pooled = masked_mean(F.gelu(self.readout(particles)), pad_mask)
        event = self.event_head(torch.cat([pooled, g], dim=-1))
        return EncoderOutput(event=event, particles=particles)

    def n_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
