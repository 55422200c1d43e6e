"""Sub-commands of ``zsfield``: one module per area, each exposing ``register(subparsers)``."""

from __future__ import annotations

import argparse
from pathlib import Path

from zsfield.config import Settings, load_settings


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", dest="sub_db", metavar="PATH", help="database file (default: ZSFIELD_DB, else the data dir)"
    )


def settings_for(args: argparse.Namespace) -> Settings:
    """Settings with the database chosen by ``--db`` (before or after the command), else env / default."""
    db = getattr(args, "sub_db", None) or getattr(args, "db", None)
    if getattr(args, "demo", False) and not db:
        db = str(demo_db_path())
    settings = load_settings(db=db)
    from zsfield.i18n import set_language

    set_language(getattr(args, "lang", None) or settings.language)
    return settings


def demo_db_path() -> Path:
    """The embedded demo database: ``demo/zsfield-demo.db`` beside the checkout, else in the data dir."""
    from zsfield.config import home_dirs

    return home_dirs()[1] / "zsfield-demo.db"
