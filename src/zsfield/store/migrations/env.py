"""Alembic environment for the officer's local database (batch mode for SQLite)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import zsfield.domain.models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
config = context.config


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render the app's column types as plain SQL types: a migration must not depend on app code."""
    if type_ == "type":
        from sqlalchemy.types import TypeDecorator

        if isinstance(obj, TypeDecorator):
            length = getattr(obj, "length", None) or getattr(getattr(obj, "impl", None), "length", None)
            return f"sa.String(length={length})" if length else "sa.String()"
    return False


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():  # pragma: no cover - not used
    raise SystemExit("offline migrations are not supported")
run_migrations_online()
