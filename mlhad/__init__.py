"""mlhad: machine-learning tools to tune, reweight and validate string hadronization.

The package is organised along the data flow

    sample (mlhad.generators, mlhad.io) -> weights (mlhad.reweight)
        -> histograms (mlhad.histograms, mlhad.yoda) -> fit / report (mlhad.inference)

Heavy dependencies (pythia8mc, torch, sbi) are imported lazily by the modules that
need them, so ``import mlhad`` is cheap and works without Pythia.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
