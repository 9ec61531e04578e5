"""``mlhad encoder``: pretrain the event encoder, embed a sample, describe a checkpoint.

Thin shell over :mod:`mlhad.encoder`; each subcommand is a few library calls.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["NAME", "HELP", "register", "run"]

NAME = "encoder"
HELP = "pretrain the event encoder (masked particles + parameter point), embed samples, inspect checkpoints"


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(title="encoder commands", metavar="ACTION", dest="action")

    pre = sub.add_parser("pretrain", help="pretrain an encoder on samples by masked-particle modelling")
    pre.add_argument("--samples", nargs="+", required=True, metavar="DIR", help="sample directories")
    pre.add_argument("--out", required=True, help="checkpoint to write (.pt; a .json and a -loss.png go beside it)")
    pre.add_argument("--max-events", type=int, default=None, help="events used per sample (default: all)")
    pre.add_argument("--epochs", type=int, default=10)
    pre.add_argument("--batch-size", type=int, default=256)
    pre.add_argument("--lr", type=float, default=2e-3)
    pre.add_argument("--mask-fraction", type=float, default=0.3)
    pre.add_argument("--param-weight", type=float, default=1.0,
                     help="weight of the parameter-point regression (0: masked particles only)")
    pre.add_argument("--seed", type=int, default=1)
    pre.add_argument("--d-model", type=int, default=None, help="token width (default: EncoderConfig)")
    pre.add_argument("--n-layers", type=int, default=None)
    pre.add_argument("--n-heads", type=int, default=None)
    pre.add_argument("--k-neighbours", type=int, default=None)
    pre.add_argument("--d-edge", type=int, default=None)
    pre.add_argument("--d-event", type=int, default=None)
    pre.add_argument("--class-scheme", choices=("identified", "detector"), default=None)
    pre.add_argument("--overwrite", action="store_true", help="replace an existing checkpoint at --out")
    pre.add_argument("--no-progress", action="store_true")

    emb = sub.add_parser("embed", help="write the event embeddings of a sample to a .npy file")
    emb.add_argument("--sample", required=True, help="sample directory")
    emb.add_argument("--out", required=True, help="output .npy, shape (n_events, d_event)")
    emb.add_argument("--checkpoint", default=None, help="checkpoint name or file (default: shipped)")
    emb.add_argument("--batch-size", type=int, default=256)
    emb.add_argument("--no-progress", action="store_true")

    info = sub.add_parser("info", help="print a checkpoint's config, size and training record")
    info.add_argument("--checkpoint", default=None, help="checkpoint name or file (default: shipped)")
    parser.set_defaults(func=run)


def _encoder_config(args: argparse.Namespace):
    from mlhad.encoder import EncoderConfig

    changes = {
        name: getattr(args, name)
        for name in ("d_model", "n_layers", "n_heads", "k_neighbours", "d_edge", "d_event", "class_scheme")
        if getattr(args, name) is not None
    }
    return EncoderConfig().replace(**changes)


def _pretrain(args: argparse.Namespace) -> int:
    from mlhad.encoder import PretrainConfig, pretrain, save
    from mlhad.encoder.plotting import plot_loss_curves
    from mlhad.io import open_sample

    out = Path(args.out)
    if not args.overwrite:
        for existing in (out, out.with_suffix(".json")):
            if existing.exists():
                from mlhad.exceptions import ConfigError

                # Checked before hours of training, not after.
                raise ConfigError(f"{existing} already exists; pass --overwrite or choose another --out")
    samples = [open_sample(path) for path in args.samples]
    config = PretrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                            mask_fraction=args.mask_fraction, param_weight=args.param_weight, seed=args.seed)
    result = pretrain(samples, encoder_config=_encoder_config(args), config=config,
                      max_events=args.max_events, progress=not args.no_progress)
    record = {
        "samples": [{"path": str(s.path), "config": s.metadata.get("config", {})} for s in samples],
        "max_events_per_sample": args.max_events,
        "pretrain_config": config.to_dict(),
        "regressed_parameters": result.param_names,
        "n_train": result.n_train,
        "n_val": result.n_val,
        "history": {k: v for k, v in result.history.items() if k != "step_loss"},
        "trivial": result.trivial,
    }
    out = save(result.model, out, metadata=record, overwrite=args.overwrite)
    plot = plot_loss_curves(result.history, result.trivial, out.with_name(out.stem + "-loss.png"))
    print(json.dumps({"checkpoint": str(out), "loss_plot": str(plot), "val_loss": result.history["val_loss"][-1],
                      "trivial_loss": result.trivial["loss"]}, indent=2))
    return 0


def _embed(args: argparse.Namespace) -> int:
    import numpy as np

    from mlhad.encoder import embed, load

    out = Path(args.out)
    if out.suffix != ".npy":
        from mlhad.exceptions import ConfigError

        raise ConfigError(f"--out must end in .npy, got {args.out!r}")
    x = embed(args.sample, model=load(args.checkpoint), batch_size=args.batch_size, progress=not args.no_progress)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, x)
    print(json.dumps({"out": str(out), "shape": list(x.shape)}))
    return 0


def _info(args: argparse.Namespace) -> int:
    from mlhad.encoder import load
    from mlhad.encoder.checkpoint import resolve_checkpoint

    path = resolve_checkpoint(args.checkpoint)
    model = load(path)
    sidecar = path.with_suffix(".json")
    record = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}
    print(json.dumps({
        "checkpoint": str(path),
        "config": model.config.to_dict(),
        "n_parameters": model.n_parameters(),
        "file_bytes": path.stat().st_size,
        "training": record.get("training", {}),
    }, indent=2))
    return 0


@contextlib.contextmanager
def _quiet(enabled: bool) -> Iterator[None]:
    """Silence every progress bar (also those of mlhad.observables) for one command."""
    before = os.environ.get("MLHAD_NO_PROGRESS")
    if enabled:
        os.environ["MLHAD_NO_PROGRESS"] = "1"
    try:
        yield
    finally:
        if enabled:
            if before is None:
                os.environ.pop("MLHAD_NO_PROGRESS", None)
            else:
                os.environ["MLHAD_NO_PROGRESS"] = before


def run(args: argparse.Namespace) -> int:
    actions = {"pretrain": _pretrain, "embed": _embed, "info": _info}
    if getattr(args, "action", None) not in actions:
        print("usage: mlhad encoder {pretrain,embed,info} ... (see mlhad encoder --help)")
        return 2
    with _quiet(getattr(args, "no_progress", False)):
        return actions[args.action](args)
