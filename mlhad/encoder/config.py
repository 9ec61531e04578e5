"""The encoder's architecture, as one frozen and validated dataclass.

The config is stored next to every checkpoint (``<name>.json``), so a state dict is
never loaded into a model of another shape by accident: :func:`mlhad.encoder.load`
builds the model from the stored config first and checks every tensor's shape.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from mlhad.exceptions import ConfigError

__all__ = ["EncoderConfig", "CLASS_SCHEMES"]

#: Particle-class schemes understood by :mod:`mlhad.encoder.classes`.
CLASS_SCHEMES = ("identified", "detector")


def _positive_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"EncoderConfig.{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class EncoderConfig:
    """Shape of a :class:`~mlhad.encoder.model.PETEncoder`.

    Attributes:
        d_model: width of the per-particle tokens (and of the particle embeddings).
        n_heads: attention heads; must divide ``d_model``.
        n_layers: transformer blocks over the particle set.
        mlp_ratio: hidden width of each block's MLP, in units of ``d_model``.
        k_neighbours: neighbours of each particle in the local (EdgeConv) block, chosen
            by opening angle. Events with fewer particles use all the others.
        n_local: EdgeConv blocks before the transformer (0 disables the local part).
        d_edge: hidden width of the EdgeConv edge MLP (its cost is ``k * d_edge`` per particle).
        d_event: width of the pooled event embedding returned by :func:`embed`.
        class_scheme: ``"identified"`` (photon, e, mu, pi+-, K+-, p, n, K0L, other: what
            a generator knows) or ``"detector"`` (photon, e, mu, charged hadron, neutral
            hadron: what a particle-flow reconstruction knows).
        layer_scale_init: initial value of the per-channel residual scales (LayerScale,
            Touvron et al. 2021), as in PET; small values start each block near identity.
        dropout: dropout inside attention and MLPs during training.
    """

    d_model: int = 32
    n_heads: int = 2
    n_layers: int = 2
    mlp_ratio: int = 2
    k_neighbours: int = 8
    n_local: int = 1
    d_edge: int = 16
    d_event: int = 64
    class_scheme: str = "identified"
    layer_scale_init: float = 0.1
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("d_model", "n_heads", "n_layers", "mlp_ratio", "k_neighbours", "d_edge", "d_event"):
            _positive_int(name, getattr(self, name))
        if not isinstance(self.n_local, int) or isinstance(self.n_local, bool) or self.n_local < 0:
            raise ConfigError(f"EncoderConfig.n_local must be an integer >= 0, got {self.n_local!r}")
        if self.d_model % self.n_heads:
            raise ConfigError(
                f"EncoderConfig.d_model={self.d_model} is not divisible by n_heads={self.n_heads}; "
                "pick n_heads among the divisors of d_model (e.g. 4 for d_model=64)"
            )
        if self.class_scheme not in CLASS_SCHEMES:
            raise ConfigError(
                f"EncoderConfig.class_scheme must be one of {CLASS_SCHEMES}, got {self.class_scheme!r}"
            )
        if not 0.0 < float(self.layer_scale_init) <= 1.0:
            raise ConfigError(
                f"EncoderConfig.layer_scale_init must lie in (0, 1], got {self.layer_scale_init!r}"
            )
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ConfigError(f"EncoderConfig.dropout must lie in [0, 1), got {self.dropout!r}")

    def replace(self, **changes: Any) -> EncoderConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (see :meth:`from_dict`)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EncoderConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error, not silently dropped."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(
                f"unknown EncoderConfig fields {sorted(unknown)}; known: {sorted(known)}. "
                "Was the checkpoint written by a newer mlhad?"
            )
        return cls(**data)
