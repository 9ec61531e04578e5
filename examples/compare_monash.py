"""Monash (Pythia 8 default) against ALEPH_1996 and DELPHI_1996: the acceptance check of mlhad.compare.

End to end, as the committed report ``docs/monash_vs_aleph/`` was made:

1. generate Monash LEP1 events at 91.2 GeV (or reuse the sample at ``--sample`` if it
   holds the same configuration);
2. one pass over the sample computes every observable of both analyses (stored beside
   the sample, so a second run only reads them);
3. fill, normalise as Rivet does, compare to the reference data with the chi2 of
   :mod:`mlhad.compare` and write the report (table worst first, plots, MC YODA files).

    python examples/compare_monash.py                                   # 200k events, ~10 min on 2 cores
    python examples/compare_monash.py --events 20000 --out /tmp/monash  # a quick look

The per-histogram table is printed and written to ``<out>/index.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from mlhad.compare import compare_sample, markdown_table
from mlhad.config import GeneratorConfig
from mlhad.exceptions import SampleNotFoundError
from mlhad.io import open_sample
from mlhad.yoda import reference_path

__all__ = ["main", "sample_for"]


def sample_for(path: Path, config: GeneratorConfig, workers: int):
    """The sample at ``path`` if it was generated with ``config``, else a new one there."""
    try:
        sample = open_sample(path)
    except SampleNotFoundError:
        sample = None
    if sample is not None:
        stored = GeneratorConfig.from_dict(sample.metadata["config"])
        if stored == config and sample.is_complete:
            return sample
        raise SystemExit(f"{path} holds another sample ({stored}); choose another --sample or delete it")
    from mlhad.generators import generate

    return generate(config, path, workers=workers)


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=Path, default=Path("runs/monash"))
    parser.add_argument("--out", type=Path, default=Path("docs/monash_vs_aleph"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-plots", action="store_true")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    sample = sample_for(args.sample, GeneratorConfig(preset="lep1", n_events=args.events, seed=args.seed),
                        args.workers)
    data = [reference_path("ALEPH_1996_S3486095"), reference_path("DELPHI_1996_S3430090")]
    result = compare_sample(sample, data, out=args.out, overwrite=True, plots=not args.no_plots, workers=args.workers,
                            title=f"Pythia 8 Monash ({sample.n_events} events) vs ALEPH_1996 and DELPHI_1996")
    cmp = result.comparison
    print(markdown_table(cmp, links=False))
    print(f"\ntotal chi2/ndf = {cmp.chi2:.1f}/{cmp.ndf} = {cmp.chi2_ndf:.2f}; report {result.report}; "
          f"{time.perf_counter() - t0:.0f} s")
    return cmp.chi2_ndf


if __name__ == "__main__":
    main()
