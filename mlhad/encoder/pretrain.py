"""Self-supervised pretraining of the encoder by masked-particle modelling.

``pretrain(sources, ...)`` reads every source (samples at different hadronization
parameter points), holds out a validation fraction of the events, standardises the
inputs on the training events, and trains encoder and MPM head together with AdamW
and a cosine learning-rate schedule. With ``param_weight > 0`` and sources that record
their parameters, an auxiliary head regresses each event's parameter point from the
event embedding (:mod:`mlhad.encoder.parameters`). The validation loss is measured each epoch on
the same held-out events with the same hidden particles, so the curve is comparable
from epoch to epoch; the loss of the trivial predictor (mean ln E, species
frequencies) is reported beside it as the floor to beat.

Everything random (initialisation, split, batches, masks) derives from ``seed`` in a
forked RNG: the global torch RNG is left untouched and a run is reproducible on the
same hardware and library versions.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from mlhad.exceptions import ConfigError
from mlhad.progress import progress_bar

from .batching import concat_features, iter_batches, select_events
from .classes import n_classes
from .config import EncoderConfig
from .features import FlatFeatures
from .inputs import collect_features
from .model import PETEncoder
from .mpm import MPMHead, choose_hidden, mpm_loss, mpm_targets
from .parameters import ParameterHead, parameter_table, sample_parameters

__all__ = ["PretrainConfig", "PretrainResult", "pretrain", "pretrain_features", "trivial_loss"]


@dataclass(frozen=True)
class PretrainConfig:
    """Optimisation settings of :func:`pretrain`.

    Attributes:
        epochs: passes over the training events.
        batch_size: events per step.
        lr: peak learning rate (AdamW), reached after ``warmup`` of the steps.
        weight_decay: AdamW weight decay.
        warmup: fraction of the steps with a linear warm-up.
        mask_fraction: fraction of each event's particles hidden.
        validation_fraction: fraction of the events held out.
        param_weight: weight of the parameter-regression loss (0: masked particles only).
        seed: seed of everything random.
    """

    epochs: int = 10
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup: float = 0.05
    mask_fraction: float = 0.3
    validation_fraction: float = 0.1
    param_weight: float = 1.0
    seed: int = 1

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "seed"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"PretrainConfig.{name} must be a positive integer, got {value!r}")
        for name, low, high in (("lr", 0, 1), ("mask_fraction", 0, 1), ("validation_fraction", 0, 1), ("warmup", -1e-12, 1)):
            value = getattr(self, name)
            if not low < float(value) < high:
                raise ConfigError(f"PretrainConfig.{name} must lie in ({max(low, 0)}, {high}), got {value!r}")
        for name in ("weight_decay", "param_weight"):
            if not float(getattr(self, name)) >= 0:
                raise ConfigError(f"PretrainConfig.{name} must be >= 0, got {getattr(self, name)!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class PretrainResult:
    """Trained encoder and heads, and the loss history.

    Attributes:
        model: the encoder (eval mode).
        head: the MPM head (not needed for embedding; kept to resume or inspect).
        param_head: the parameter-regression head, or None.
        param_names: parameters regressed (those that vary between the sources).
        history: per epoch ``train_loss``, ``val_loss`` (MPM), ``val_mse``, ``val_ce``,
            ``val_param`` (MSE of the standardised parameters; 1 = knowing nothing),
            ``seconds``; per step ``step_loss`` (total training loss).
        trivial: validation loss of the trivial predictor (``mse``, ``ce``, ``loss``).
        n_train, n_val: events used.
    """

    model: PETEncoder
    head: MPMHead
    param_head: ParameterHead | None = None
    param_names: list[str] = field(default_factory=list)
    history: dict[str, list[float]] = field(default_factory=dict)
    trivial: dict[str, float] = field(default_factory=dict)
    n_train: int = 0
    n_val: int = 0


def trivial_loss(flat: FlatFeatures, model: PETEncoder) -> dict[str, float]:
    """Loss of predicting the mean ln E and the species frequencies for every particle.

    MSE: variance of the standardised ln E (~1); CE: entropy of the species distribution.
    """
    feats = torch.from_numpy(flat.values)
    t = mpm_targets(feats, model.particle_norm.mean, model.particle_norm.std)
    mse = float(t.log_e.var(unbiased=False))
    freq = torch.bincount(t.species, minlength=3 * n_classes(model.config.class_scheme)).double()
    p = freq[freq > 0] / freq.sum()
    ce = float(-(p * p.log()).sum())
    return {"mse": mse, "ce": ce, "loss": mse + ce}


def _lr_factor(step: int, total: int, warmup: float) -> float:
    n_warm = max(1, int(warmup * total))
    if step < n_warm:
        return (step + 1) / n_warm
    return 0.5 * (1.0 + np.cos(np.pi * (step - n_warm) / max(1, total - n_warm)))


def _evaluate(
    model: PETEncoder,
    head: MPMHead,
    param_head: ParameterHead | None,
    flat: FlatFeatures,
    targets: np.ndarray | None,
    cfg: PretrainConfig,
) -> dict[str, float]:
    model.eval()
    head.eval()
    sums = {"loss": 0.0, "mse": 0.0, "ce": 0.0}
    n, param_sq = 0, 0.0
    gen = torch.Generator().manual_seed(cfg.seed + 1)  # the same hidden particles every epoch
    with torch.no_grad():
        for batch in iter_batches(flat, 1024):
            hidden = choose_hidden(batch.mask, cfg.mask_fraction, gen)
            out = model(batch.features, batch.mask, batch.globals, hidden=hidden)
            t = mpm_targets(batch.features, model.particle_norm.mean, model.particle_norm.std)
            _, parts = mpm_loss(head, out.particles, out.event, t, hidden)
            m = int(hidden.sum())
            for key in sums:
                sums[key] += parts[key] * m
            n += m
            if param_head is not None and targets is not None:
                # Parameters from the unmasked event: what the embedding gives downstream.
                full = model(batch.features, batch.mask, batch.globals).event
                diff = param_head(full) - torch.from_numpy(targets[batch.index])
                param_sq += float((diff**2).mean(1).sum())
    scores = {k: v / max(n, 1) for k, v in sums.items()}
    scores["param"] = param_sq / flat.n_events if param_head is not None else float("nan")
    return scores


def pretrain_features(
    flat: FlatFeatures,
    *,
    targets: np.ndarray | None = None,
    param_names: Sequence[str] = (),
    encoder_config: EncoderConfig | None = None,
    config: PretrainConfig | None = None,
    progress: bool = True,
) -> PretrainResult:
    """:func:`pretrain` on features already in memory.

    Args:
        flat: all events.
        targets: optional ``(n_events, k)`` parameter point of each event; standardised
            here (on the training events) and regressed with weight ``config.param_weight``.
        param_names: names of the ``k`` parameters (recorded in the result).
        encoder_config, config, progress: see :func:`pretrain`.
    """
    cfg = config or PretrainConfig()
    enc_cfg = encoder_config or EncoderConfig()
    if flat.n_events < 2:
        raise ConfigError(f"pretraining needs at least 2 events, got {flat.n_events}")
    use_params = targets is not None and cfg.param_weight > 0
    if use_params:
        targets = np.asarray(targets, dtype=np.float64)
        if targets.ndim != 2 or targets.shape[0] != flat.n_events:
            raise ConfigError(f"targets must have shape ({flat.n_events}, k), got {targets.shape}")
    rng = np.random.default_rng(cfg.seed)
    perm = rng.permutation(flat.n_events)
    n_val = max(1, int(round(cfg.validation_fraction * flat.n_events)))
    train, val = select_events(flat, perm[n_val:]), select_events(flat, perm[:n_val])
    t_train = t_val = None
    if use_params:
        mean, std = targets[perm[n_val:]].mean(0), targets[perm[n_val:]].std(0)
        scaled = ((targets - mean) / np.where(std > 0, std, 1.0)).astype(np.float32)
        t_train, t_val = scaled[perm[n_val:]], scaled[perm[:n_val]]

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = PETEncoder(enc_cfg).fit_normalisation(torch.from_numpy(train.values), torch.from_numpy(train.globals))
        head = MPMHead(enc_cfg.d_model, enc_cfg.d_event, n_classes(enc_cfg.class_scheme))
        param_head = ParameterHead(enc_cfg.d_event, t_train.shape[1]) if use_params else None
        params = list(model.parameters()) + list(head.parameters())
        params += list(param_head.parameters()) if param_head is not None else []
        opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        steps_per_epoch = -(-train.n_events // cfg.batch_size)
        total = cfg.epochs * steps_per_epoch
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _lr_factor(s, total, cfg.warmup))
        gen = torch.Generator().manual_seed(cfg.seed)
        keys = ("train_loss", "val_loss", "val_mse", "val_ce", "val_param", "seconds", "step_loss")
        history: dict[str, list[float]] = {k: [] for k in keys}
        with progress_bar(total=total, desc="pretrain", unit="step", disable=not progress) as bar:
            for epoch in range(cfg.epochs):
                model.train()
                head.train()
                start, running = time.perf_counter(), []
                for batch in iter_batches(train, cfg.batch_size, rng=rng):
                    hidden = choose_hidden(batch.mask, cfg.mask_fraction, gen)
                    out = model(batch.features, batch.mask, batch.globals, hidden=hidden)
                    t = mpm_targets(batch.features, model.particle_norm.mean, model.particle_norm.std)
                    loss, _ = mpm_loss(head, out.particles, out.event, t, hidden)
                    if param_head is not None:
                        # The event embedding of the masked view: no second forward pass needed.
                        pred = param_head(out.event)
                        loss = loss + cfg.param_weight * F.mse_loss(pred, torch.from_numpy(t_train[batch.index]))
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(params, 1.0)
                    opt.step()
                    sched.step()
                    running.append(float(loss.detach()))
                    history["step_loss"].append(running[-1])
                    bar.update(1)
                    bar.set_postfix(epoch=epoch + 1, loss=f"{np.mean(running[-50:]):.4f}")
                scores = _evaluate(model, head, param_head, val, t_val, cfg)
                history["train_loss"].append(float(np.mean(running)))
                history["val_loss"].append(scores["loss"])
                history["val_mse"].append(scores["mse"])
                history["val_ce"].append(scores["ce"])
                history["val_param"].append(scores["param"])
                history["seconds"].append(time.perf_counter() - start)
    model.eval()
    head.eval()
    if param_head is not None:
        param_head.eval()
    return PretrainResult(model=model, head=head, param_head=param_head,
                          param_names=list(param_names) if use_params else [], history=history,
                          trivial=trivial_loss(val, model), n_train=train.n_events, n_val=val.n_events)


def pretrain(
    sources: Sequence[Any],
    *,
    parameters: Sequence[Mapping[str, float]] | None = None,
    encoder_config: EncoderConfig | None = None,
    config: PretrainConfig | None = None,
    max_events: int | None = None,
    progress: bool = True,
) -> PretrainResult:
    """Pretrain an encoder on events from several samples.

    Masked-particle modelling (:mod:`mlhad.encoder.mpm`) plus, if ``param_weight > 0``,
    regression of each event's parameter point (:mod:`mlhad.encoder.parameters`).

    Args:
        sources: samples, sample paths or awkward event arrays (see
            :mod:`mlhad.encoder.inputs`), ideally spanning the hadronization parameters
            the embedding must tell apart.
        parameters: one ``{name: value}`` per source; default: read from the samples'
            metadata (:func:`~mlhad.encoder.parameters.sample_parameters`); arrays without
            metadata need it given or ``param_weight=0``. Parameters constant over the
            sources are ignored.
        encoder_config: architecture (default :class:`EncoderConfig`).
        config: optimisation settings (default :class:`PretrainConfig`).
        max_events: use at most this many events of each source (the first ones).
        progress: show progress bars.

    Returns:
        :class:`PretrainResult`; save the model with :func:`mlhad.encoder.save`.
    """
    if not sources:
        raise ConfigError("pretrain needs at least one source of events, got none")
    cfg = config or PretrainConfig()
    scheme = (encoder_config or EncoderConfig()).class_scheme
    opened = [_open(s) for s in sources]
    blocks = [collect_features(s, class_scheme=scheme, max_events=max_events, progress=progress) for s in opened]
    flat = concat_features(blocks)
    targets, names = None, []
    if cfg.param_weight > 0:
        per_source = list(parameters) if parameters is not None else [sample_parameters(s) for s in opened]
        if len(per_source) != len(sources):
            raise ConfigError(f"parameters: need one mapping per source ({len(sources)}), got {len(per_source)}")
        names, table = parameter_table(per_source)
        targets = np.repeat(table, [b.n_events for b in blocks], axis=0)
    return pretrain_features(flat, targets=targets, param_names=names, encoder_config=encoder_config,
                             config=cfg, progress=progress)


def _open(source: Any) -> Any:
    if isinstance(source, (str, Path)):
        from mlhad.io import open_sample

        return open_sample(source)
    return source
