"""Identities of the BreakFlow: invertibility, log-det vs autograd, normalisation,
sampling consistent with the density, reproducibility. Weights are randomised
(``perturbed_flow``) so that the transforms are far from the identity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from mlhad.reweight.flows import BreakFlow, FlowConfig

CONFIGS = [FlowConfig(n_layers=2, hidden=16, n_blocks=1, n_bins=6, pt_layers=2),
           FlowConfig(transform="maf", n_layers=3, hidden=16, n_blocks=1, pt_layers=2, pt_model="xy")]
IDS = ["rqs", "maf-xy"]  # radial and 2D (px, py) pT flows, one each


def _pt_dim(flow: BreakFlow) -> int:
    return 2 if flow.config.pt_model == "xy" else 1


def _ctx(flow: BreakFlow, mT2: float, n: int) -> torch.Tensor:
    return flow._context({"mT2": torch.full((n,), mT2, dtype=torch.float64)}, check_range=False)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_inverse_of_forward_is_identity(config, make_flow):
    flow = make_flow(config)
    y = 3.0 * torch.randn(500, 1, generator=torch.Generator().manual_seed(1), dtype=torch.float64)  # past the tail bound too
    ctx = _ctx(flow, 0.3, 500)
    u, ld = flow.z_flow._transform(y, context=ctx)
    y_back, ld_inv = flow.z_flow._transform.inverse(u, context=ctx)
    assert torch.allclose(y_back, y, atol=1e-8) and torch.allclose(ld + ld_inv, torch.zeros_like(ld), atol=1e-8)
    x = torch.randn(500, _pt_dim(flow), generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    u, ld = flow.pt_flow._transform(x)
    x_back, ld_inv = flow.pt_flow._transform.inverse(u)
    assert torch.allclose(x_back, x, atol=1e-8) and torch.allclose(ld + ld_inv, torch.zeros_like(ld), atol=1e-8)
    # float64 networks: the spline inverse solves a quadratic; 1e-8 leaves ~1e6 ulps.


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_log_det_matches_autograd_jacobian(config, make_flow):
    flow = make_flow(config)
    y = torch.linspace(-4, 4, 50, dtype=torch.float64)[:, None].requires_grad_(True)
    ctx = _ctx(flow, 0.5, 50).double()
    u, ld = flow.z_flow._transform(y, context=ctx)
    (du_dy,) = torch.autograd.grad(u.sum(), y)  # rows are independent: d u_i / d y_i
    assert torch.allclose(torch.log(du_dy.abs())[:, 0], ld, atol=1e-8)
    for x in torch.randn(5, _pt_dim(flow), dtype=torch.float64, generator=torch.Generator().manual_seed(3)):
        jac = torch.autograd.functional.jacobian(lambda v: flow.pt_flow._transform(v[None])[0][0], x)
        _, ld = flow.pt_flow._transform(x[None])
        assert torch.logdet(jac).item() == pytest.approx(ld.item(), abs=1e-8) or \
            torch.log(torch.det(jac).abs()).item() == pytest.approx(ld.item(), abs=1e-8)


def _z_density_integral(flow: BreakFlow, mT2: float) -> float:
    # Integrate p(z) dz = p(z(y)) z (1 - z) dy on a dense grid of y = logit z; |y| <= 35
    # keeps z = sigmoid(y) strictly inside (0, 1) in float64.
    y = torch.linspace(-35.0, 35.0, 140_001, dtype=torch.float64)
    z = torch.sigmoid(y)
    with torch.no_grad():
        p = torch.exp(flow.log_prob_z(z, {"mT2": torch.full_like(z, mT2)}, check_range=False))
    return float(torch.trapezoid(p * z * (1 - z), y))


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_z_density_integrates_to_one(config, make_flow):
    flow = make_flow(config, scale=0.05)
    with torch.no_grad():
        flow.y_shift.fill_(-1.0)
        flow.y_scale.fill_(1.0)
    for mT2 in (0.02, 0.3, 3.0):
        # trapezoid with step 5e-4 on a smooth density: error << 1e-5; the mass beyond
        # |logit z| = 35 is negligible for these weights (checked: < 1e-8).
        assert _z_density_integral(flow, mT2) == pytest.approx(1.0, abs=1e-5), mT2


def test_radial_pt_density_is_isotropic_and_integrates_to_one(small_config, make_flow):
    # p(px, py) = p_s(s) / (pi pT^2) with s = log pT^2: d(px) d(py) = (pT^2 / 2) ds dphi,
    # so the integral over the plane is the integral over s of pi pT^2 p(px, py).
    flow = make_flow(small_config, scale=0.05)
    assert small_config.pt_model == "radial"
    with torch.no_grad():
        flow.pt_shift.fill_(-2.8)  # <pT^2> ~ 0.06 GeV^2 as in Pythia's preset
        flow.pt_scale.fill_(1.3)
    s = torch.linspace(-2.8 - 1.3 * 12, -2.8 + 1.3 * 12, 48_001, dtype=torch.float64)
    pt = torch.exp(0.5 * s)
    dens = []
    for phi in (0.0, 1.0, 2.5, 4.0):  # any azimuth: the density may not depend on it
        with torch.no_grad():
            dens.append(torch.exp(flow.log_prob_pt(pt * math.cos(phi), pt * math.sin(phi))))
    assert all(torch.allclose(d, dens[0], rtol=1e-12, atol=0.0) for d in dens[1:])
    # trapezoid over +-12 widths of s (beyond the spline's tail bound of 5 widths the
    # density is the base Gaussian's, so the mass outside is < 1e-30)
    assert float(torch.trapezoid(math.pi * pt**2 * dens[0], s)) == pytest.approx(1.0, abs=1e-6)


def test_radial_pt_samples_follow_the_density(small_config, make_flow):
    flow = make_flow(small_config)
    with torch.no_grad():
        flow.pt_shift.fill_(-2.8)
        flow.pt_scale.fill_(1.3)
    px, py = flow.sample_pt(4000, torch.Generator().manual_seed(6))
    s = torch.log(px**2 + py**2)
    grid = torch.linspace(-2.8 - 1.3 * 12, -2.8 + 1.3 * 12, 48_001, dtype=torch.float64)
    pt = torch.exp(0.5 * grid)
    with torch.no_grad():
        p_s = math.pi * pt**2 * torch.exp(flow.log_prob_pt(pt, torch.zeros_like(pt)))
    cdf_s = integrate.cumulative_trapezoid(p_s.numpy(), grid.numpy(), initial=0.0)
    cdf = lambda v: np.interp(v, grid.numpy(), cdf_s)  # noqa: E731
    # seeded; each fails a correct sampler 1 in 1000
    assert stats.kstest(s.numpy(), cdf).pvalue > 1e-3
    assert stats.kstest(np.arctan2(py.numpy(), px.numpy()), stats.uniform(-math.pi, 2 * math.pi).cdf).pvalue > 1e-3


def test_xy_pt_density_integrates_to_one(small_config, make_flow):
    # Spline flows are the identity outside their tail bound, so the pT density has
    # Gaussian tails and a finite grid captures it. (A randomised affine MAF can stretch
    # its tails by up to 1000x, beyond any practical grid; its normalisation follows
    # from the log-det identity tested above.)
    flow = make_flow(small_config.replace(pt_model="xy"), scale=0.05)
    with torch.no_grad():
        flow.pt_scale.fill_(0.1)
    g = torch.linspace(-4.0, 4.0, 1601, dtype=torch.float64)  # +-40 flow units, step 0.05
    gx, gy = torch.meshgrid(g, g, indexing="ij")
    with torch.no_grad():
        dens = torch.exp(flow.log_prob_pt(gx.reshape(-1), gy.reshape(-1)))
    assert float(dens.sum() * (g[1] - g[0]) ** 2) == pytest.approx(1.0, abs=5e-4)  # Riemann sum


def test_samples_follow_the_density(small_config, make_flow):
    flow = make_flow(small_config)
    with torch.no_grad():
        flow.y_shift.fill_(-1.0)
        flow.y_scale.fill_(1.7)
    n, mT2 = 4000, 0.25
    z = flow.sample_z({"mT2": torch.full((n,), mT2, dtype=torch.float64)}, torch.Generator().manual_seed(4))
    y = torch.linspace(-35.0, 35.0, 70_001, dtype=torch.float64)
    zg = torch.sigmoid(y)
    with torch.no_grad():
        p = torch.exp(flow.log_prob_z(zg, {"mT2": torch.full_like(zg, mT2)}, check_range=False))
    cdf_y = integrate.cumulative_trapezoid((p * zg * (1 - zg)).numpy(), y.numpy(), initial=0.0)
    cdf = lambda v: np.interp(np.log(v) - np.log1p(-v), y.numpy(), cdf_y)  # noqa: E731
    assert stats.kstest(z.numpy(), cdf).pvalue > 1e-3  # seeded; fails a correct sampler 1 in 1000


def test_sampling_is_reproducible_and_leaves_global_rng_alone(small_config, make_flow):
    flow = make_flow(small_config)
    state = {"mT2": torch.full((100,), 0.2, dtype=torch.float64)}
    before = torch.random.get_rng_state()
    a = flow.sample_z(state, torch.Generator().manual_seed(9))
    px, py = flow.sample_pt(100, torch.Generator().manual_seed(9))
    assert torch.equal(torch.random.get_rng_state(), before)
    assert torch.equal(a, flow.sample_z(state, torch.Generator().manual_seed(9)))
    assert torch.equal(px, flow.sample_pt(100, torch.Generator().manual_seed(9))[0])


def test_same_seed_same_initial_weights(small_config):
    a, b = BreakFlow(small_config, seed=3), BreakFlow(small_config, seed=3)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
