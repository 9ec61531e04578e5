"""Maximum-likelihood training of a BreakFlow on recorded string breaks.

The loss is the mean negative log-likelihood of the breaks,
-<log p(z | context)> - <log p(px_new, py_new)>; the two flows share no parameters, so
this trains both at once. Events, not breaks, are split into training and validation
sets (breaks of one string never straddle the split); the model with the best
validation NLL is kept.

The two terms see different breaks. z is fitted on the selected draws (every draw,
or the kept attempts only, ``TrainConfig.breaks``) outside the held-out mT2 windows.
The pair pT is fitted on *every* draw: Pythia draws it independently of the string
state, so any selection that depends on the break biases it. Holding out mT2 windows,
for instance, removes draws by |pT_old + pT_new|^2 and lowers <pT_new^2> by 1.7% on
the preset (docs/flows.md), which shifts the multiplicity of chains sampled with the
flow; keeping only the kept attempts lowers it by 1.4%.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any

import torch

from mlhad.exceptions import ModelError
from mlhad.progress import progress_bar

from .config import TrainConfig
from .model import BreakFlow

__all__ = ["train_flow", "break_nll"]


def _z_rows(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return batch if "fit_z" not in batch else {k: v[batch["fit_z"]] for k, v in batch.items()}


def break_nll(flow: BreakFlow, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean NLL (nats per break) of a batch: z part plus, if modelled, the pT part.

    If the batch has a boolean ``fit_z`` column, the z part runs over those rows only
    and the pT part over all rows (see the module docstring).
    """
    zb = _z_rows(batch)
    nll = -flow.log_prob_z(zb["z"], zb, check_range=False).mean() if zb["z"].numel() else batch["z"].new_zeros(())
    if flow.pt_flow is not None:
        nll = nll - flow.log_prob_pt(batch["px_new"], batch["py_new"]).mean()
    return nll


def _split(table: dict[str, torch.Tensor], config: TrainConfig, gen: torch.Generator
           ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    fit_z = torch.ones_like(table["z"], dtype=torch.bool)
    if config.breaks == "accepted":
        fit_z &= table["accepted"]
    for lo, hi in config.holdout_mT2:
        fit_z &= ~((table["mT2"] >= lo) & (table["mT2"] < hi))
    table = {**table, "fit_z": fit_z}
    if not bool(fit_z.any()):
        raise ModelError(f"no breaks left to fit z: breaks={config.breaks!r} and the held-out mT2 windows "
                         f"{config.holdout_mT2} remove all {fit_z.numel()}")
    n = table["z"].numel()
    if config.max_breaks and n > config.max_breaks:
        pick = torch.randperm(n, generator=gen)[: config.max_breaks].sort().values
        table = {k: v[pick] for k, v in table.items()}
    chains = torch.unique(table["chain"])
    n_val = max(1, int(round(config.val_fraction * chains.numel())))
    if chains.numel() < 2 or chains.numel() - n_val < 1:
        raise ModelError(
            f"need breaks from at least 2 events to split training/validation, got {chains.numel()}"
        )
    val_chains = chains[torch.randperm(chains.numel(), generator=gen)[:n_val]]
    is_val = torch.isin(table["chain"], val_chains)
    return ({k: v[~is_val] for k, v in table.items()}, {k: v[is_val] for k, v in table.items()})


@torch.no_grad()
def _evaluate(flow: BreakFlow, data: dict[str, torch.Tensor], batch_size: int) -> float:
    n = data["z"].numel()
    total = 0.0
    for start in range(0, n, 8 * batch_size):
        part = {k: v[start:start + 8 * batch_size] for k, v in data.items()}
        total += float(break_nll(flow, part)) * part["z"].numel()
    return total / n


def train_flow(
    flow: BreakFlow, table: dict[str, torch.Tensor], config: TrainConfig | None = None, *,
    progress: bool = True,
) -> tuple[BreakFlow, dict[str, Any]]:
    """Fit ``flow`` to a break table (see :func:`~mlhad.reweight.flows.break_table`).

    Args:
        flow: a fresh (or pre-trained) BreakFlow; trained in place.
        table: break table with at least z, mT2, px_new, py_new, the context features,
            ``accepted`` and ``chain``.
        config: training settings (``TrainConfig()`` by default).
        progress: show a progress bar over epochs.

    Returns:
        ``(flow, history)``: the flow (best validation epoch) and a dict with
        per-epoch ``train_nll``/``val_nll`` (nats per break), ``best_epoch``,
        ``n_train``/``n_val`` (breaks fitted for z), ``n_train_pt``/``n_val_pt`` (all
        draws, fitted for pT) and ``seconds``.
    """
    config = TrainConfig() if config is None else config
    gen = torch.Generator().manual_seed(config.seed)
    train, val = _split(table, config, gen)
    train_z = _z_rows(train)
    flow.fit_preprocessing(train_z["z"], train_z, train["px_new"], train["py_new"])
    opt = torch.optim.Adam(flow.parameters(), lr=config.lr)
    n = train["z"].numel()
    n_batches = math.ceil(n / config.batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.epochs * n_batches)
    history: dict[str, Any] = {"train_nll": [], "val_nll": [], "n_train": int(train["fit_z"].sum()),
                               "n_val": int(val["fit_z"].sum()), "n_train_pt": n, "n_val_pt": val["z"].numel(),
                               "breaks": config.breaks}
    best = (math.inf, -1, copy.deepcopy(flow.state_dict()))
    start = time.perf_counter()
    flow.train()
    with progress_bar(total=config.epochs, desc="train flow", unit="epoch", disable=not progress) as bar:
        for epoch in range(config.epochs):
            order = torch.randperm(n, generator=gen)
            running = 0.0
            for b in range(n_batches):
                idx = order[b * config.batch_size:(b + 1) * config.batch_size]
                loss = break_nll(flow, {k: v[idx] for k, v in train.items()})
                if not torch.isfinite(loss):
                    raise ModelError(f"training diverged at epoch {epoch} (loss {loss.detach().item()}); "
                                     "lower TrainConfig.lr")
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(flow.parameters(), 10.0)
                opt.step()
                sched.step()
                running += loss.detach().item() * idx.numel()
            flow.eval()
            val_nll = _evaluate(flow, val, config.batch_size)
            flow.train()
            history["train_nll"].append(running / n)
            history["val_nll"].append(val_nll)
            if val_nll < best[0]:
                best = (val_nll, epoch, copy.deepcopy(flow.state_dict()))
            bar.set_postfix(val_nll=f"{val_nll:.4f}")
            bar.update(1)
            if epoch - best[1] >= config.patience:
                break
    flow.load_state_dict(best[2])
    flow.eval()
    history["best_epoch"] = best[1]
    history["seconds"] = time.perf_counter() - start
    return flow, history
