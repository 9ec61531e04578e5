"""The one adapter to the ``sbi`` package: build, train and wrap NPE, NLE and NRE.

What to use when:
    * ``npe`` (default) -- neural posterior estimation (sbi's NPE = NPE_C): a
      conditional flow q(theta | x). Amortised: sampling the posterior of any x costs
      one network pass, so calibration over hundreds of pseudo-experiments is cheap.
    * ``nle`` -- neural likelihood estimation: a flow q(x | theta); the posterior is
      sampled by MCMC (slice sampling, 20 chains). Prefer it when x is
      low-dimensional (use the ``score`` summary) and the prior may change later.
    * ``nre`` -- neural ratio estimation (NRE_B): a classifier of (theta, x) pairs; the
      posterior is sampled by MCMC as for NLE.

All runs are reproducible: the torch random state is forked and seeded for training
and sampling, so the caller's global state is left untouched.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from mlhad.exceptions import InferenceError, OptionalDependencyError

from .ensemble import make_ensemble
from .threads import limited_threads

__all__ = ["METHODS", "MIN_SIMULATIONS", "EstimatorSettings", "TrainedEstimator", "MemoryTracker",
           "check_simulation_budget", "train_estimator", "seeded"]

METHODS = ("npe", "nle", "nre")

#: Fewest simulations accepted per method. sbi holds out 10 % for early stopping: with
#: 500 simulations that is 50, the least for which the validation loss is a usable
#: stopping signal; NLE and NRE learn a function of x *and* theta and need more.
MIN_SIMULATIONS = {"npe": 500, "nle": 1000, "nre": 1000}

_DENSITY_MODELS = ("maf", "nsf", "mdn", "made", "maf_rqs")
_CLASSIFIER_MODELS = ("resnet", "mlp", "linear")


@dataclass(frozen=True)
class EstimatorSettings:
    """How the network is built and trained.

    Attributes:
        method: ``npe``, ``nle`` or ``nre``.
        model: flow for NPE/NLE (``maf``, ``nsf``, ``mdn``...) or classifier for NRE
            (``resnet``, ``mlp``); ``None`` picks ``nsf`` for NPE (measured better calibrated
            than ``maf`` on the toy: docs/sbi.md, "Calibration of the estimator"; ``mdn`` for one
            parameter: sbi's 1D NSF had 2-3 % of its mass beyond 4 posterior widths), ``maf``
            for NLE (``nsf`` for one parameter: a 1D MAF is a Gaussian) and ``resnet`` for NRE.
        hidden_features: width of the hidden layers.
        num_transforms: flow transforms (NPE/NLE).
        embedding_dim: if > 0, a learned fully connected embedding of x (NPE/NRE) with
            this output size, trained jointly (sbi's ``FCEmbedding``).
        batch_size: training batch; ``None`` (default) means 50 for an unbounded NPE (4x
            more optimisation steps per epoch: its posteriors came out 15-25 % too wide with
            200, see docs/sbi.md) and 200 otherwise.
        learning_rate, max_epochs, stop_after_epochs, validation_fraction:
            sbi's training options (early stopping on the validation loss).
        mcmc_chains, mcmc_warmup: slice-sampling settings for NLE/NRE posteriors.
        ensemble: number of independently trained estimators (NPE only) whose posteriors
            are mixed with equal weights (sbi's ``EnsemblePosterior``); each member gets
            its own initialisation, validation split and batches. The mixture corrects
            the part of a network's error that is training noise, not the part all members
            learn from the same simulations (measured on the toy: docs/sbi.md,
            "Calibration of the estimator").
        unbounded: NPE only: learn the posterior of ``u = Phi^-1((theta - lo) / (hi - lo))``
            per parameter (``link="probit"``; ``"logit"`` uses the logistic map) instead of
            ``theta`` (:mod:`.unbounded`): a posterior cut by a face of the prior box becomes a
            smooth tail for the flow and no sample leaks out of the box. ``None`` (default)
            means True for the NPE's default model (calibrated on the toy in two seeds, and
            its tails are lighter than those of the NSF on ``theta``: docs/sbi.md, "Calibration
            of the estimator") and False otherwise; ``False`` gives the NSF on ``theta`` of
            earlier versions. With the MDN it uses sbi's own logit map. NLE and NRE posteriors
            are sampled by MCMC, which sbi already runs in an unbounded space.
        link: ``"probit"`` or ``"logit"``, the map of ``unbounded``.
        tail_bound: half-width of the interval (in z-scored coordinates) on which each spline
            of an NSF acts, identity outside; ``None`` means 6 for an unbounded NSF and sbi's 3
            otherwise. With 3, the base distribution's mass beyond 3 (0.27 % per parameter) is
            mapped to the far tails of ``u``, i.e. onto the faces of the box: the posterior tails
            measured 10^4 times too heavy there; 6 halves that (docs/sbi.md).
        conditional_affine: unbounded nflows NPE only: a learnt, condition-dependent shift and
            scale of ``u`` before the splines (:class:`.unbounded.ConditionalAffine`), so that
            they act on each posterior's own width. Lighter tails still on the toy, but not
            better calibrated (docs/sbi.md); off by default.
    """

    method: str = "npe"
    model: str | None = None
    hidden_features: int = 50
    num_transforms: int = 5
    embedding_dim: int = 0
    batch_size: int | None = None
    learning_rate: float = 5e-4
    max_epochs: int = 1000
    stop_after_epochs: int = 20
    validation_fraction: float = 0.1
    mcmc_chains: int = 20
    mcmc_warmup: int = 100
    ensemble: int = 1
    unbounded: bool | None = None
    link: str = "probit"
    tail_bound: float | None = None
    conditional_affine: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InferenceError(f"unknown estimator {self.method!r}; choose one of {', '.join(METHODS)}")
        allowed = _CLASSIFIER_MODELS if self.method == "nre" else _DENSITY_MODELS
        if self.model is not None and self.model not in allowed:
            raise InferenceError(f"model {self.model!r} does not fit {self.method.upper()}; choose one of {allowed}")
        if self.batch_size is not None and (isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int)
                                            or self.batch_size < 1):
            raise InferenceError(f"batch_size must be a positive integer or None, got {self.batch_size!r}")
        for name in ("hidden_features", "num_transforms", "max_epochs", "stop_after_epochs",
                     "mcmc_chains", "mcmc_warmup", "ensemble"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InferenceError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(self.embedding_dim, bool) or not isinstance(self.embedding_dim, int) or self.embedding_dim < 0:
            raise InferenceError(f"embedding_dim must be an integer >= 0, got {self.embedding_dim!r}")
        if self.embedding_dim and self.method == "nle":
            raise InferenceError("NLE models the density of x itself and cannot use an embedding of x; "
                                 "use a compressed summary (summary='score') or NPE/NRE")
        if self.ensemble > 1 and self.method != "npe":
            raise InferenceError(f"an ensemble of {self.ensemble} {self.method.upper()} estimators would sample every "
                                 "member by MCMC; use ensemble=1, or NPE")
        if self.ensemble > 20:
            raise InferenceError(f"ensemble = {self.ensemble} members: use at most 20")
        if self.unbounded is not None and not isinstance(self.unbounded, bool):
            raise InferenceError(f"unbounded must be True, False or None (automatic), got {self.unbounded!r}")
        if self.unbounded and self.method != "npe":
            raise InferenceError(f"unbounded=True reparametrises an NPE; {self.method.upper()} samples its posterior by "
                                 "MCMC, which already runs in an unbounded space: leave unbounded unset")
        if self.tail_bound is not None and (isinstance(self.tail_bound, bool)
                                            or not isinstance(self.tail_bound, (int, float)) or self.tail_bound <= 0):
            raise InferenceError(f"tail_bound must be a positive number or None, got {self.tail_bound!r}")
        if not isinstance(self.conditional_affine, bool):
            raise InferenceError(f"conditional_affine must be True or False, got {self.conditional_affine!r}")
        if self.conditional_affine and not self.resolved_unbounded:
            raise InferenceError("conditional_affine=True acts on the unbounded NPE's u; it needs method='npe' with "
                                 "unbounded=True (the default for the NSF)")
        if self.link not in ("probit", "logit"):
            raise InferenceError(f"link must be 'probit' or 'logit', got {self.link!r}")
        if not 0.0 < self.learning_rate < 1.0:
            raise InferenceError(f"learning_rate must lie in (0, 1), got {self.learning_rate!r}")
        if not 0.05 <= self.validation_fraction <= 0.5:
            raise InferenceError(f"validation_fraction must lie in [0.05, 0.5], got {self.validation_fraction!r}")

    @property
    def resolved_model(self) -> str:
        return self.model or {"npe": "nsf", "nle": "maf", "nre": "resnet"}[self.method]

    def model_for(self, theta_dim: int) -> str:
        """The network built for ``theta_dim`` parameters: the defaults change for one parameter.

        A 1D MAF is a Gaussian (sbi warns), so a default NLE uses the spline flow; sbi's
        1D NSF (a spline of the condition only) put 2-3 % of the mass beyond 4 widths, so
        a default NPE uses the MDN (docs/sbi.md).
        """
        model = self.resolved_model
        if self.model is None and theta_dim == 1:
            if model == "maf":
                return "nsf"
            if self.method == "npe":
                return "mdn"
        return model

    @property
    def resolved_unbounded(self) -> bool:
        if self.unbounded is not None:
            return self.unbounded
        return self.method == "npe" and self.resolved_model == "nsf"

    @property
    def resolved_batch_size(self) -> int:
        if self.batch_size is not None:
            return self.batch_size
        return 50 if self.resolved_unbounded else 200

    @property
    def resolved_tail_bound(self) -> float:
        if self.tail_bound is not None:
            return float(self.tail_bound)
        return 6.0 if self.resolved_unbounded else 3.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "resolved_model": self.resolved_model, "resolved_unbounded": self.resolved_unbounded,
                "resolved_batch_size": self.resolved_batch_size, "resolved_tail_bound": self.resolved_tail_bound}


class MemoryTracker:
    """sbi ``Tracker`` that keeps the training curves in memory (no TensorBoard files)."""

    def __init__(self) -> None:
        self.metrics: dict[str, list[float]] = {}
        self.params: dict[str, Any] = {}

    @property
    def log_dir(self) -> None:
        return None

    def log_metric(self, name: str, value: float, step: int | None = None) -> None:
        self.metrics.setdefault(name, []).append(float(value))

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        for k, v in metrics.items():
            self.log_metric(k, v, step)

    def log_params(self, params: dict[str, Any]) -> None:
        self.params.update(params)

    def add_figure(self, name: str, figure: Any, step: int | None = None) -> None:
        return None

    def flush(self) -> None:
        return None


@dataclass(eq=False)
class TrainedEstimator:
    """A trained sbi estimator and its posterior.

    Attributes:
        settings: how it was built.
        posterior: the sbi posterior (``DirectPosterior`` for NPE, ``MCMCPosterior``
            otherwise); ``sample((n,), x=x_o)`` and ``log_prob``.
        n_simulations: training set size.
        epochs: epochs trained; ``best_validation_loss`` where early stopping settled.
        seconds: training wall time.
        curves: training and validation loss per epoch (``NAME_k`` for ensemble member k).
        member_epochs: epochs trained by each ensemble member (``epochs`` is their maximum,
            ``best_validation_loss`` their mean).
    """

    settings: EstimatorSettings
    posterior: Any
    n_simulations: int
    epochs: int
    best_validation_loss: float
    seconds: float
    curves: dict[str, list[float]] = field(default_factory=dict)
    member_epochs: tuple[int, ...] = ()

    @property
    def amortised(self) -> bool:
        """True if sampling needs no MCMC (NPE): calibration over many x is cheap."""
        return self.settings.method == "npe"


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with torch's global generator seeded, restoring the caller's state after."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


def check_simulation_budget(method: str, n_simulations: int, summary_dim: int, *, embedding_dim: int = 0) -> None:
    """Refuse training sets too small for the estimator.

    Raises:
        InferenceError: fewer than :data:`MIN_SIMULATIONS` simulations, or fewer
            simulations than summary features for an un-embedded high-dimensional x
            (the first layer would have more inputs than training examples).
    """
    if method not in METHODS:
        raise InferenceError(f"unknown estimator {method!r}; choose one of {', '.join(METHODS)}")
    need = MIN_SIMULATIONS[method]
    if n_simulations < need:
        raise InferenceError(
            f"{n_simulations} simulations are too few for {method.upper()}: it needs at least {need} "
            f"(sbi keeps 10% for early stopping, {max(n_simulations // 10, 0)} here); ask for --simulations {need} or more"
        )
    if summary_dim > n_simulations and not embedding_dim:
        raise InferenceError(
            f"{n_simulations} simulations for a {summary_dim}-dimensional summary: fewer examples than features; "
            f"use the compressed summary (--summary score), an embedding, or at least {summary_dim} simulations"
        )


def _sbi():
    try:
        import sbi.inference as inference
        import sbi.neural_nets as nets
        from sbi.neural_nets.embedding_nets import FCEmbedding
    except ImportError as err:  # pragma: no cover - sbi is a declared dependency
        raise OptionalDependencyError(
            f"simulation-based inference needs the 'sbi' package ({err}); install it with "
            "`pip install sbi==0.27.0 six`"
        ) from err
    return inference, nets, FCEmbedding


def _box(prior) -> tuple[torch.Tensor, torch.Tensor]:
    """Lower and upper bounds of a box prior (sbi's ``BoxUniform``, e.g. :meth:`Limits.prior`)."""
    support = getattr(prior, "support", None)
    base = getattr(support, "base_constraint", support)
    lower, upper = getattr(base, "lower_bound", None), getattr(base, "upper_bound", None)
    if lower is None or upper is None:
        raise InferenceError(f"an unbounded NPE needs a box prior (sbi.utils.BoxUniform, Limits.prior()), got "
                             f"{type(prior).__name__}; pass EstimatorSettings(unbounded=False) for other priors")
    return torch.as_tensor(lower), torch.as_tensor(upper)


def _builder(settings: EstimatorSettings, x_dim: int, theta_dim: int, prior=None):
    _, nets, fc = _sbi()
    embedding = fc(input_dim=x_dim, output_dim=settings.embedding_dim, num_hiddens=max(settings.hidden_features, 2 * settings.embedding_dim)) \
        if settings.embedding_dim else torch.nn.Identity()
    model = settings.model_for(theta_dim)
    spline = {"tail_bound": settings.resolved_tail_bound} if model == "nsf" else {}
    if settings.method == "npe":
        if settings.resolved_unbounded and model == "mdn":     # sbi's MDN has the logit map built in
            return nets.posterior_nn(model=model, hidden_features=settings.hidden_features, embedding_net=embedding,
                                     z_score_theta="transform_to_unconstrained", x_dist=prior)
        from .unbounded import unbounded_builder   # imports nflows: only when a network is built

        build = nets.posterior_nn(model=model, hidden_features=settings.hidden_features,
                                  num_transforms=settings.num_transforms, embedding_net=embedding, **spline)
        if not settings.resolved_unbounded:
            return build
        return unbounded_builder(build, *_box(prior), settings.link, affine=settings.conditional_affine,
                                 hidden_features=settings.hidden_features)
    if settings.method == "nle":
        return nets.likelihood_nn(model=model, hidden_features=settings.hidden_features,
                                  num_transforms=settings.num_transforms, **spline)
    return nets.classifier_nn(model=model, hidden_features=settings.hidden_features, embedding_net_x=embedding)


def train_estimator(prior, theta: torch.Tensor, x: torch.Tensor, settings: EstimatorSettings | None = None, *,
                    seed: int = 0, progress: bool = False, threads: int | None = 1) -> TrainedEstimator:
    """Train an sbi estimator on ``(theta, x)`` pairs simulated from ``prior``.

    Args:
        prior: sbi prior (e.g. :meth:`Limits.prior`).
        theta: ``(N, d)`` parameters drawn from the prior.
        x: ``(N, m)`` summaries of the simulations at ``theta``.
        settings: network and training options (default: NPE with a spline flow, NSF).
        seed: seeds network initialisation, data split and batches.
        progress: show sbi's training progress.
        threads: torch/BLAS threads while training (see :mod:`.threads`; None: unchanged).

    Raises:
        InferenceError: too few simulations, mismatched shapes, or non-finite summaries.
    """
    settings = settings or EstimatorSettings()
    theta = torch.as_tensor(theta, dtype=torch.float32)
    x = torch.as_tensor(x, dtype=torch.float32)
    if theta.ndim != 2 or x.ndim != 2 or theta.shape[0] != x.shape[0]:
        raise InferenceError(f"theta and x must be (N, d) and (N, m) with the same N, got {tuple(theta.shape)} "
                             f"and {tuple(x.shape)}")
    bad = ~torch.isfinite(x).all(dim=1)
    if bad.any():
        raise InferenceError(f"{int(bad.sum())} of {x.shape[0]} simulations have non-finite summaries; remove them "
                             "(they are usually points outside the base sample's coverage)")
    check_simulation_budget(settings.method, int(theta.shape[0]), int(x.shape[1]), embedding_dim=settings.embedding_dim)
    inference, _, _ = _sbi()
    cls = {"npe": inference.NPE, "nle": inference.NLE, "nre": inference.NRE}[settings.method]
    posteriors, epochs, losses, curves = [], [], [], {}
    start = time.perf_counter()
    for member in range(settings.ensemble):
        tracker = MemoryTracker()
        # member 0 uses the run's seed itself: ensemble=1 is the single estimator, unchanged
        with seeded(seed + 7919 * member), limited_threads(threads):
            if settings.method == "nre":
                trainer = cls(prior=prior, classifier=_builder(settings, x.shape[1], theta.shape[1]),
                              show_progress_bars=progress, tracker=tracker)
            else:
                trainer = cls(prior=prior, density_estimator=_builder(settings, x.shape[1], theta.shape[1], prior),
                              show_progress_bars=progress, tracker=tracker)
            trainer.append_simulations(theta, x)
            trainer.train(training_batch_size=settings.resolved_batch_size, learning_rate=settings.learning_rate,
                          validation_fraction=settings.validation_fraction,
                          stop_after_epochs=settings.stop_after_epochs, max_num_epochs=settings.max_epochs)
            if settings.method == "npe":
                posteriors.append(trainer.build_posterior())
            else:
                posteriors.append(trainer.build_posterior(
                    sample_with="mcmc", mcmc_method="slice_np_vectorized",
                    mcmc_parameters={"num_chains": settings.mcmc_chains, "warmup_steps": settings.mcmc_warmup,
                                     "thin": 1, "init_strategy": "resample"}))
        summary = getattr(trainer, "summary", None) or getattr(trainer, "_summary", {})
        best = summary.get("best_validation_loss", [float("nan")])
        trained = summary.get("epochs_trained", [0])
        epochs.append(int(trained[-1]) if trained else 0)
        losses.append(float(best[-1]) if best else float("nan"))
        for name, values in tracker.metrics.items():
            curves[name if settings.ensemble == 1 else f"{name}_{member}"] = values
    seconds = time.perf_counter() - start
    posterior = posteriors[0] if len(posteriors) == 1 else make_ensemble(posteriors)
    return TrainedEstimator(settings=settings, posterior=posterior, n_simulations=int(theta.shape[0]),
                            epochs=max(epochs), best_validation_loss=float(sum(losses) / len(losses)),
                            seconds=seconds, curves=curves, member_epochs=tuple(epochs))

