"""Fixtures of the operations tests: a real Prefect server (for schedules), projects and processes.

The server is `prefect server start` on a free loopback port with its home in a temporary folder, as a
data engineer would run it (docs/operations.md); it is started once per test session, on first use.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import ROOT

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(home: Path) -> dict[str, str]:
    """The environment of a process that talks to the test server: no Prefect or Kaifang leftovers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KAIFANG_"))}
    env |= {"PREFECT_HOME": str(home / "prefect"), "KAIFANG_STATE": str(home / "state"),
            "KAIFANG_PSEUDONYM_KEY": os.environ["KAIFANG_PSEUDONYM_KEY"],
            # The test session's audit key, so that this process's entries verify in the test itself.
            "KAIFANG_AUDIT_KEY_FILE": str(Path(os.environ["KAIFANG_STATE"]) / "audit.key"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false"}
    return env


@contextmanager
def background(command: list[str], env: dict[str, str], log: Path,
               cwd: Path | None = None) -> Iterator[subprocess.Popen]:
    """A process of our own, in its own process group, stopped (the group, by its id) on the way out."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory) -> Iterator[str]:
    """`prefect server start` on a free port (SQLite in a temporary PREFECT_HOME); yields its API URL."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    env = base_env(home) | {
        "PREFECT_UI_ENABLED": "false",  # no browser here; the docs turn it on
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # Pick new deployments up quickly (defaults: 5 s and 60 s).
        "PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "1",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
    }
    url = f"http://127.0.0.1:{port}/api"
    command = [str(VENV_BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with background(command, env, home / "server.log") as process:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail("prefect server exited: " + (home / "server.log").read_text(errors="replace")[-2000:])
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("prefect server did not answer within 120 s")
            time.sleep(0.5)
        yield url


def server_client(url: str):
    from prefect.client.orchestration import SyncPrefectClient

    return SyncPrefectClient(url)


def edit_yaml(path: Path, **changes) -> Path:
    """Set dotted keys (`open_class.target="not_open"`) in a YAML file; None removes a key."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def only_specs(project: Path, *names: str) -> Path:
    """A folder beside the project's specs holding only the named ones (relative paths keep working)."""
    folder = project / "configs" / "only"
    folder.mkdir()
    for name in names:
        shutil.copy(project / "configs" / "datasets" / name, folder / name)
    return folder


def copy_project(target: Path) -> Path:
    shutil.copytree(ROOT / "configs", target / "configs")
    (target / "catalog").mkdir()
    return target
