"""Ensembles of NPE posteriors: the equal-weight mixture of independently trained networks.

Built by :func:`.estimators.train_estimator` when ``EstimatorSettings(ensemble=K)``
with K > 1 (docs/sbi.md, "Calibration of the estimator").
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["make_ensemble"]


def make_ensemble(posteriors: list) -> Any:
    """Equal-weight mixture of NPE posteriors (sbi's ``EnsemblePosterior``, completed).

    Adds what mlhad's sampling and calibration use and sbi 0.27's ensemble lacks:
    ``log_prob_batched`` (the mixture density, unnormalised like its members:
    each member's leakage out of the prior box is not corrected), shuffled samples (sbi
    returns them grouped by member, which would bias any subset of them), and a ``map``
    that accepts the single-posterior keyword ``force_update``.
    """
    from sbi.inference.posteriors.ensemble_posterior import EnsemblePosterior

    class NPEEnsemble(EnsemblePosterior):
        def sample(self, sample_shape=torch.Size(), x=None, **kwargs):
            s = super().sample(sample_shape, x=x, **kwargs)
            flat = s.reshape(-1, s.shape[-1])
            return flat[torch.randperm(flat.shape[0])].reshape(s.shape)

        def sample_batched(self, sample_shape, x, **kwargs):
            s = super().sample_batched(sample_shape, x=x, **kwargs)
            return s[torch.randperm(s.shape[0])]

        def log_prob_batched(self, theta, x, norm_posterior: bool = False, **kwargs):
            lp = torch.stack([p.log_prob_batched(theta, x=x, norm_posterior=norm_posterior, **kwargs)
                              for p in self.posteriors])
            logw = torch.log(self._weights).reshape(-1, *([1] * (lp.ndim - 1)))
            return torch.logsumexp(lp + logw, dim=0)

        def map(self, x=None, force_update: bool = False, **kwargs):
            return super().map(x=x, **kwargs)

    return NPEEnsemble(posteriors, theta_transform=posteriors[0].theta_transform)
