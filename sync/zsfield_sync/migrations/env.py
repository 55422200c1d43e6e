"""Alembic environment of the sync server (batch mode for SQLite; the connection comes from the caller)."""

from __future__ import annotations

from alembic import context

from zsfield_sync.storage import metadata

target_metadata = metadata
config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # pragma: no cover - only for `alembic revision --autogenerate` by hand
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
        connection = engine.connect()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover - not used
    raise SystemExit("offline migrations are not supported")
run_migrations_online()
