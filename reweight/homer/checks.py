"""Input checks of a HOMER run, each failing with a message that says what it means.

* The simulation must carry fragmentation histories (steps 2 and 3 read them).
* Simulation and data must describe the same process: same preset, same energy.
* The step-1 classifier must have something to learn (AUC clearly above 0.5) and the
  samples must overlap (AUC below ``auc_max``): otherwise HOMER's weights are
  either all ~1 or dominated by a handful of events and meaningless.
* Weights are applied only to samples generated at the simulation's base parameters.
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from collections.abc import Iterator

from mlhad.exceptions import InferenceError, ReweightError, SampleError
from mlhad.io import Sample
from mlhad.reweight.base import FragmentationBase
from mlhad.threads import torch_threads

from .calibration import auc_null_std

__all__ = ["DegenerateClassifierWarning", "require_histories", "check_compatible", "check_separability",
           "check_same_base", "limit_threads", "sample_energy"]


class DegenerateClassifierWarning(UserWarning):
    """Step 1 found nothing to learn, or simulation and data barely overlap (on_degenerate='warn')."""


def require_histories(sample: Sample, role: str = "simulation") -> None:
    """Raise SampleError unless the sample has fragmentation histories."""
    if not sample.has_history or "breaks.z" not in sample.fields:
        raise SampleError(
            f"the {role} sample at {sample.path} has no fragmentation histories; HOMER learns single-break "
            "weights from them (steps 2 and 3). Generate the simulation with histories: `mlhad generate` "
            "records them by default (do not pass --no-history)"
        )


def sample_energy(sample: Sample) -> tuple[str, float]:
    """(preset, energy in GeV) of a generated sample."""
    from mlhad.generators.presets import get_preset

    config = sample.metadata["config"]
    energy = config.get("energy")
    if energy is None:
        energy = get_preset(config["preset"]).default_energy
    return str(config["preset"]), float(energy)


def check_compatible(sim: Sample, data: Sample) -> list[str]:
    """Same preset and energy, or SampleError; returns the Pythia settings that differ.

    Differences in fragmentation parameters are what HOMER learns; any other differing
    setting is reported (it is not a hadronization effect the weights can absorb).
    """
    p_sim, e_sim = sample_energy(sim)
    p_data, e_data = sample_energy(data)
    if p_sim != p_data:
        raise SampleError(
            f"simulation ({sim.path}) uses preset {p_sim!r} but data ({data.path}) uses {p_data!r}: HOMER compares "
            "the same process at the same energy; generate the simulation with --preset " + p_data
        )
    if not math.isclose(e_sim, e_data, rel_tol=1e-9):
        raise SampleError(
            f"simulation ({sim.path}) is at {e_sim} GeV but data ({data.path}) at {e_data} GeV: observables at "
            f"different energies differ for reasons other than hadronization; generate the simulation with --energy {e_data}"
        )
    a = set(sim.metadata.get("pythia_settings", []))
    b = set(data.metadata.get("pythia_settings", []))
    return sorted(a ^ b)


def check_separability(auc: float, n_data: int, n_sim: int, *, auc_max: float, null_sigmas: float,
                       on_degenerate: str) -> str | None:
    """Refuse (or warn about) a degenerate step-1 classifier; returns the message or None.

    Args:
        auc: ROC AUC on held-out events.
        n_data, n_sim: held-out events of each class.
        auc_max: above this the samples barely overlap.
        null_sigmas: |AUC - 0.5| below this many null standard deviations means nothing to learn.
        on_degenerate: "raise" or "warn".

    Raises:
        InferenceError: on a degenerate classifier when on_degenerate == "raise".
    """
    sigma = auc_null_std(n_data, n_sim)
    message = None
    if abs(auc - 0.5) < null_sigmas * sigma:
        message = (
            f"the step-1 classifier cannot tell simulation from data: AUC = {auc:.4f}, within {null_sigmas:g} "
            f"standard deviations ({sigma:.4f}) of 0.5 for {n_data} + {n_sim} held-out events. The simulation already "
            "describes these observables within the statistics, so there is nothing to learn and HOMER's weights "
            "would be 1 up to noise. Use more events or more sensitive observables, or stop here"
        )
    elif auc > auc_max:
        message = (
            f"the step-1 classifier separates simulation from data almost perfectly: AUC = {auc:.4f} > {auc_max}. "
            "The samples barely overlap, so p_data/p_sim is huge or infinite where the data lie outside the "
            "simulation's support and reweighting cannot reach them: the weights would be dominated by a few "
            "events and meaningless. Check that simulation and data are comparable (same process, energy, "
            "selection) or start from a simulation closer to the data"
        )
    if message is not None:
        if on_degenerate == "raise":
            raise InferenceError(message)
        warnings.warn(message, DegenerateClassifierWarning, stacklevel=2)
    return message


def check_same_base(sample: Sample, base: FragmentationBase) -> None:
    """Raise ReweightError unless the sample was generated at ``base`` (HOMER weights are ratios to it)."""
    other = FragmentationBase.from_metadata(sample.metadata, source=str(sample.path))
    if other != base:
        diff = {k: (v, getattr(other, k)) for k, v in base.__dict__.items() if getattr(other, k) != v}
        raise ReweightError(
            f"{sample.path} was generated with other fragmentation parameters than HOMER's simulation "
            f"(trained, sample): {diff}; HOMER weights are ratios to the training simulation and apply only to "
            "samples generated at the same parameters"
        )


@contextmanager
def limit_threads(n: int | None) -> Iterator[None]:
    """Run with at most ``n`` torch and BLAS threads (None: leave as is), restoring them after.

    On a busy machine, idle BLAS/OpenMP threads spin and can slow small operations by
    orders of magnitude; one thread is then much faster.
    """
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with torch_threads(n), threadpool_limits(limits=n):
        yield
