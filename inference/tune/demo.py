"""``demo_tune``: the fast version of the real tune, on built-in defaults (minutes on 2 idle cores).

Fits aLund, bLund and StringPT:sigma to the shipped ALEPH_1996_S3486095 data (the global
selection of :mod:`mlhad.inference.tune.aleph` unless told otherwise) by the gradient
method, from a small Monash base sample, and checks the result on the shipped DELPHI_1996_S3430090
data. Small samples make it fast and its errors large; docs/aleph_tune/global holds the
full tune of the global selection, docs/aleph_tune that of the soft-pT one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mlhad.io.chunks import atomic_write_text
from mlhad.yoda import reference_path

from .aleph import DEFAULT_PARAMS, aleph_selection
from .config import TuneConfig
from .result import TuneResult
from .run import tune

__all__ = ["demo_tune"]


def demo_tune(out_dir: str | Path = "runs/demo-tune", *, n_events: int = 20_000, base: str | Path | None = None,
              selection: str = "global", seed: int = 1, workers: int = 2, check: bool = True, plots: bool = True,
              overwrite: bool = True, progress: bool = True, log: Callable[[str], None] = print) -> TuneResult:
    """Tune (aLund, bLund, sigma) to ALEPH with the gradient method, quickly.

    Args:
        out_dir: output directory (results, and the generated runs under ``runs/``; a
            second call reuses them).
        n_events: events per generated base run (20k: about 1.5 minutes on 2 idle cores
            with the global selection; the fit's errors shrink as 1/sqrt(n_events) until
            the data's limit).
        base: an existing Monash sample to start from instead of generating one.
        selection: the ALEPH points fitted, "global" (all charged-particle spectra and
            event shapes) or "soft-pt" (the selection of docs/aleph_tune); see
            :mod:`mlhad.inference.tune.aleph`.
        seed: master seed.
        workers: processes for generation and analysis.
        check: also compare start and tune with the DELPHI data (not fitted).
        plots: draw the data/start/tune plots and the chi2 scans.
        overwrite: replace an earlier demo's results.
        progress: progress bars (also silenced by MLHAD_NO_PROGRESS=1).
        log: where progress lines and the final summary go.

    Returns:
        The :class:`TuneResult`; ``out_dir/summary.md`` holds the readable summary.

    Raises:
        TuneError: an unknown selection, or a bad setting (before anything is written).
    """
    selection_text = aleph_selection(selection)
    out = Path(out_dir)
    weights = out / "aleph-weights.txt"
    config = TuneConfig(
        data=(str(reference_path("ALEPH_1996_S3486095")),),
        check=(str(reference_path("DELPHI_1996_S3430090")),) if check else (),
        params=DEFAULT_PARAMS, out=str(out), method="gradient", weights=str(weights),
        base=None if base is None else str(base), n_events=n_events, seed=seed, workers=workers,
        plots=plots, overwrite=overwrite, progress=progress,
    )
    # the configuration is validated before anything is written
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(weights, selection_text)
    return tune(config, log=log)
