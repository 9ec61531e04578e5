"""Pure maps between break kinematics and the flows' unbounded coordinates.

- z in (0, 1) -> y = logit(z) = log z - log(1 - z), with log|dy/dz| = -log z - log(1 - z);
- conditioning state -> raw context features: log mT2, log(1 + rank), +-1 for the end.
  Logs make the wide mT2 range (0.02 to ~10 GeV^2) even for the network.

Standardisation (shift, scale) is fitted on training data and kept in the model's
state dict, so a saved flow reproduces its inputs exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from mlhad.exceptions import ModelError

__all__ = ["logit_z", "sigmoid_y", "raw_context", "UNITS"]

#: Units of the raw conditioning values, for messages.
UNITS = {"mT2": "GeV^2", "rank": "", "from_pos": ""}


def logit_z(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """y = logit(z) and log|dy/dz| (both (n,), float64).

    Raises:
        ModelError: if any z is outside the open interval (0, 1) or not finite.
    """
    z = torch.as_tensor(z, dtype=torch.float64)
    bad = ~((z > 0) & (z < 1))
    if bool(bad.any()):
        raise ModelError(
            f"z must lie in the open interval (0, 1); got {int(bad.sum())} bad values, e.g. "
            f"{z[bad][:3].tolist()}; check that the column holds light-cone fractions"
        )
    log_z, log_1mz = torch.log(z), torch.log1p(-z)
    return log_z - log_1mz, -log_z - log_1mz


def sigmoid_y(y: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`logit_z` (float64), clamped inside (0, 1) for float rounding."""
    z = torch.sigmoid(torch.as_tensor(y, dtype=torch.float64))
    tiny = torch.finfo(torch.float64).tiny
    return z.clamp(min=tiny, max=1.0 - 1e-16)


def _feature(name: str, value: torch.Tensor) -> torch.Tensor:
    v = torch.as_tensor(value)
    if name == "from_pos":
        return torch.where(v.bool(), 1.0, -1.0).to(torch.float64)
    v = v.to(torch.float64)
    if name == "rank":
        return torch.log1p(v.clamp(min=0))
    return torch.log(v.clamp(min=1e-12))  # mT2


def raw_context(state: Mapping[str, torch.Tensor], names: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Context features (n, k) and the raw values (n, k) they come from.

    Args:
        state: dict of (n,) tensors holding at least ``names``.
        names: conditioning features, e.g. ``("mT2",)``.

    Returns:
        ``(features, raw)``: float64 features before standardisation, and the raw
        values (float64; booleans as 0/1) used for the training-range check.

    Raises:
        ModelError: for a missing feature, mismatched lengths or non-finite values.
    """
    missing = [n for n in names if n not in state]
    if missing:
        raise ModelError(
            f"the flow is conditioned on {list(names)} but the state lacks {missing}; "
            f"state keys: {sorted(state)}"
        )
    raw = [torch.as_tensor(state[n]).reshape(-1).to(torch.float64) for n in names]
    lengths = {r.numel() for r in raw}
    if len(lengths) != 1:
        raise ModelError(f"conditioning features {list(names)} have different lengths {sorted(lengths)}")
    raw_t = torch.stack(raw, dim=1)
    if not bool(torch.isfinite(raw_t).all()):
        raise ModelError(f"conditioning features {list(names)} contain NaN or inf values")
    if "mT2" in names and bool((raw_t[:, list(names).index("mT2")] <= 0).any()):
        raise ModelError("mT2 must be positive (GeV^2); got values <= 0")
    feats = torch.stack([_feature(n, torch.as_tensor(state[n]).reshape(-1)) for n in names], dim=1)
    return feats, raw_t
