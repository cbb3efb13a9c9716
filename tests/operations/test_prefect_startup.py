"""`kaifang release` and its temporary Prefect server: a start-up failure is one line, a signal stops it.

Real processes: the CLI in a subprocess with a fresh PREFECT_HOME, Prefect's own uvicorn child.
(The first run on a fresh home succeeding is shown by tests/test_canary.py, which runs that way.)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.operations.conftest import base_env

ROOT = Path(__file__).resolve().parents[2]
KAIFANG = shutil.which("kaifang", path=str(Path(sys.executable).parent)) or "kaifang"


def children(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def release_command(tmp_path: Path) -> list[str]:
    return [KAIFANG, "release", str(ROOT / "configs" / "datasets" / "cultural-venues.yaml"),
            "--catalog", str(tmp_path / "catalog"), "--policy", str(ROOT / "configs" / "policy.yaml")]


def test_a_server_that_will_not_start_is_one_line_without_traceback(tmp_path):
    env = base_env(tmp_path) | {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "0"}
    run = subprocess.run(release_command(tmp_path), capture_output=True, env=env, cwd=tmp_path, timeout=300)
    err = run.stderr.decode()
    assert run.returncode == 1, err
    assert "Traceback" not in err and "Traceback" not in run.stdout.decode()
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "the temporary Prefect server did not start" in lines[0]
    assert "2 attempts" in lines[0] and "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in lines[0]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_temporary_server(tmp_path, signum):
    env = base_env(tmp_path)
    process = subprocess.Popen(release_command(tmp_path), env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        servers: list[int] = []
        while time.monotonic() < deadline and not servers and process.poll() is None:
            servers = [c for c in children(process.pid)
                       if b"uvicorn" in Path(f"/proc/{c}/cmdline").read_bytes()] if alive(process.pid) else []
            time.sleep(0.5)
        assert servers, "the temporary server never started"
        time.sleep(3)
        os.kill(process.pid, signum)  # the CLI alone, as a service manager or Ctrl-C would
        process.wait(timeout=60)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(alive(s) for s in servers):
            time.sleep(0.2)
        assert not any(alive(s) for s in servers), "the temporary Prefect server was left running"
        assert b"Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_the_temporary_server_registers_no_blocks_and_loads_no_collections_to_memoize_them(tmp_path, monkeypatch):
    """Prefect memoizes block registration even when registration is off: it imports every installed
    collection (prefect-dask, dask, distributed) to hash their blocks and writes the hash to its memo
    store. The temporary server does neither, so a fresh home holds only its database once it answers."""
    from pipelines.prefect_server import TemporaryServer

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home"))
    server = TemporaryServer()
    server.launch()
    try:
        server.wait_ready(240)
        written = sorted(p.name for p in (tmp_path / "home").iterdir())
    finally:
        server.stop()
    assert "memo_store.toml" not in written and "prefect.db" in written
