"""Step 2's model: the single-break log weight g(z | c), normalised against the simulation.

A break is described by what the history records (docs/sample_format.md): the
light-cone fraction z of the hadron, its mT^2 (which carries the hadron mass and its
transverse momentum, old plus new), the flavour class of the break (old and new flavour
strange or diquark, heavy c or b end: :func:`mlhad.reweight.breaks.break_classes`) and
the string end it was taken from. In Pythia's string model z is drawn last, from the Lund
density given (mT^2, flavours); the conditioning is therefore c = (mT^2, class[, side]) and
the learned object is the fragmentation function f(z | c) of the data relative to the
simulation's, as in the HOMER papers (arXiv 2410.06342 Sec. 3, 2509.03592 Sec. 2).

    g(z | c) = h(z, c) - log E_sim[e^{h(z', c)} | c]      (normalisation.py)

with h a small MLP of (logit z, log z, log(1 - z), log mT^2, class bits[, side]),
bounded to |h| <= max_log_weight. The event log weight is the sum of g over all breaks of
the history, kept and thrown-away attempts alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from mlhad.exceptions import ModelError
from mlhad.reweight.base import FragmentationBase
from mlhad.reweight.breaks import break_classes

from .config import BreakWeightConfig
from .histories import BreakTable
from .networks import Standardise, mlp
from .normalisation import NormalisationGrid

__all__ = ["BreakWeightNet", "PreparedBreaks", "prepare_breaks", "continuous_features", "N_BITS"]

N_BITS = 6  # class properties, see mlhad.reweight.breaks
_N_CONT = 4  # logit z, log z, log(1 - z), log mT^2


def continuous_features(t: np.ndarray, log_m2: np.ndarray) -> np.ndarray:
    """(n, 4) float64: logit z, log z, log(1 - z), log mT^2 for z = sigmoid(t)."""
    t = np.asarray(t, dtype=np.float64)
    log_m2 = np.broadcast_to(np.asarray(log_m2, dtype=np.float64), t.shape)
    return np.stack([t, -np.logaddexp(0.0, -t), -np.logaddexp(0.0, t), log_m2], axis=-1)


@dataclass
class PreparedBreaks:
    """The breaks of a table in the form the network reads, with their grid cells.

    Attributes:
        cont: (n, 4) float32 continuous features (:func:`continuous_features`).
        bits: (n, 6) float32 class properties.
        side: (n,) float32, +1 positive end, -1 negative end.
        cell: (n, 4) int64 indices ``side * N + node`` of the four grid nodes of the
            interpolation stencil (:meth:`NormalisationGrid.locate`).
        frac: (n, 4) float32 interpolation weights.
        event: (n,) int64 event index within the table.
        accepted: (n,) float32, 1 for breaks of the kept fragmentation attempt, else 0.
        grid: the normalisation grid the cells refer to.
        grid_inputs: (S * N * Q, n_in) float32 network inputs at the grid nodes.
        n_events: events in the table.
    """

    cont: torch.Tensor
    bits: torch.Tensor
    side: torch.Tensor
    cell: torch.Tensor
    frac: torch.Tensor
    event: torch.Tensor
    accepted: torch.Tensor
    grid: NormalisationGrid
    grid_inputs: torch.Tensor
    n_events: int


class BreakWeightNet(nn.Module):
    """h(z, c) and the normalised single-break log weight g(z | c).

    Args:
        config: network settings.
        shift, scale: (4,) standardisation of the continuous features (from the training breaks).
        base: the simulation's fragmentation parameters (kept with the model: the weights
            are ratios to exactly this simulation).
    """

    def __init__(self, config: BreakWeightConfig, shift: np.ndarray, scale: np.ndarray,
                 base: FragmentationBase) -> None:
        super().__init__()
        self.config = config
        self.base = base
        self.standardise = Standardise(torch.as_tensor(shift), torch.as_tensor(scale))
        self.n_in = _N_CONT + N_BITS + (1 if config.use_side else 0)
        self.net = mlp(self.n_in, config.hidden, zero_last=True)
        # log E_sim[prod over kept breaks of e^g] = log(A_new / A_sim), set after training
        self.register_buffer("log_acceptance", torch.zeros((), dtype=torch.float64))

    @property
    def n_sides(self) -> int:
        return 2 if self.config.use_side else 1

    def inputs(self, cont: torch.Tensor, bits: torch.Tensor, side: torch.Tensor) -> torch.Tensor:
        """(n, n_in) network inputs from raw features."""
        parts = [self.standardise(cont), bits]
        if self.config.use_side:
            parts.append(side[:, None])
        return torch.cat(parts, dim=1)

    def h(self, x: torch.Tensor) -> torch.Tensor:
        """Bounded unnormalised log weight, (n,) from (n, n_in) inputs."""
        bound = self.config.max_log_weight
        return bound * torch.tanh(self.net(x).squeeze(-1) / bound)

    def log_norm_table(self, prepared: PreparedBreaks) -> torch.Tensor:
        """(S * N,) log E_sim[e^h | c] at every grid node and side (flattened)."""
        grid = prepared.grid
        h = self.h(prepared.grid_inputs).reshape(self.n_sides, grid.n_nodes, -1)
        return grid.integrate(h).reshape(-1)

    def log_weights(self, prepared: PreparedBreaks, rows: torch.Tensor | None = None,
                    log_norm: torch.Tensor | None = None) -> torch.Tensor:
        """g for some breaks (all if rows is None): (n_rows,)."""
        sel = slice(None) if rows is None else rows
        if log_norm is None:
            log_norm = self.log_norm_table(prepared)
        x = self.inputs(prepared.cont[sel], prepared.bits[sel], prepared.side[sel])
        norm = (log_norm[prepared.cell[sel]] * prepared.frac[sel]).sum(dim=-1)
        return self.h(x) - norm

    def describe(self) -> dict[str, Any]:
        """JSON-able description saved with the state dict."""
        return {"config": self.config.__dict__ | {"hidden": list(self.config.hidden)},
                "base": self.base.__dict__, "shift": self.standardise.shift.tolist(),
                "scale": self.standardise.scale.tolist()}


def feature_moments(table: BreakTable) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the continuous features over a table's breaks."""
    t = np.log(table.z) - np.log1p(-table.z)
    cont = continuous_features(t, np.log(table.m2))
    scale = cont.std(axis=0)
    return cont.mean(axis=0), np.where(scale > 0, scale, 1.0)


