"""n_eff/N and 1 - mu versus distance from the base point, on a grid of (aLund, bLund).

Like the validation table of arXiv 2308.13459: how far from the base point can one
sample be reweighted? Prints a markdown table (used in docs/reweighting.md).

    python examples/reweight_coverage_table.py runs/monash [--chunks 10]
"""

from __future__ import annotations

import argparse

import torch

from mlhad.io import open_sample
from mlhad.reweight import reweighter_from_sample
from mlhad.reweight.diagnostics import weight_diagnostics

A_VALUES = (0.4, 0.5, 0.6, 0.68, 0.8, 0.9, 1.0)
B_VALUES = (0.6, 0.8, 0.98, 1.2, 1.4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample")
    parser.add_argument("--chunks", type=int, default=None, help="use only the first N chunks")
    args = parser.parse_args()
    sample = open_sample(args.sample)
    chunks = None if args.chunks is None else [c.index for c in sample.chunks[: args.chunks]]
    rw = reweighter_from_sample(sample, ["aLund", "bLund"], chunks=chunks)
    n = rw.tables.n_events
    print(f"base: aLund = {rw.base.aLund}, bLund = {rw.base.bLund}; N = {n} events\n")
    print("| aLund \\ bLund | " + " | ".join(f"{b:g}" for b in B_VALUES) + " |")
    print("|---|" + "---|" * len(B_VALUES))
    for a in A_VALUES:
        cells = []
        for b in B_VALUES:
            with torch.no_grad():
                d = weight_diagnostics(rw.weights({"aLund": a, "bLund": b}))
            if d.one_minus_mu_error > 0:
                pull = f"{d.one_minus_mu / d.one_minus_mu_error:+.1f}σ"
            else:
                pull = "base point: all weights 1"
            cells.append(f"{d.n_eff_fraction:.3f} / {d.one_minus_mu:+.3f} ({pull})")
        print(f"| {a:g} | " + " | ".join(cells) + " |")
    print("\ncells: n_eff/N / 1 - mu (its pull in units of its statistical error)")


if __name__ == "__main__":
    main()
