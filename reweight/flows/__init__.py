"""Normalising-flow hadronization and MAGIC fine-tuning (``mlhad.reweight.flows``).

arXiv:2311.09296 (Bierlich et al., "Towards a data-driven model of hadronization using
normalizing flows"), for the single-string pion model of Pythia's ``string`` preset.

What to use when:

- :class:`BreakFlow` -- conditional density of one string break, z | mT2 and pair pT,
  built from a :class:`FlowConfig`; plugs into the torch chain sampler.
- :func:`break_table` + :func:`train_flow` -- train it on recorded Pythia histories.
- :func:`save_flow` / :func:`load_flow` -- state dict + config JSON.
- :func:`fragment_with_flow` -- whole chains with the flow as z (and pT) sampler.
- :func:`build_targets` + :func:`magic` -- fine-tune the flow so chains match
  macroscopic target distributions (a sample or binned histograms).
- :func:`z_window_metrics`, :func:`kl_to_lund`, :func:`pt_metrics`, :func:`unweighted_chi2` -- validation.
"""

from __future__ import annotations

from .checkpoint import load_flow, read_flow_info, save_flow
from .config import CONTEXT_FEATURES, FlowConfig, MagicConfig, TrainConfig
from .data import break_table, read_events
from .distance import BinnedTarget, chi2_distance, load_targets, make_edges, save_targets
from .evaluate import DEFAULT_WINDOWS, in_windows, kl_to_lund, pt_metrics, z_window_metrics
from .magic import build_targets, chain_log_weights, effective_fraction, magic, make_batch, unweighted_chi2
from .model import BreakFlow
from .observables import OBSERVABLES, compute_observables
from .sampling import FlowSampler, fragment_with_flow
from .train import train_flow

__all__ = [
    "BreakFlow",
    "FlowConfig",
    "TrainConfig",
    "MagicConfig",
    "CONTEXT_FEATURES",
    "break_table",
    "read_events",
    "train_flow",
    "save_flow",
    "load_flow",
    "read_flow_info",
    "FlowSampler",
    "fragment_with_flow",
    "BinnedTarget",
    "make_edges",
    "chi2_distance",
    "save_targets",
    "load_targets",
    "build_targets",
    "make_batch",
    "chain_log_weights",
    "effective_fraction",
    "magic",
    "unweighted_chi2",
    "OBSERVABLES",
    "compute_observables",
    "z_window_metrics",
    "kl_to_lund",
    "pt_metrics",
    "in_windows",
    "DEFAULT_WINDOWS",
]
