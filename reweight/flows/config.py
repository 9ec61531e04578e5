"""Frozen, validated configurations of the break flow, its training and MAGIC.

``FlowConfig`` fixes the architecture: two flows sharing one module,

- z | context: a conditional flow on y = standardised logit(z) (nflows MADE-based
  rational-quadratic splines, ``"rqs"``, or affine MAF layers, ``"maf"``);
- (px_new, py_new): the new pair's transverse momentum, either isotropic (``"radial"``:
  a 1D flow of log pT^2 and a uniform azimuth, Pythia's law for the pion string) or a
  general 2D flow (``"xy"``, the only model of flows saved before ``pt_model`` existed).

A state dict only loads into a model built from an equal ``FlowConfig``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from mlhad.exceptions import ConfigError

__all__ = ["FlowConfig", "TrainConfig", "MagicConfig", "CONTEXT_FEATURES", "TRANSFORMS", "PT_MODELS"]

#: Conditioning features the z flow may use (names of the chain's state dict).
CONTEXT_FEATURES = ("mT2", "rank", "from_pos")
TRANSFORMS = ("rqs", "maf")
PT_MODELS = ("radial", "xy")


def _positive_int(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{owner}.{name} must be a positive integer, got {value!r}")


def _positive_float(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        raise ConfigError(f"{owner}.{name} must be a positive number, got {value!r}")


class _Dict:
    def to_dict(self) -> dict[str, Any]:
        def lst(v: Any) -> Any:
            return [lst(x) for x in v] if isinstance(v, tuple) else v

        return {k: lst(v) for k, v in dataclasses.asdict(self).items()}  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):  # noqa: ANN206 - returns cls
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - known
        if unknown:
            raise ConfigError(
                f"unknown {cls.__name__} fields {sorted(unknown)}; known: {sorted(known)}"
            )
        def tup(v: Any) -> Any:
            return tuple(tup(x) for x in v) if isinstance(v, list) else v

        return cls(**{k: tup(v) for k, v in data.items()})

    def replace(self, **changes: Any):  # noqa: ANN201
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


@dataclass(frozen=True)
class FlowConfig(_Dict):
    """Architecture of :class:`~mlhad.reweight.flows.BreakFlow`.

    Attributes:
        context: conditioning features of the z flow, from :data:`CONTEXT_FEATURES`;
            must contain ``"mT2"``. For the pion string Pythia's z depends on mT2 only
            (``StringZ::zFrag`` takes flavours and mT2, and the flavours are u/d).
        transform: ``"rqs"`` (rational-quadratic splines) or ``"maf"`` (affine).
        n_layers: stacked autoregressive transforms of the z flow.
        hidden: hidden units of each MADE conditioner.
        n_blocks: residual blocks per MADE.
        n_bins: spline bins (``"rqs"`` only).
        tail_bound: splines act on [-B, B] of the standardised logit; linear outside.
        pt_flow: also model (px_new, py_new) with a flow (else a chain needs a pT model).
        pt_model: ``"radial"`` (default): p(px, py) = p(log pT^2) / (pi pT^2), a 1D flow
            of log pT^2 with a uniform azimuth, exactly isotropic as Pythia's
            ``StringPT`` (Gaussian components, 1% at twice the width); ``"xy"``: a 2D
            autoregressive flow of (px, py), which learned too narrow a pT with too
            light tails (docs/flows.md).
        pt_layers: transforms of the pT flow.
    """

    context: tuple[str, ...] = ("mT2",)
    transform: str = "rqs"
    n_layers: int = 3
    hidden: int = 32
    n_blocks: int = 2
    n_bins: int = 10
    tail_bound: float = 5.0
    pt_flow: bool = True
    pt_model: str = "radial"
    pt_layers: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "context", tuple(self.context))
        bad = [c for c in self.context if c not in CONTEXT_FEATURES]
        if bad or "mT2" not in self.context or len(set(self.context)) != len(self.context):
            raise ConfigError(
                f"FlowConfig.context must be distinct names from {CONTEXT_FEATURES} including "
                f"'mT2', got {self.context!r}"
            )
        if self.transform not in TRANSFORMS:
            raise ConfigError(f"FlowConfig.transform must be one of {TRANSFORMS}, got {self.transform!r}")
        if self.pt_model not in PT_MODELS:
            raise ConfigError(f"FlowConfig.pt_model must be one of {PT_MODELS}, got {self.pt_model!r}")
        for name in ("n_layers", "hidden", "n_blocks", "n_bins", "pt_layers"):
            _positive_int("FlowConfig", name, getattr(self, name))
        _positive_float("FlowConfig", "tail_bound", self.tail_bound)


@dataclass(frozen=True)
class TrainConfig(_Dict):
    """Maximum-likelihood training of a break flow.

    Attributes:
        breaks: z is fitted on ``"all"`` (every z draw, thrown-away attempts included:
            each is an unbiased draw from the z sampler) or ``"accepted"`` (only the
            kept attempt; biased, see docs/flows.md). The pT flow is always fitted on
            every draw, held-out windows included (its law does not depend on the state).
        epochs, batch_size, lr: Adam settings; the learning rate decays as a cosine.
        val_fraction: held out for early stopping on the validation NLL.
        patience: epochs without validation improvement before stopping.
        max_breaks: use at most this many draws (0: all), picked at random before the
            windows are held out.
        holdout_mT2: [lo, hi) windows of mT2 (GeV^2) left out of the z fit, to test how
            the z flow interpolates (see :func:`mlhad.reweight.flows.z_window_metrics`).
        seed: seed of the split and batching.
    """

    breaks: str = "all"
    epochs: int = 30
    batch_size: int = 4096
    lr: float = 2e-3
    val_fraction: float = 0.1
    patience: int = 5
    max_breaks: int = 0
    holdout_mT2: tuple[tuple[float, float], ...] = ()
    seed: int = 1

    def __post_init__(self) -> None:
        windows = tuple(tuple(float(x) for x in w) for w in self.holdout_mT2)
        if any(len(w) != 2 or not 0 <= w[0] < w[1] for w in windows):
            raise ConfigError(
                f"TrainConfig.holdout_mT2 must be (lo, hi) pairs with 0 <= lo < hi, got {self.holdout_mT2!r}")
        object.__setattr__(self, "holdout_mT2", windows)
        if self.breaks not in ("all", "accepted"):
            raise ConfigError(f"TrainConfig.breaks must be 'all' or 'accepted', got {self.breaks!r}")
        for name in ("epochs", "batch_size", "patience"):
            _positive_int("TrainConfig", name, getattr(self, name))
        _positive_float("TrainConfig", "lr", self.lr)
        if not 0.0 < self.val_fraction < 0.5:
            raise ConfigError(f"TrainConfig.val_fraction must lie in (0, 0.5), got {self.val_fraction!r}")
        if not isinstance(self.max_breaks, int) or self.max_breaks < 0:
            raise ConfigError(f"TrainConfig.max_breaks must be an integer >= 0, got {self.max_breaks!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"TrainConfig.seed must be an integer >= 0, got {self.seed!r}")


@dataclass(frozen=True)
class MagicConfig(_Dict):
    """MAGIC fine-tuning (see :mod:`mlhad.reweight.flows.magic`).

    Attributes:
        observables: event observables matched to the target (names in
            :data:`mlhad.reweight.flows.observables.OBSERVABLES`).
        n_chains: chains generated with the current flow per (re)generation.
        steps: optimiser steps.
        lr: Adam learning rate of the z-flow parameters (cosine decay to lr / 10 over
            ``steps``).
        neff_threshold: regenerate chains when n_eff / N falls below this.
        kl_weight: weight of the penalty KL(p_gen || p_theta) per break, which keeps the
            microscopic density close to the one that generated the chains (0: none).
        seed: seed of chain generation.
    """

    observables: tuple[str, ...] = ("n_hadrons", "n_charged", "x_lead", "max_gap", "sum_z")
    n_chains: int = 20_000
    steps: int = 150
    lr: float = 5e-4
    neff_threshold: float = 0.5
    kl_weight: float = 0.0
    seed: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "observables", tuple(self.observables))
        if not self.observables:
            raise ConfigError("MagicConfig.observables must name at least one observable")
        for name in ("n_chains", "steps"):
            _positive_int("MagicConfig", name, getattr(self, name))
        _positive_float("MagicConfig", "lr", self.lr)
        if not 0.0 < self.neff_threshold < 1.0:
            raise ConfigError(
                f"MagicConfig.neff_threshold must lie in (0, 1), got {self.neff_threshold!r}"
            )
        if not self.kl_weight >= 0:
            raise ConfigError(f"MagicConfig.kl_weight must be >= 0, got {self.kl_weight!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"MagicConfig.seed must be an integer >= 0, got {self.seed!r}")
