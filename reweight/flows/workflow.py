"""End-to-end steps with reports and plots: what ``mlhad flow train|sample|magic`` run.

Each function reads its inputs, calls the library, writes its outputs into ``out``
(the flow or sample, ``report.json`` with configs, seeds, metrics and package versions,
and PNG figures) and returns the report dict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import awkward as ak
import torch
from scipy import stats

from mlhad.exceptions import ModelError, OutputExistsError
from mlhad.generators.string_sampler import StringParams, params_from_metadata, write_sample

from .checkpoint import load_flow, package_versions, read_flow_info, save_flow
from .config import FlowConfig, MagicConfig, TrainConfig
from .data import break_table
from .distance import BinnedTarget, load_targets
from .evaluate import DEFAULT_WINDOWS, kl_to_lund, pt_metrics, z_window_metrics
from .magic import build_targets, magic, unweighted_chi2
from .model import BreakFlow
from .observables import compute_observables
from .plots import plot_history, plot_observables, plot_z_windows
from .sampling import FlowSampler, fragment_with_flow
from .train import train_flow

__all__ = ["train_on_sample", "sample_with_flow", "magic_on_target", "write_report"]


def write_report(report: dict[str, Any], out: Path) -> Path:
    report = {**report, "versions": package_versions()}
    path = out / "report.json"
    path.write_text(json.dumps(report, indent=1, sort_keys=True, default=float))
    return path


def _fresh_output(out: str | Path, overwrite: bool, flag: str = "--overwrite") -> Path:
    """The output directory, refusing to replace a saved flow unless asked to."""
    out = Path(out)
    if (out / "flow.json").exists() and not overwrite:
        raise OutputExistsError(f"{out} already holds a saved flow; choose another --out or pass "
                                f"{flag} (overwrite=True) to replace it")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _open(path: str | Path) -> tuple[ak.Array, dict[str, Any]]:
    from mlhad.io import open_sample

    sample = open_sample(path)
    return sample.read(["breaks", "particles"]), sample.metadata


def train_on_sample(sample: str | Path, out: str | Path, flow_config: FlowConfig | None = None,
                    train_config: TrainConfig | None = None, *, eval_sample: str | Path | None = None,
                    windows: tuple[tuple[float, float], ...] = DEFAULT_WINDOWS, progress: bool = True,
                    overwrite: bool = False) -> dict[str, Any]:
    """Train a flow on a sample's breaks, hold out ``windows`` of mT2, evaluate there.

    Metrics in each window compare the flow with the breaks of ``eval_sample`` (if given,
    with the training sample's own held-out breaks as the statistical floor), else with
    the training sample's held-out breaks; exact Lund draws at the sample's (a, b) are
    reported too.
    """
    out = _fresh_output(out, overwrite)
    train_config = (train_config or TrainConfig()).replace(holdout_mT2=tuple(windows))
    events, meta = _open(sample)
    params = params_from_metadata(meta)
    table = break_table(events, "all")
    flow = BreakFlow(flow_config or FlowConfig(), seed=train_config.seed)
    flow, history = train_flow(flow, table, train_config, progress=progress)
    if eval_sample is not None:
        eval_table, floor = break_table(_open(eval_sample)[0], "all"), table
    else:
        eval_table, floor = table, None
    lund = (params.a_lund, params.b_lund)
    metrics = z_window_metrics(FlowSampler(flow), eval_table, windows, floor_table=floor, lund=lund,
                               seed=train_config.seed)
    pt = pt_metrics(FlowSampler(flow), eval_table, seed=train_config.seed) if flow.pt_flow is not None else None
    save_flow(flow, out, metadata={"string_params": params.to_dict(), "train_config": train_config.to_dict(),
                                   "training_sample": str(sample), "training_range": flow.training_range()})
    plot_z_windows(FlowSampler(flow), eval_table, windows, out / "z_windows.png", lund=lund)
    plot_history({"train NLL": history["train_nll"], "validation NLL": history["val_nll"]},
                 out / "training.png", xlabel="epoch")
    report = {"flow_config": flow.config.to_dict(), "train_config": train_config.to_dict(),
              "history": history, "windows": metrics, "pt": pt, "sample": str(sample),
              "eval_sample": None if eval_sample is None else str(eval_sample)}
    write_report(report, out)
    return report


def _flow_params(path: str | Path) -> StringParams:
    meta = read_flow_info(path)["metadata"]
    if "string_params" not in meta:
        raise ModelError(f"the flow at {path} records no string parameters; pass them explicitly")
    return StringParams.from_dict(meta["string_params"])


def sample_with_flow(flow_path: str | Path, n_strings: int, out: str | Path, *, seed: int,
                     reference: str | Path | None = None, overwrite: bool = False,
                     progress: bool = True) -> dict[str, Any]:
    """Fragment strings with a saved flow, write them as a sample, compare to a reference."""
    out = Path(out)
    flow = load_flow(flow_path)
    params = _flow_params(flow_path)
    events, info = fragment_with_flow(flow, n_strings, params, seed=seed, progress=progress)
    write_sample(events, out, params=params, seed=seed, overwrite=overwrite,
                 models={"z": f"BreakFlow({flow_path})", "pt": "BreakFlow pT flow" if flow.pt_flow else "GaussianPT"})
    n_had = compute_observables(events, ["n_hadrons"])["n_hadrons"]
    report: dict[str, Any] = {"flow": str(flow_path), "n_strings": n_strings, "seed": seed,
                              "outside_training_range": info, "mean_n_hadrons": float(n_had.mean())}
    if reference is not None:
        ref_events, _ = _open(reference)
        names = ["n_hadrons", "n_charged", "x_lead", "max_gap", "sum_z"]
        targets = build_targets(ref_events, names)
        report["chi2_vs_reference"] = unweighted_chi2(events, targets)
        report["n_bins"] = {n: len(t.sumw) for n, t in targets.items()}
        # Shape chi2 of two independent samples: ~ chi2 with n_bins - 1 dof.
        report["p_value_vs_reference"] = {n: float(stats.chi2.sf(c, report["n_bins"][n] - 1))
                                          for n, c in report["chi2_vs_reference"].items()}
        plot_observables({"flow chains": compute_observables(events, names)}, targets, out / "observables.png")
    write_report(report, out)
    return report


def _targets(target: str | Path, names: tuple[str, ...]) -> tuple[dict[str, BinnedTarget], ak.Array | None,
                                                                   dict[str, Any] | None]:
    path = Path(target)
    if path.is_file():
        return load_targets(path), None, None
    events, meta = _open(path)
    return build_targets(events, names), events, meta


def magic_on_target(flow_path: str | Path, target: str | Path, out: str | Path,
                    config: MagicConfig | None = None, *, eval_chains: int = 20_000,
                    progress: bool = True, overwrite: bool = False) -> dict[str, Any]:
    """MAGIC-tune a saved flow to a target sample (or a JSON of binned targets)."""
    config = config or MagicConfig()
    if Path(out).resolve() == Path(flow_path).resolve():
        raise OutputExistsError(f"--out {out} is the input flow's directory; write the tuned flow elsewhere")
    out = _fresh_output(out, overwrite)
    flow = load_flow(flow_path)
    params = _flow_params(flow_path)
    targets, target_events, target_meta = _targets(target, config.observables)
    tuned, history = magic(flow, targets, params, config, progress=progress)
    eval_seed = config.seed + 1_000_003  # chains independent of those used in the fit
    before, _ = fragment_with_flow(flow, eval_chains, params, seed=eval_seed, progress=progress)
    after, _ = fragment_with_flow(tuned, eval_chains, params, seed=eval_seed, progress=progress)
    chi2_before, chi2_after = unweighted_chi2(before, targets), unweighted_chi2(after, targets)
    total_b, total_a = sum(chi2_before.values()), sum(chi2_after.values())
    ndf = sum(len(t.sumw) - 1 for t in targets.values())
    report: dict[str, Any] = {
        "flow": str(flow_path), "target": str(target), "magic_config": config.to_dict(),
        "eval_chains": eval_chains, "eval_seed": eval_seed, "chi2_before": chi2_before, "chi2_after": chi2_after,
        "n_bins": {n: len(t.sumw) for n, t in targets.items()}, "distance_cut": 1.0 - total_a / total_b,
        # chi2 minus its statistical floor (~ degrees of freedom) ~ n_chains x distance.
        "excess_distance_cut": 1.0 - (total_a - ndf) / (total_b - ndf),
        # The distance MAGIC minimises: weighted chains (last step) vs the untuned flow's chains.
        "weighted_distance_cut": 1.0 - sum(history["chi2"][-1].values()) / sum(history["chi2"][0].values()),
        "history": history}
    if target_meta is not None and target_events is not None:
        tparams = params_from_metadata(target_meta)
        table = break_table(target_events, "all")
        pick = torch.randperm(table["z"].numel(), generator=torch.Generator().manual_seed(0))[:200_000]
        table = {k: v[pick] for k, v in table.items()}
        report["kl_to_target_lund"] = {
            "a": tparams.a_lund, "b": tparams.b_lund,
            "before": kl_to_lund(FlowSampler(flow), table, tparams.a_lund, tparams.b_lund),
            "after": kl_to_lund(FlowSampler(tuned), table, tparams.a_lund, tparams.b_lund)}
        # z at the target's recorded breaks, window by window: the exact target Lund
        # draws ("lund") are the floor the tuned flow should approach.
        report["z_windows_vs_target"] = {
            "before": z_window_metrics(FlowSampler(flow), table, DEFAULT_WINDOWS,
                                       lund=(tparams.a_lund, tparams.b_lund), seed=config.seed),
            "after": z_window_metrics(FlowSampler(tuned), table, DEFAULT_WINDOWS, seed=config.seed)}
        plot_z_windows(FlowSampler(tuned), table, DEFAULT_WINDOWS, out / "z_tuned_vs_target.png",
                       lund=(tparams.a_lund, tparams.b_lund), label="tuned flow")
    save_flow(tuned, out, metadata={"string_params": params.to_dict(), "magic_config": config.to_dict(),
                                    "parent_flow": str(flow_path), "target": str(target),
                                    "training_range": tuned.training_range()})
    names = list(targets)
    plot_observables({"before MAGIC": compute_observables(before, names),
                      "after MAGIC": compute_observables(after, names)}, targets, out / "observables.png")
    plot_history({"loss (sum chi2)": history["loss"], "n_eff / N": history["neff"]}, out / "magic_history.png")
    write_report(report, out)
    return report

