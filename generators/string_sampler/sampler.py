"""Public entry point: fragment N strings with the Lund function or any z / pT model.

    from mlhad.generators.string_sampler import StringParams, fragment
    events = fragment(100_000, StringParams(energy=50.0), seed=1)   # Lund + Gaussian pT
    n_hadrons = ak.num(events.particles)
"""

from __future__ import annotations

import awkward as ak
import torch

from mlhad.exceptions import ConfigError
from mlhad.progress import progress_bar

from .base import PTSampler, ZSampler
from .chain import run_chains
from .params import StringParams
from .records import assemble_events
from .reference import GaussianPT, LundZ

__all__ = ["fragment"]


def _generator(seed: int | None, generator: torch.Generator | None) -> torch.Generator:
    if generator is not None and seed is not None:
        raise ConfigError("pass either seed or generator to fragment(), not both")
    if generator is not None:
        return generator
    if seed is None:
        raise ConfigError(
            "fragment() needs a seed (int) or a torch.Generator, so that results are reproducible"
        )
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    return torch.Generator().manual_seed(seed)


def fragment(
    n_strings: int,
    params: StringParams | None = None,
    z_sampler: ZSampler | None = None,
    pt_sampler: PTSampler | None = None,
    *,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    batch_size: int = 50_000,
    progress: bool = True,
) -> ak.Array:
    """Fragment ``n_strings`` u ubar strings into pions, break by break.

    Args:
        n_strings: number of strings (events), > 0.
        params: string parameters (default: Pythia's ``string`` preset at 50 GeV).
        z_sampler: z model (default: :class:`LundZ` at ``params.a_lund, params.b_lund``).
        pt_sampler: pair-pT model (default: :class:`GaussianPT` from ``params``).
        seed: seed of a fresh torch generator; alternatively pass ``generator``.
        generator: torch random generator (advanced: share one stream across calls).
        batch_size: strings fragmented together (memory ~ 1 kB per string).
        progress: show a progress bar (also silenced by MLHAD_NO_PROGRESS=1).

    Returns:
        Awkward Array of ``n_strings`` events with the columns of our sample format
        (``event``, ``quark``, ``particles``, ``breaks``, ``strings``, ``pt_n``, ``pt_s``).

    Raises:
        ConfigError: for a non-positive ``n_strings`` or ``batch_size`` or a bad seed.
    """
    for name, value in (("n_strings", n_strings), ("batch_size", batch_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    params = StringParams() if params is None else params
    if not isinstance(params, StringParams):
        raise ConfigError(f"params must be a StringParams, got {type(params).__name__}")
    z_sampler = LundZ.from_params(params) if z_sampler is None else z_sampler
    pt_sampler = GaussianPT.from_params(params) if pt_sampler is None else pt_sampler
    gen = _generator(seed, generator)
    parts = []
    with torch.no_grad(), progress_bar(total=n_strings, desc="strings", unit="str",
                                       disable=not progress) as bar:
        for start in range(0, n_strings, batch_size):
            n = min(batch_size, n_strings - start)
            breaks, finals = run_chains(n, params, z_sampler, pt_sampler, gen, first_gid=start,
                                        on_finish=bar.update)
            parts.append(assemble_events(breaks, finals, n, start, params.energy))
    return parts[0] if len(parts) == 1 else ak.concatenate(parts)