def prepare_breaks(table: BreakTable, model: BreakWeightNet) -> PreparedBreaks:
    """Features, classes and normalisation-grid cells of every break of a table.

    The grid covers exactly the classes and log mT^2 ranges present in the table, with
    the model's base parameters as the simulated density.

    Raises:
        ModelError: the table has no breaks.
    """
    if table.n_breaks == 0:
        raise ModelError("no string breaks in these events: HOMER needs fragmentation histories with breaks")
    cfg = model.config
    index, bits = break_classes(table.flav_old, table.flav_new)
    log_m2 = np.log(table.m2)
    k = bits.shape[0]
    lo = np.full(k, np.inf)
    hi = np.full(k, -np.inf)
    np.minimum.at(lo, index, log_m2)
    np.maximum.at(hi, index, log_m2)
    grid = NormalisationGrid.build(model.base, bits, lo, hi, node_spacing=cfg.mass_node_spacing,
                                   n_z_nodes=cfg.n_z_nodes)
    node, frac = grid.locate(index, log_m2)
    side = np.where(table.from_pos, 1.0, -1.0)
    side_row = (table.from_pos == 0).astype(np.int64) if cfg.use_side else np.zeros(table.n_breaks, np.int64)
    cell = (side_row * grid.n_nodes)[:, None] + node
    t = np.log(table.z) - np.log1p(-table.z)

    # network inputs at every grid node, for both sides: (S, N, Q)
    q = grid.t.shape[-1]
    g_cont = continuous_features(grid.t, np.broadcast_to(grid.log_m2[:, None], grid.t.shape)).reshape(-1, _N_CONT)
    g_bits = np.repeat(bits[grid.node_class].astype(np.float32), q, axis=0)
    blocks = []
    for s in ([1.0, -1.0] if cfg.use_side else [1.0]):
        blocks.append(model.inputs(torch.as_tensor(g_cont, dtype=torch.float32),
                                   torch.as_tensor(g_bits, dtype=torch.float32),
                                   torch.full((g_cont.shape[0],), s)).detach())
    return PreparedBreaks(
        cont=torch.as_tensor(continuous_features(t, log_m2), dtype=torch.float32),
        bits=torch.as_tensor(bits[index], dtype=torch.float32),
        side=torch.as_tensor(side, dtype=torch.float32),
        cell=torch.as_tensor(cell), frac=torch.as_tensor(frac, dtype=torch.float32),
        event=torch.as_tensor(table.event_index), accepted=torch.as_tensor(table.accepted, dtype=torch.float32),
        grid=grid, grid_inputs=torch.cat(blocks),
        n_events=table.n_events,
    )
