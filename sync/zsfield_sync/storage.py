"""The server's database: tables, engines (SQLite by default, PostgreSQL in production), migrations, and the
write transaction that hands out ``server_seq`` numbers.

Ordering rule (DESIGN: server sequence): every write transaction first locks the single counter row
(``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and holds it until it commits. So
writers are serialised, each takes its numbers after the previous writer committed, and commit order equals
``server_seq`` order: a pull that has seen ``server_seq = N`` has seen every change below N.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.engine import make_url

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

counter = Table(
    "counter",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

records = Table(
    "records",
    metadata,
    Column("entity", String(32), primary_key=True),
    Column("id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("scope", String(36), nullable=False, comment="'*' shared, a team id, or '' (supervisors only)"),
    Column("parent_id", String(36), nullable=True, comment="project or lead the scope follows"),
    Column("deleted", Boolean, nullable=False),
    Column("data", Text, nullable=False, comment="JSON: wire fields except id"),
    Column(
        "field_versions",
        Text,
        nullable=False,
        comment="JSON: field -> [version, client_id]; '*': the creation",
    ),
    Column("server_seq", BigInteger, nullable=False),
    Column("created_by", String(36), nullable=True),
    Column("updated_at", String(32), nullable=False),
    Index("ix_records_server_seq", "server_seq", unique=True),
    Index("ix_records_scope_seq", "scope", "server_seq"),
    Index("ix_records_parent", "parent_id"),
)

offices = Table(
    "offices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("office_id", String(36), nullable=True),
    Column("created_at", String(32), nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(36), primary_key=True, comment="the officer record's id"),
    Column("name", String(80), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("team_id", String(36), nullable=True),
    Column("office_id", String(36), nullable=True),
    Column("token_hash", String(64), nullable=False, unique=True, comment="sha256 hex of the token"),
    Column("created_at", String(32), nullable=False),
    Column("revoked_at", String(32), nullable=True),
)

clients = Table(
    "clients",
    metadata,
    Column("client_id", String(36), primary_key=True),
    Column("officer_id", String(36), nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("last_seen_at", String(32), nullable=False),
)

op_log = Table(
    "op_log",
    metadata,
    Column("client_id", String(36), primary_key=True),
    Column("client_seq", BigInteger, primary_key=True),
    Column("op_id", String(36), nullable=False),
    Column("result", Text, nullable=False, comment="JSON OpResult without the record"),
    Column("created_at", String(32), nullable=False),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(36), nullable=False),
    Column("field", String(60), nullable=False),
    Column("mine", Text, nullable=True),
    Column("theirs", Text, nullable=True),
    Column("base_version", Integer, nullable=False),
    Column("server_version", Integer, nullable=False),
    Column("officer_id", String(36), nullable=False),
    Column("client_id", String(36), nullable=False),
    Column("client_seq", BigInteger, nullable=False),
    Column("scope", String(36), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("resolved", Boolean, nullable=False),
    Column("resolution", String(16), nullable=True),
    Column("resolved_by", String(36), nullable=True),
    Column("resolved_at", String(32), nullable=True),
    Index("ix_conflicts_scope_resolved", "scope", "resolved"),
    Index("ix_conflicts_entity_id", "entity_id"),
)

exits = Table(
    "exits",
    metadata,
    Column("scope", String(36), primary_key=True, comment="the scope the record left ('*' or a team id)"),
    Column("entity", String(32), primary_key=True),
    Column("id", String(36), primary_key=True),
    Column("server_seq", BigInteger, nullable=False, comment="when it left: below the record's new number"),
    Column("created_at", String(32), nullable=False),
    Index("ix_exits_scope_seq", "scope", "server_seq"),
    Index("ix_exits_server_seq", "server_seq", unique=True),
)
"""Records that left a scope (a project moved to another team, and its children): the pull of that scope's
readers names them, in ``server_seq`` order with the records. One row per record and scope left (the latest)."""

SEQ_COUNTER = "server_seq"
DATA_TABLES = (meta, counter, records, offices, teams, accounts, clients, op_log, conflicts, exits)
"""Every table of the server (for backup and restore), parents first."""


def now_text() -> str:
    """Server time as the UTC text the tables store (same format as the client's columns)."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


# --- where the database is --------------------------------------------------------------------------------


def server_home(env: dict[str, str] | None = None) -> Path:
    """The server's data folder: ``ZSFIELD_SERVER_HOME``, else the platform's user data dir."""
    env = dict(os.environ) if env is None else env
    home = env.get("ZSFIELD_SERVER_HOME")
    if home:
        return Path(home).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("zsfield-server"))


