"""Schema changes go through Alembic from the first table: an empty file is migrated to head, the revisions
walk down to nothing and up again, the models and the migrations agree, and the store never calls
``create_all`` on an officer's file."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect
from sqlmodel import SQLModel

import zsfield.domain.models  # noqa: F401  (registers the tables)
from zsfield.store import Store, migrate
from zsfield.store.engine import make_engine

SRC = Path(__file__).resolve().parents[1] / "src" / "zsfield"


def tables(engine) -> set[str]:  # noqa: ANN001
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def model_tables() -> set[str]:
    return set(SQLModel.metadata.tables)


def revisions() -> list[str]:
    """Every revision from the first to head."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def test_opening_an_empty_file_migrates_it_to_head(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    path.touch()  # an empty file, as a failed copy would leave
    with Store.open(path) as store:
        assert migrate.current_revision(store.engine) == migrate.head_revision()
        assert migrate.check_revision(store.engine) == "current"
        assert tables(store.engine) == model_tables()


def test_from_the_first_revision_to_head_down_to_base_and_up_again(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "walk.db")
    try:
        assert migrate.check_revision(engine) == "empty"
        chain = revisions()
        assert chain[-1] == migrate.head_revision()
        migrate.upgrade(engine, chain[0])
        assert migrate.current_revision(engine) == chain[0]
        assert migrate.check_revision(engine) in ("behind", "current")
        for revision in chain[1:]:
            migrate.upgrade(engine, revision)
            assert migrate.current_revision(engine) == revision
        assert tables(engine) == model_tables()
        migrate.downgrade(engine, "base")
        assert migrate.current_revision(engine) is None
        assert tables(engine) == set()
        migrate.upgrade(engine, "head")
        assert migrate.check_revision(engine) == "current"
        assert tables(engine) == model_tables()
    finally:
        engine.dispose()


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "compare.db")
    try:
        migrate.upgrade(engine, "head")
        with engine.connect() as conn:
            # tables, columns, nullability, indexes and the storage type of every column
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(ctx, SQLModel.metadata)
        assert diff == [], diff
    finally:
        engine.dispose()


def test_the_store_never_calls_create_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("create_all on an officer's database")

    monkeypatch.setattr(MetaData, "create_all", refuse)
    path = tmp_path / "officer.db"
    with Store.open(path) as store:
        assert tables(store.engine) == model_tables()
    with Store.open(path) as store:  # and reopening finds it current
        assert migrate.check_revision(store.engine) == "current"
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "create_all(" in p.read_text(encoding="utf-8") and "migrations" not in p.parts
    ]
    assert offenders == []
