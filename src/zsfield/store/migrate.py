"""Alembic, driven from code: the laptop's schema is brought to head whenever a database is opened."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_revision(engine: Engine) -> Literal["empty", "behind", "current", "newer"]:
    """Where the database stands against this version's migrations."""
    rev = current_revision(engine)
    if rev is None:
        return "empty"
    script = ScriptDirectory.from_config(alembic_config())
    if rev == script.get_current_head():
        return "current"
    try:
        script.get_revision(rev)
    except Exception:
        return "newer"  # a revision this version does not know: written by a newer zsfield
    return "behind"


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)