def resolve_db_url(db: str | None = None, env: dict[str, str] | None = None) -> str:
    """A SQLAlchemy URL from ``--db`` (a URL or a file path), else ``ZSFIELD_SERVER_DB``, else the default
    SQLite file ``zsfield-server.db`` in :func:`server_home`."""
    env = dict(os.environ) if env is None else env
    value = db or env.get("ZSFIELD_SERVER_DB")
    if not value:
        return f"sqlite:///{server_home(env) / 'zsfield-server.db'}"
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    if value.startswith(("postgresql://", "postgres://")):
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


# --- engines --------------------------------------------------------------------------------------------------


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy's begin event issues BEGIN itself
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    # a push of thousands of records walks indexes keyed by random UUIDs: keep more of them in memory
    cur.execute("PRAGMA cache_size=-32768")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


PG_POOL_SIZE = 10
"""PostgreSQL connections per server process (``ZSFIELD_SERVER_DB_POOL`` overrides): workers × this must
stay below the database's ``max_connections``."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, ``synchronous=FULL`` and immediate write transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=24,
            pool_timeout=60,
        )
        event.listen(engine, "connect", _sqlite_on_connect)

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("zs_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    if parsed.get_backend_name() == "postgresql":
        # Each worker process has its own pool: keep it small, or `serve --workers 4` under load opens more
        # connections than PostgreSQL allows (max_connections, 100 by default) and pushes fail with 503.
        # Writers queue on the counter lock anyway; a request waits for a free connection (pool_timeout).
        size = max(1, int(os.environ.get("ZSFIELD_SERVER_DB_POOL", PG_POOL_SIZE)))
        return create_engine(url, pool_pre_ping=True, pool_size=size, max_overflow=0, pool_timeout=120)
    raise ValueError(
        f"unsupported database URL {describe_url(url)}: use a SQLite path or postgresql+psycopg://…"
    )


def is_storage_full(exc: BaseException) -> bool:
    """Whether a database (or file) error means the disk is full: SQLite's ``SQLITE_FULL`` ("database or disk
    is full"), PostgreSQL's ``disk_full`` (SQLSTATE 53100), an ``OSError`` with ``ENOSPC``. Not a retry-soon
    condition: the app answers 507 ``storage_full``."""
    import errno
    import sqlite3

    for err in (exc, getattr(exc, "orig", None), exc.__cause__):
        if err is None:
            continue
        if isinstance(err, sqlite3.Error) and getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        if getattr(err, "sqlstate", None) == "53100":
            return True
        if isinstance(err, OSError) and err.errno == errno.ENOSPC:
            return True
    return False


def backend_name(engine: Engine) -> str:
    return engine.dialect.name


# --- migrations --------------------------------------------------------------------------------------------

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the server schema to head (Alembic), then make sure the counter row and the epoch exist."""
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # several server processes may start at once: one migrates, the others wait
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(727274)")
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        conn.execution_options(zs_write=True)
        with conn.begin():
            if conn.execute(select(counter.c.value).where(counter.c.name == SEQ_COUNTER)).first() is None:
                conn.execute(counter.insert().values(name=SEQ_COUNTER, value=0))
            if conn.execute(select(meta.c.value).where(meta.c.key == "epoch")).first() is None:
                conn.execute(meta.insert().values(key="epoch", value=uuid.uuid4().hex))
                conn.execute(meta.insert().values(key="created_at", value=now_text()))


def open_storage(url: str, *, run_migrations: bool = True) -> Engine:
    engine = make_engine(url)
    if run_migrations:
        migrate(engine)
    return engine


# --- transactions ----------------------------------------------------------------------------------------


