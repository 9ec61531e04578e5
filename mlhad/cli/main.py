"""The ``mlhad`` command. Sub-commands live in ``mlhad/cli/cmd_<name>.py``.

Each command module defines ``NAME``, ``HELP`` and ``register(parser)``; the latter adds
its arguments and sets ``parser.set_defaults(func=run)`` where ``run(args) -> int``.
Modules are discovered at start-up, so a new command is one new file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from mlhad import __version__
from mlhad.exceptions import MlhadError

__all__ = ["main", "build_parser"]


def _command_modules() -> list:
    import mlhad.cli as package

    names = sorted(
        info.name for info in pkgutil.iter_modules(package.__path__) if info.name.startswith("cmd_")
    )
    return [importlib.import_module(f"mlhad.cli.{name}") for name in names]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlhad",
        description="Tune, reweight and validate string hadronization (Pythia 8) with machine learning.",
    )
    parser.add_argument("--version", action="version", version=f"mlhad {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in _command_modules():
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        command.set_defaults(command_name=module.NAME)
        module.register(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MlhadError as err:
        print(f"mlhad {args.command_name}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mlhad: interrupted; finished chunks are kept (use --resume to continue)", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
