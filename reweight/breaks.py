"""Flavour classes of string breaks and their shape-parameter offsets.

A break's Lund shape depends on its flavours only through: is the old flavour an s quark
or a diquark, is the new one, and is the end a c or b quark (Bowler term). Each
combination is a *class*; within a class a, c are the same function of theta.
"""

from __future__ import annotations

import numpy as np
import torch

from .base import FragmentationBase

__all__ = ["break_classes", "class_shapes"]

_FIELDS = ("old_s", "new_s", "old_qq", "new_qq", "heavy_c", "heavy_b")


def _heaviest(flav: np.ndarray) -> np.ndarray:
    a = np.abs(flav)
    diquark = a > 1000
    return np.where(diquark, np.maximum((a // 1000) % 10, (a // 100) % 10), a)


def break_classes(flav_old: np.ndarray, flav_new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class index of every break and the table of class properties.

    Args:
        flav_old, flav_new: (n,) flavour codes (quarks +-1..5, diquarks +-(q1 q2 0 s)).

    Returns:
        ``(index, table)``: (n,) int64 class indices into ``table``, a (K, 6) bool array
        with columns old_s, new_s, old_qq, new_qq, heavy_c, heavy_b.
    """
    ao, an = np.abs(flav_old), np.abs(flav_new)
    heavy = _heaviest(flav_old)
    bits = np.stack([ao == 3, an == 3, ao > 1000, an > 1000, heavy == 4, heavy == 5], axis=1)
    if np.any(heavy > 5):
        from mlhad.exceptions import ReweightError

        raise ReweightError("string breaks from quarks heavier than b cannot be reweighted (rFactH)")
    codes = bits.astype(np.int64) @ (1 << np.arange(len(_FIELDS)))
    uniq, index = np.unique(codes, return_inverse=True)
    table = ((uniq[:, None] >> np.arange(len(_FIELDS))) & 1).astype(bool)
    return index.astype(np.int64), table


def class_shapes(table: np.ndarray, base: FragmentationBase, a_lund: torch.Tensor, b_lund: torch.Tensor,
                 r_fact_c: torch.Tensor, r_fact_b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-class a and c (B = b mT^2 is class independent), as Pythia's StringZ::initShape.

    Returns:
        ``(a, c)`` tensors of shape (K,), differentiable in the parameters.
    """
    t = torch.as_tensor(table, dtype=torch.float64)
    old_s, new_s, old_qq, new_qq, heavy_c, heavy_b = t.unbind(1)
    a_es, a_eqq = base.aExtraSQuark, base.aExtraDiquark
    if base.useOldAExtra:  # the pre-8.315 convention kept for old tunes, Monash included
        a_extra = old_s * a_es + old_qq * a_eqq
    else:
        a_extra = new_s * a_es + new_qq * a_eqq
    a = a_lund + a_extra
    c = 1.0 + (new_s - old_s) * a_es + (new_qq - old_qq) * a_eqq
    c = c + heavy_c * r_fact_c * b_lund * base.mc**2 + heavy_b * r_fact_b * b_lund * base.mb**2
    return a, c
