"""Database engine and the per-request session.

SQLite runs in WAL mode with foreign keys and a busy timeout. Requests that change state open
their transactions with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes
fails at once with "database is locked" when another writer committed in between, which is
exactly what a room full of phones voting at once would cause.

Commits are ``synchronous=FULL`` unless ``OPENSPACE_SQLITE_SYNCHRONOUS=normal``. In WAL mode,
NORMAL survives a crash of the process but not a power cut, which may undo the last commits
after the phones were told their votes counted; FULL syncs the log before each commit returns.

Within one process, writers queue on a Python lock (the *write gate*) before SQLite sees them.
SQLite's own busy handler polls with sleeps of up to 100 ms, so fifty phones waiting on it
would see latencies of seconds; the gate hands the lock over the moment it is free. The busy
timeout still guards against other processes (a backup, a second worker).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from app.config import Settings, SqliteSynchronous

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Sync routes and dependencies run in a pool of THREADS threads. The connection pool must be
# larger: when every thread waits for a connection, the session teardowns that would return
# connections also need a thread, and the process stalls until the pool timeout (a 500 for
# every phone in the room). One connection per thread at most, plus headroom, avoids that.
THREADS = 32
POOL_LIMIT = THREADS + 8
WRITE_WAIT = 30.0  # seconds a writer waits for the SQLite write gate
_HOLDS_GATE = "openspace_holds_write_gate"


def make_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=POOL_LIMIT,
            max_overflow=0,
        )
        _configure_sqlite(engine, synchronous=settings.sqlite_synchronous)
        return engine
    # PostgreSQL: few idle connections, room to grow to the limit (workers × POOL_LIMIT must
    # stay below the server's max_connections).
    return create_engine(url, pool_size=8, max_overflow=POOL_LIMIT - 8, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, *, synchronous: SqliteSynchronous) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")  # one of SqliteSynchronous
        cursor.close()

    gate = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE":
            if not gate.acquire(timeout=WRITE_WAIT):
                raise OperationalError("BEGIN IMMEDIATE", {}, TimeoutError("write gate busy"))
            connection.info[_HOLDS_GATE] = True
        try:
            connection.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            _release(connection.info)
            raise

    def _release(info: dict[Any, Any]) -> None:
        if info.pop(_HOLDS_GATE, False):
            gate.release()

    def _finish(connection: Any, statement: str) -> None:
        # End the transaction ourselves, then open the gate: SQLAlchemy's own commit/rollback
        # events fire *before* the driver acts, which would let the next writer in too early.
        # (The driver's commit afterwards finds no open transaction and does nothing.)
        driver = connection.connection.driver_connection
        try:
            if driver.in_transaction:
                driver.execute(statement)
        finally:
            _release(connection.info)

    event.listen(engine, "commit", lambda connection: _finish(connection, "COMMIT"))
    event.listen(engine, "rollback", lambda connection: _finish(connection, "ROLLBACK"))

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        _release(record.info)  # a connection that went back to the pool mid-transaction


def writer(engine: Engine) -> Engine:
    """The same engine (and pool), but transactions take the write lock up front on SQLite."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="IMMEDIATE")
    return engine


def open_session(engine: Engine, *, write: bool = False) -> Session:
    return Session(writer(engine) if write else engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session. Async on purpose: it is opened and closed in the event loop.

    Sync code using it runs in worker threads. If closing it (which ends a transaction that may
    hold SQLite's write lock) also needed a worker thread, a burst of requests blocked on that
    lock could take every thread and wait for each other until the busy timeout.
    """
    engine: Engine = request.app.state.engine
    session = open_session(engine, write=request.method in UNSAFE_METHODS)
    try:
        yield session
    finally:
        session.close()


@contextmanager
def reading(session: Session) -> Iterator[None]:
    """A few reads without the write lock, ending the transaction afterwards.

    For the dependencies that find out who is asking: nothing may hold the write lock while a
    request waits for its next worker thread, or a burst of writers could wait on each other.
    """
    if not session.in_transaction():
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
    try:
        yield
    finally:
        session.commit()


SessionDep = Annotated[Session, Depends(get_session)]
