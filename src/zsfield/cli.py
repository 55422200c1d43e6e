"""The ``zsfield`` command: opens the app, plus seed, status, match-company, sync, reports, import, backup.

Sub-commands live in :mod:`zsfield.commands` (one module per area, each with ``register(subparsers)``);
heavy imports (Textual, httpx, openpyxl) stay inside the command that needs them, so ``zsfield status`` starts
fast and never loads the TUI.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from zsfield import __version__

COMMAND_MODULES = (
    "zsfield.commands.core",
    "zsfield.commands.sync",
    "zsfield.commands.reports",
)


class CliError(Exception):
    """A failure the user can act on: printed as it is, with its exit code."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zsfield",
        description="zsfield — 招商引资 field app. Without a command it opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"zsfield {__version__}")
    parser.add_argument("--db", help="database file (default: ZSFIELD_DB, else the user data dir)")
    parser.add_argument(
        "--lang", choices=["zh", "en"], help="language of the interface (default: config, else LANG)"
    )
    parser.add_argument(
        "--demo", action="store_true", help="open the embedded demo database (created on first use)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # an area not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from zsfield.config import ConfigError
    from zsfield.store.errors import StoreError

    try:
        if args.command is None:
            from zsfield.commands.core import run_app

            return run_app(args)
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"zsfield: {exc}", file=sys.stderr)
        return exc.exit_code
    except StoreError as exc:
        print(f"zsfield: {exc}", file=sys.stderr)
        return exc.exit_code
    except ConfigError as exc:
        print(f"zsfield: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("zsfield: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    # `python -m zsfield.cli`: run the imported module's main, so that the errors the commands raise
    # (`from zsfield.cli import CliError`) are the very classes caught there, as with the `zsfield` script
    from zsfield.cli import main as _main

    sys.exit(_main())
