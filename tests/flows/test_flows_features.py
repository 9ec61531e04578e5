"""Input maps of the flow: logit of z and conditioning features."""

from __future__ import annotations

import pytest
import torch

from mlhad.exceptions import ModelError
from mlhad.reweight.flows.features import logit_z, raw_context, sigmoid_y


def test_logit_round_trip_and_log_det_vs_autograd():
    z = torch.tensor([1e-6, 0.01, 0.3, 0.5, 0.97, 1 - 1e-9], dtype=torch.float64, requires_grad=True)
    y, log_det = logit_z(z)
    assert torch.allclose(sigmoid_y(y), z, rtol=0, atol=1e-15)
    (grad,) = torch.autograd.grad(y.sum(), z)  # dy_i/dz_i (elementwise map)
    assert torch.allclose(torch.log(grad), log_det, atol=1e-9)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.2, float("nan")])
def test_z_outside_unit_interval_is_rejected(bad):
    with pytest.raises(ModelError, match=r"z must lie in the open interval \(0, 1\); got 1 bad values"):
        logit_z(torch.tensor([0.5, bad], dtype=torch.float64))


def test_context_features_and_errors():
    state = {"mT2": torch.tensor([0.1, 1.0]), "rank": torch.tensor([0, 3]), "from_pos": torch.tensor([True, False])}
    feats, raw = raw_context(state, ("mT2", "rank", "from_pos"))
    assert torch.allclose(feats[:, 0], torch.log(torch.tensor([0.1, 1.0], dtype=torch.float64)))
    assert feats[:, 1].tolist() == pytest.approx([0.0, torch.log(torch.tensor(4.0)).item()])
    assert feats[:, 2].tolist() == [1.0, -1.0]
    assert raw[:, 1].tolist() == [0.0, 3.0]
    with pytest.raises(ModelError, match=r"conditioned on \['mT2', 'rank'\] but the state lacks \['rank'\]"):
        raw_context({"mT2": torch.tensor([0.1])}, ("mT2", "rank"))
    with pytest.raises(ModelError, match="mT2 must be positive"):
        raw_context({"mT2": torch.tensor([0.1, -1.0])}, ("mT2",))
    with pytest.raises(ModelError, match="NaN or inf"):
        raw_context({"mT2": torch.tensor([float("inf")])}, ("mT2",))
