"""The temporary Prefect server of a command-line run: started with a timeout that fits, retried once,
reported in one line when it cannot start, and stopped on SIGINT / SIGTERM.

Without a `PREFECT_API_URL`, a flow needs a local API server. Prefect's ephemeral mode starts one
(its app under uvicorn, a child process) when the first flow runs, but only after the command has
imported everything, and it imports Prefect's whole server application (FastAPI routes, ORM models:
about 10 % of a 10-row release's CPU) into the command's process just to launch that child. On a
fresh `PREFECT_HOME` the server first creates and migrates its database; on a small loaded machine
that takes longer than Prefect's default of 20 s, and its timeout surfaced as a long traceback naming
no dataset. Prefect stops its server from an `atexit` hook, which a SIGTERM skips: the server was
left running, orphaned.

Here the command launches the same uvicorn command itself, before importing the flows (the boot
overlaps the imports), points this process's Prefect settings at it, switches off what a
short-lived server never uses (block registration, automations), turns SIGTERM into a normal exit,
and stops the server whatever the end. A server given by `PREFECT_API_URL` is used as it is.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

STARTUP_TIMEOUT_ENV = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
# Measured: a first start on a fresh home took 27 s at load average 7 on a 2-core machine (default 20 s).
DEFAULT_STARTUP_TIMEOUT_SECONDS = 180
_ATTEMPTS = 2
_PORT_IN_USE = 3  # uvicorn's exit code when it cannot bind (another process took the port meanwhile)

# Set for the temporary server only: what Prefect's ephemeral mode sets (no UI; ephemeral services only),
# plus what a server that lives for one command never needs. Block types are registered by a server
# that keeps running (`prefect server start`); no automation is defined, so neither triggers nor actions run.
# Memoizing block registration is off too: it is not skipped when registration is, and it imports every
# installed Prefect collection (prefect-dask with dask and distributed: 0.7-1 CPU-s) to hash their blocks.
SERVER_ENV = {
    "PREFECT_UI_ENABLED": "false",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
    "PREFECT_SERVER_REGISTER_BLOCKS_ON_START": "false",
    "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_EVENT_LOGGER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "false",
}


class PrefectStartupError(RuntimeError):
    """The temporary Prefect server did not start; the message is one line naming the cause."""


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _uses_temporary_server() -> bool:
    """No API configured (environment or Prefect profile) and Prefect may run a local one."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_ALLOW_EPHEMERAL_MODE

    return not PREFECT_API_URL.value() and bool(PREFECT_SERVER_ALLOW_EPHEMERAL_MODE.value())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _startup_timeout() -> float:
    try:
        return float(os.environ.get(STARTUP_TIMEOUT_ENV, DEFAULT_STARTUP_TIMEOUT_SECONDS))
    except ValueError:
        return float(DEFAULT_STARTUP_TIMEOUT_SECONDS)


class TemporaryServer:
    """Prefect's API app under uvicorn in a child process, as Prefect's ephemeral mode runs it."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def launch(self) -> None:
        """Start the child and return at once; `wait_ready` waits for its API."""
        self.port = _free_port()
        spec = importlib.util.find_spec("prefect")
        app_dir = Path(next(iter(spec.submodule_search_locations))).parent if spec and spec.submodule_search_locations \
            else Path(sys.prefix)
        command = [sys.executable, "-m", "uvicorn", "--app-dir", str(app_dir), "--factory",
                   "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
                   "--log-level", "error", "--lifespan", "on"]
        env = {**os.environ, **SERVER_ENV}
        env.pop("PREFECT_API_URL", None)
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout: float) -> None:
        """Until its health endpoint answers; RuntimeError naming the cause when it does not in time."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            code = self.process.poll()
            if code == _PORT_IN_USE:
                self.launch()
                continue
            if code is not None:
                raise RuntimeError(f"it exited with code {code}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() >= deadline:
                raise RuntimeError("it did not answer in time")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _start(preload: list[str], attempts: int) -> TemporaryServer | None:
    """Launch, import `preload` while the server boots, wait for it; retry once; PrefectStartupError.

    None when Prefect's settings (a profile) name an API after all: the launched server is stopped."""
    cause = "no cause reported"
    for _ in range(attempts):
        server = TemporaryServer()
        server.launch()
        try:
            if not _uses_temporary_server():  # imports Prefect's settings while the server boots
                server.stop()
                return None
            for name in preload:
                importlib.import_module(name)
            preload = []
            server.wait_ready(_startup_timeout())
            return server
        except RuntimeError as exc:
            cause = str(exc)
            server.stop()  # a half-started uvicorn must not linger
        except BaseException:
            server.stop()
            raise
    raise PrefectStartupError(
        f"the temporary Prefect server did not start ({cause}, {attempts} attempts of "
        f"{os.environ.get(STARTUP_TIMEOUT_ENV, DEFAULT_STARTUP_TIMEOUT_SECONDS)} s): raise {STARTUP_TIMEOUT_ENV} "
        f"on a slow machine, or set PREFECT_API_URL to a running server")


def _api_in_environment() -> bool:
    """An API named in the environment, or ephemeral mode forbidden there: decided without importing Prefect."""
    forbidden = os.environ.get("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "").strip().lower() in {"0", "false", "no"}
    return bool(os.environ.get("PREFECT_API_URL")) or forbidden


@contextmanager
def prefect_session(preload: Iterable[str] = (), attempts: int = _ATTEMPTS) -> Iterator[None]:
    """For a command that runs flows: the API is up before the first flow, SIGTERM exits cleanly, and
    a temporary server is stopped at the end, whatever the end (SIGINT, SIGTERM, an error).

    `preload`: modules the command is about to import (its flows); imported while the server boots."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_signal) if in_main_thread else None
    server: TemporaryServer | None = None
    try:
        with ExitStack() as stack:
            # Prefect imported already (an embedding process, a test): ask its settings before launching.
            if not _api_in_environment() and ("prefect" not in sys.modules or _uses_temporary_server()):
                server = _start(list(preload), attempts)
            if server is not None:
                from prefect.settings import PREFECT_API_URL, temporary_settings

                stack.enter_context(temporary_settings(updates={PREFECT_API_URL: server.api_url}))
            else:
                for name in preload:
                    importlib.import_module(name)
            yield
    finally:
        if server is not None:
            server.stop()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
