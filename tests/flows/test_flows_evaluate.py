"""pt_metrics against Pythia's Gaussian pT law, whose moments are known."""

from __future__ import annotations

import math

import pytest
import torch

from mlhad.generators.string_sampler import GaussianPT, StringParams
from mlhad.reweight.flows import pt_metrics


def test_pt_metrics_recover_the_gaussian_law():
    p = StringParams()
    law = GaussianPT.from_params(p)
    px, py = law.sample_pt(200_000, torch.Generator().manual_seed(3))
    out = pt_metrics(law, {"px_new": px, "py_new": py}, n=200_000, tails=(0.5,), seed=4)
    # <pT^2> = sigma^2 (1 - f + f w^2); P(pT^2 > t) = (1 - f) e^(-t / s2) + f e^(-t / (w^2 s2)), s2 = sigma^2
    f, w, s2 = p.enhanced_fraction, p.enhanced_width, p.sigma**2
    mean = s2 * (1 - f + f * w**2)
    tail = (1 - f) * math.exp(-0.5 / s2) + f * math.exp(-0.5 / (w**2 * s2))
    for side in ("model", "data"):
        got = out[side]
        assert got["n"] == 200_000
        assert got["mean_pt2"] == pytest.approx(mean, abs=4 * got["mean_pt2_se"])  # 4 standard errors
        assert got["tail"]["0.5"] == pytest.approx(tail, abs=4 * math.sqrt(tail / 200_000))
        assert abs(got["cos2phi"]) < 4 / math.sqrt(2 * 200_000)  # isotropic: <cos 2phi> = 0 +- 1/sqrt(2n)
