"""One Prefect API for a command that runs flows: the configured one, or a temporary server started at once.

Without ``PREFECT_API_URL`` Prefect starts a temporary API server the first time a flow needs it, and
to do so imports its whole server application into the calling process too (about two CPU-seconds)
and then waits for the server to boot (several seconds of wall time) while nothing else happens.
:func:`prefect_api` starts the same server (Prefect's own ASGI app under uvicorn, UI and services
off, as Prefect's ephemeral mode does) *before* the command imports its heavy modules, so the boot
overlaps with that work, and the command's process never imports the server. The address is set as
``PREFECT_API_URL``, so every task runner and every Dask worker started from here talks to this one
API and none starts its own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

API_ENV = "PREFECT_API_URL"
STARTUP_SECONDS = 120.0
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


class PrefectApiError(RuntimeError):
    """The temporary Prefect API did not start; one line."""


def configured_api() -> str | None:
    """The API this process already talks to: the environment, or Prefect's settings once it is imported."""
    if os.environ.get(API_ENV):
        return os.environ[API_ENV]
    if "prefect.settings" in sys.modules:
        from prefect.settings import PREFECT_API_URL

        return PREFECT_API_URL.value() or None
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(port: int) -> subprocess.Popen:
    import importlib.util

    spec = importlib.util.find_spec("prefect")
    assert spec is not None and spec.origin is not None
    site = str(Path(spec.origin).parent.parent)
    command = [sys.executable, "-m", "uvicorn", "--app-dir", site, "--factory",
               "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "error", "--lifespan", "on"]
    return subprocess.Popen(command, env={**os.environ, **SERVER_ENV}, stdin=subprocess.DEVNULL)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310 - loopback only
            return response.status == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class TemporaryApi:
    """A Prefect API server process on a free loopback port; :meth:`wait` blocks until it answers."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.process = _start(self.port)

    def wait(self, timeout: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PrefectApiError(f"the temporary Prefect API exited with code {self.process.returncode}")
            if _healthy(self.url):
                return
            time.sleep(0.1)
        raise PrefectApiError("the temporary Prefect API did not answer in time")

    def stop(self) -> None:
        _stop(self.process)


@contextmanager
def prefect_api() -> Iterator[TemporaryApi | None]:
    """Within this block, ``PREFECT_API_URL`` names one running API (None yielded when one was configured).

    The caller may do other work before the first flow and call ``wait()`` only then.
    """
    if configured_api() is not None or os.environ.get("PREFECT_SERVER_EPHEMERAL_ENABLED", "").lower() in {
            "0", "false"}:
        yield None
        return
    api = TemporaryApi()
    os.environ[API_ENV] = api.url
    try:
        with _settings_of_imported_prefect(api.url):
            yield api
    finally:
        os.environ.pop(API_ENV, None)
        api.stop()


@contextmanager
def _settings_of_imported_prefect(url: str) -> Iterator[None]:
    """Prefect reads the environment once, at import: when it is already imported, tell its settings too."""
    if "prefect.settings" not in sys.modules:
        yield
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield
