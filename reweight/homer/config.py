"""HOMER's configuration: three frozen, validated dataclasses and their JSON form.

``HomerConfig`` holds everything a run needs (step 1 classifier or binned fit, step 2
break-weight network, data splits, seed); it is written next to every output
(``config.json``) so that a run can be repeated exactly. Every field is checked when the
object is built; errors name the field, the value received and what to use instead.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from mlhad.exceptions import ConfigError

__all__ = ["ClassifierConfig", "BinnedConfig", "BreakWeightConfig", "HomerConfig", "DEFAULT_OBSERVABLES"]

#: The 13 event-level observables of the HOMER papers (arXiv 2410.06342, 2509.03592):
#: event shapes of the charged particles, final-state and charged multiplicities and the
#: first three moments of xi = |ln x_p| (x_p = |p| / p_beam) of all and of the charged
#: final-state particles. Syntax of a name: ``observable[:selection]`` (see
#: :mod:`mlhad.reweight.homer.features`).
DEFAULT_OBSERVABLES: tuple[str, ...] = (
    "thrust", "c_parameter", "d_parameter", "b_wide", "b_total",
    "multiplicity:final", "multiplicity:charged",
    "xi_mean:final", "xi_var:final", "xi_m3:final",
    "xi_mean:charged", "xi_var:charged", "xi_m3:charged",
)

_FEATURE_KINDS = ("observables", "encoder")
_ON_DEGENERATE = ("raise", "warn")
_CHAINS = ("accepted", "history")


def _check_positive_int(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{owner}.{name} must be a positive integer, got {value!r}")


def _check_positive(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(f"{owner}.{name} must be a positive number, got {value!r}")


def _check_hidden(owner: str, value: Any) -> None:
    if not isinstance(value, tuple) or not value or any(
        isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in value
    ):
        raise ConfigError(f"{owner}.hidden must be a non-empty tuple of positive layer widths, e.g. (64, 64), got {value!r}")


@dataclass(frozen=True)
class ClassifierConfig:
    """Step 1: the classifier between simulation and data (unbinned inputs).

    Attributes:
        features: ``"observables"`` (event-level observables, :attr:`observables`) or
            ``"encoder"`` (event embeddings of :func:`mlhad.encoder.embed`).
        observables: observable names for ``features="observables"``.
        encoder_checkpoint: checkpoint name or path for ``features="encoder"`` (None: the
            encoder's default).
        hidden: widths of the hidden layers of the MLP.
        learning_rate, weight_decay: AdamW settings.
        batch_size: events per gradient step.
        max_epochs, patience: early stopping on the validation loss.
        calibrate: fit Platt scaling (a * logit + b) on the validation split.
        auc_max: above this test AUC the two samples barely overlap and HOMER refuses.
        auc_null_sigmas: |AUC - 0.5| below this many standard errors (of AUC under
            identical samples) means there is nothing to learn.
    """

    features: str = "observables"
    observables: tuple[str, ...] = DEFAULT_OBSERVABLES
    encoder_checkpoint: str | None = None
    hidden: tuple[int, ...] = (64, 64, 64)
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 1024
    max_epochs: int = 100
    patience: int = 8
    calibrate: bool = True
    auc_max: float = 0.99
    auc_null_sigmas: float = 3.0

    def __post_init__(self) -> None:
        owner = "ClassifierConfig"
        object.__setattr__(self, "observables", tuple(self.observables))
        object.__setattr__(self, "hidden", tuple(self.hidden))
        if self.features not in _FEATURE_KINDS:
            raise ConfigError(f"{owner}.features must be one of {_FEATURE_KINDS}, got {self.features!r}")
        if self.features == "observables" and not self.observables:
            raise ConfigError(f"{owner}.observables is empty; give at least one, e.g. {DEFAULT_OBSERVABLES[:3]}")
        _check_hidden(owner, self.hidden)
        _check_positive(owner, "learning_rate", self.learning_rate)
        if not self.weight_decay >= 0:
            raise ConfigError(f"{owner}.weight_decay must be >= 0, got {self.weight_decay!r}")
        for name in ("batch_size", "max_epochs", "patience"):
            _check_positive_int(owner, name, getattr(self, name))
        if not 0.5 < self.auc_max <= 1.0:
            raise ConfigError(f"{owner}.auc_max must lie in (0.5, 1], got {self.auc_max!r}")
        if not self.auc_null_sigmas >= 0:
            raise ConfigError(f"{owner}.auc_null_sigmas must be >= 0, got {self.auc_null_sigmas!r}")


@dataclass(frozen=True)
class BinnedConfig:
    """Step 1 when the data are binned histograms (YODA): maximum-entropy event weights.

    Attributes:
        histograms: regular expressions selecting reference paths (``re.search``); empty:
            every histogram of the file that :mod:`mlhad.registry` knows and HOMER supports.
        ridge: L2 penalty on the per-bin log-weight parameters (in units of chi2), keeps
            empty or poorly measured bins from driving weights to extremes.
        max_iter: L-BFGS iterations.
    """

    histograms: tuple[str, ...] = ()
    ridge: float = 1e-3
    max_iter: int = 500

    def __post_init__(self) -> None:
        object.__setattr__(self, "histograms", tuple(self.histograms))
        if not self.ridge >= 0:
            raise ConfigError(f"BinnedConfig.ridge must be >= 0, got {self.ridge!r}")
        _check_positive_int("BinnedConfig", "max_iter", self.max_iter)


@dataclass(frozen=True)
class BreakWeightConfig:
    """Step 2: the single-break weight network.

    Attributes:
        hidden: widths of the hidden layers of h(z | c).
        use_side: give the network the string end (``from_pos``) a break was taken from.
        max_log_weight: |h| is bounded by this (tanh), so one break changes the event
            weight by at most exp(2 * max_log_weight) after normalisation.
        mass_node_spacing: largest spacing in log mT^2 of the normalisation grid's nodes.
        n_z_nodes: quadrature nodes in logit(z) per grid node.
        learning_rate, weight_decay: AdamW settings.
        batch_size: events per gradient step (all their breaks).
        max_epochs, patience: early stopping on the validation loss.
        chains: which breaks make the event weight. ``"accepted"`` (default): the breaks of
            the fragmentation attempt Pythia kept, times a global acceptance correction
            A_sim / A_new = 1 / E_sim[prod_accepted e^g] (arXiv 2509.03592; the thrown-away
            attempts leave no trace in the observables, and including them in the product
            makes step 2 shrink g towards 0). ``"history"``: every recorded break, kept
            and thrown-away attempts alike (arXiv 2410.06342's history weight), exact in
            expectation but noisier.
    """

    hidden: tuple[int, ...] = (64, 64, 64)
    use_side: bool = True
    max_log_weight: float = 5.0
    mass_node_spacing: float = 0.2
    n_z_nodes: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 512
    max_epochs: int = 60
    patience: int = 6
    chains: str = "accepted"

    def __post_init__(self) -> None:
        owner = "BreakWeightConfig"
        if self.chains not in _CHAINS:
            raise ConfigError(f"{owner}.chains must be one of {_CHAINS}, got {self.chains!r}")
        object.__setattr__(self, "hidden", tuple(self.hidden))
        _check_hidden(owner, self.hidden)
        _check_positive(owner, "max_log_weight", self.max_log_weight)
        _check_positive(owner, "learning_rate", self.learning_rate)
        if not self.weight_decay >= 0:
            raise ConfigError(f"{owner}.weight_decay must be >= 0, got {self.weight_decay!r}")
        for name in ("batch_size", "max_epochs", "patience"):
            _check_positive_int(owner, name, getattr(self, name))
        _check_positive(owner, "mass_node_spacing", self.mass_node_spacing)
        if isinstance(self.n_z_nodes, bool) or not isinstance(self.n_z_nodes, int) or self.n_z_nodes < 8:
            raise ConfigError(f"{owner}.n_z_nodes must be an integer >= 8, got {self.n_z_nodes!r}")


@dataclass(frozen=True)
class HomerConfig:
    """A whole HOMER run.

    Attributes:
        step1: the unbinned classifier (data given as a sample).
        binned: the binned fit (data given as YODA histograms).
        step2: the break-weight network.
        validation_fraction: share of each sample for early stopping and calibration.
        test_fraction: share of each sample kept out of all training, for the closure
            plots and numbers of the report.
        seed: master seed (splits, initialisation, batches).
        max_events: use at most this many events of each sample (None: all).
        on_degenerate: ``"raise"`` or ``"warn"`` when the classifier finds nothing to
            learn (AUC ~ 0.5) or the samples barely overlap (AUC ~ 1).
        threads: torch/BLAS threads while HOMER runs (None: leave the process's setting);
            1 is much faster on a machine whose cores are busy with other work.
        iterations: rounds of steps 1 and 2 (1: HOMER as in arXiv 2410.06342). Each later
            round trains step 1 between the data and the simulation weighted by the
            previous round's HOMER weights and step 2 on the product of both (the
            iterations of arXiv 2509.03592, OmniFold-like), closing the gap left because
            the observables do not determine the history.
    """

    step1: ClassifierConfig = field(default_factory=ClassifierConfig)
    binned: BinnedConfig = field(default_factory=BinnedConfig)
    step2: BreakWeightConfig = field(default_factory=BreakWeightConfig)
    validation_fraction: float = 0.2
    test_fraction: float = 0.2
    seed: int = 1
    max_events: int | None = None
    on_degenerate: str = "raise"
    threads: int | None = None
    iterations: int = 1

    def __post_init__(self) -> None:
        for name, kind in (("step1", ClassifierConfig), ("binned", BinnedConfig), ("step2", BreakWeightConfig)):
            if not isinstance(getattr(self, name), kind):
                raise ConfigError(f"HomerConfig.{name} must be a {kind.__name__}, got {getattr(self, name)!r}")
        for name in ("validation_fraction", "test_fraction"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value < 1.0:
                raise ConfigError(f"HomerConfig.{name} must lie in (0, 1), got {value!r}")
        if self.validation_fraction + self.test_fraction >= 0.9:
            raise ConfigError(
                f"HomerConfig: validation_fraction + test_fraction = "
                f"{self.validation_fraction + self.test_fraction} leaves less than 10% for training; lower them"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"HomerConfig.seed must be a non-negative integer, got {self.seed!r}")
        if self.max_events is not None:
            _check_positive_int("HomerConfig", "max_events", self.max_events)
        if self.threads is not None:
            _check_positive_int("HomerConfig", "threads", self.threads)
        _check_positive_int("HomerConfig", "iterations", self.iterations)
        if self.on_degenerate not in _ON_DEGENERATE:
            raise ConfigError(f"HomerConfig.on_degenerate must be one of {_ON_DEGENERATE}, got {self.on_degenerate!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HomerConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ConfigError naming them."""
        data = dict(data)
        parts = {}
        for name, kind in (("step1", ClassifierConfig), ("binned", BinnedConfig), ("step2", BreakWeightConfig)):
            raw = dict(data.pop(name, {}))
            known = {f.name for f in dataclasses.fields(kind)}
            unknown = set(raw) - known
            if unknown:
                raise ConfigError(f"HomerConfig.{name}: unknown keys {sorted(unknown)}; known: {sorted(known)}")
            for key in ("observables", "hidden", "histograms"):
                if key in raw and isinstance(raw[key], list):
                    raw[key] = tuple(raw[key])
            parts[name] = kind(**raw)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"HomerConfig: unknown keys {sorted(unknown)}; known: {sorted(known)}")
        return cls(**parts, **data)