class WriteTx:
    """One write transaction holding the counter lock; :meth:`next_seq` hands out ``server_seq`` numbers."""

    def __init__(self, conn: Connection, start: int) -> None:
        self.conn = conn
        self._seq = start
        self._start = start

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    @property
    def head(self) -> int:
        return self._seq

    def _flush(self) -> None:
        if self._seq != self._start:
            self.conn.execute(update(counter).where(counter.c.name == SEQ_COUNTER).values(value=self._seq))


@contextmanager
def write_tx(engine: Engine) -> Iterator[WriteTx]:
    """A write transaction serialised on the counter row; commits on success, rolls back on any error."""
    with engine.connect() as conn:
        conn.execution_options(zs_write=True)
        with conn.begin():
            row = conn.execute(
                select(counter.c.value).where(counter.c.name == SEQ_COUNTER).with_for_update()
            ).first()
            if row is None:
                raise RuntimeError("the server database is not initialised (run migrations)")
            tx = WriteTx(conn, int(row[0]))
            yield tx
            tx._flush()


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


@cache
def _driver_sql(paramstyle: str, sql: str) -> str:
    return sql if paramstyle == "qmark" else sql.replace("?", "%s")


def driver_sql(conn: Connection, sql: str) -> str:
    """``sql`` written with ``?`` placeholders (and no ``?`` in literals), for ``conn``'s driver."""
    return sql if conn.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def execute_many(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Run ``sql`` (``?`` placeholders, no ``?`` in literals) once per row of positional values, straight to the
    driver (sqlite3 / psycopg ``executemany``, in the connection's transaction): a batch of thousands of rows
    without SQLAlchemy's per-row parameter processing. Values must be plain (str, int, bool, None)."""
    if rows:
        conn.exec_driver_sql(_driver_sql(conn.dialect.paramstyle, sql), rows)


def get_meta(conn: Connection, key: str) -> str | None:
    row = conn.execute(select(meta.c.value).where(meta.c.key == key)).first()
    return None if row is None else row[0]


def set_meta(conn: Connection, key: str, value: str) -> None:
    if conn.execute(update(meta).where(meta.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(meta.insert().values(key=key, value=value))


def get_epoch(conn: Connection) -> str:
    return get_meta(conn, "epoch") or ""


def get_head(conn: Connection) -> int:
    row = conn.execute(select(counter.c.value).where(counter.c.name == SEQ_COUNTER)).first()
    return 0 if row is None else int(row[0])


# --- epochs and restores -------------------------------------------------------------------------------------
#
# meta "epoch":    the current epoch (a new one at every restore or `epoch --renew`)
# meta "restore":  the last restore, the JSON of protocol.RestoreInfo (epoch = the one the restore began,
#                  previous_epoch = the epoch of the restored contents when they were backed up, head = their
#                  last server_seq, restored_at)
# meta "epochs":   the server's earlier epochs, oldest first, as a JSON list (never the current one)


def get_restore(conn: Connection) -> dict[str, Any] | None:
    """The last restore of this database (the dict of :class:`zsfield.protocol.RestoreInfo`), or None if it
    never had one. The one reader of meta ``restore``: ``whoami`` returns it, the push's base rules use it."""
    raw = get_meta(conn, "restore")
    if not raw:
        return None
    info = json.loads(raw)
    return info if isinstance(info, dict) else None


def known_epochs(conn: Connection) -> list[str]:
    """The epochs this server had before its current one (:func:`get_epoch`), oldest first: an epoch in this
    list is "an earlier epoch of this server", any other epoch but the current one is one it never had."""
    raw = get_meta(conn, "epochs")
    found = json.loads(raw) if raw else []
    return [e for e in found if isinstance(e, str) and e] if isinstance(found, list) else []


def _mark_restored(
    conn: Connection, *, previous_epoch: str | None, head: int, earlier: list[str]
) -> dict[str, Any]:
    """Give the database a new epoch after its contents were restored: meta ``epoch``, ``restore`` (the
    RestoreInfo) and ``epochs`` (``earlier`` and ``previous_epoch``, once each, oldest first)."""
    epoch = uuid.uuid4().hex
    when = now_text()
    chain = list(dict.fromkeys(e for e in [*earlier, previous_epoch or ""] if e))
    info = {"epoch": epoch, "previous_epoch": previous_epoch or None, "head": int(head), "restored_at": when}
    set_meta(conn, "epoch", epoch)
    set_meta(conn, "restored_at", when)
    set_meta(conn, "restore", json.dumps(info))
    set_meta(conn, "epochs", json.dumps(chain))
    return info


def renew_epoch(
    engine: Engine, *, also_earlier: Sequence[str] = (), accounts: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Give the database a new epoch after its contents were restored by other means (``pg_restore``, a copied
    SQLite file): the contents as they are now count as the backup, so ``previous_epoch`` is the epoch they
    carry and ``head`` their last ``server_seq``. ``also_earlier``: epochs the server had that these contents
    do not know (the live database's, when the restore is a copy). ``accounts``: the account data to keep over
    the restored one (:func:`zsfield_sync.accounts.merge_accounts`; its epochs are kept too). Returns the
    RestoreInfo dict, with ``"accounts"``: what was kept (None when no account data was given)."""
    from zsfield_sync.accounts import merge_accounts

    with write_tx(engine) as tx:
        earlier = [*known_epochs(tx.conn), *also_earlier, *((accounts or {}).get("epochs") or [])]
        head = tx.head
        kept = merge_accounts(tx, accounts) if accounts is not None else None
        info = _mark_restored(tx.conn, previous_epoch=get_epoch(tx.conn), head=head, earlier=earlier)
    return {**info, "accounts": kept}


# --- logical backup and restore (portable between SQLite and PostgreSQL) -----------------------------------


def dump_tables(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every server table, read in one transaction (a consistent snapshot under the lock)."""
    out: dict[str, list[dict[str, Any]]] = {}
    with write_tx(engine) as tx:
        for table in DATA_TABLES:
            out[table.name] = [dict(r._mapping) for r in tx.conn.execute(select(table))]
    return out


def _dump_meta(dump: dict[str, list[dict[str, Any]]], key: str) -> str | None:
    for row in dump.get("meta") or []:
        if row.get("key") == key:
            return str(row.get("value"))
    return None


def _dump_head(dump: dict[str, list[dict[str, Any]]]) -> int:
    for row in dump.get("counter") or []:
        if row.get("name") == SEQ_COUNTER:
            return int(row.get("value") or 0)
    return 0


def restore_tables(engine: Engine, dump: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Replace every table with ``dump`` in one transaction and give the database a new epoch; the live
    database's account data is kept over the dump's (:mod:`zsfield_sync.accounts`). Returns the RestoreInfo
    dict (previous_epoch: the dump's epoch; head: its last server_seq), with ``"accounts"``: what was kept."""
    from zsfield_sync.accounts import export_accounts, merge_accounts

    with engine.connect() as conn:
        conn.execution_options(zs_write=True)
        with conn.begin():
            conn.execute(select(counter.c.value).where(counter.c.name == SEQ_COUNTER).with_for_update())
            live = [*known_epochs(conn), get_epoch(conn)]
            kept = export_accounts(conn)
            for table in reversed(DATA_TABLES):
                conn.execute(table.delete())
            for table in DATA_TABLES:
                rows = dump.get(table.name) or []
                if rows:
                    conn.execute(table.insert(), rows)
            head = _dump_head(dump)
            if conn.execute(select(counter.c.value).where(counter.c.name == SEQ_COUNTER)).first() is None:
                conn.execute(counter.insert().values(name=SEQ_COUNTER, value=head))
            tx = WriteTx(conn, head)
            counts = merge_accounts(tx, kept)
            tx._flush()
            info = _mark_restored(
                conn,
                previous_epoch=_dump_meta(dump, "epoch"),
                head=head,
                earlier=[*known_epochs(conn), _dump_meta(dump, "epoch") or "", *live],
            )
    return {**info, "accounts": counts}


__all__ = [
    "DATA_TABLES",
    "WriteTx",
    "accounts",
    "clients",
    "conflicts",
    "counter",
    "dump_tables",
    "driver_sql",
    "execute_many",
    "exits",
    "get_epoch",
    "get_head",
    "get_restore",
    "known_epochs",
    "make_engine",
    "meta",
    "migrate",
    "now_text",
    "offices",
    "op_log",
    "open_storage",
    "read_tx",
    "records",
    "renew_epoch",
    "resolve_db_url",
    "restore_tables",
    "teams",
    "write_tx",
]
