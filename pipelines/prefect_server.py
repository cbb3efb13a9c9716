"""The temporary Prefect server of a command-line run: started with a timeout that fits, retried once,
reported in one line when it cannot start, and stopped on SIGINT / SIGTERM.

Without a `PREFECT_API_URL`, Prefect starts a local API server (uvicorn, a child process) when the
first flow runs. On a fresh `PREFECT_HOME` it first creates and migrates its database; on a small
loaded machine that takes longer than Prefect's default of 20 s, and its timeout surfaced as a long
traceback naming no dataset. Prefect stops the server from an `atexit` hook, which a SIGTERM skips:
the server was left running, orphaned. Here the command starts it up front (so every flow reuses the
same instance), and turns SIGTERM into a normal exit so the hook runs.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STARTUP_TIMEOUT_ENV = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
# Measured: a first start on a fresh home took 27 s at load average 7 on a 2-core machine (default 20 s).
DEFAULT_STARTUP_TIMEOUT_SECONDS = 180
_ATTEMPTS = 2


class PrefectStartupError(RuntimeError):
    """The temporary Prefect server did not start; the message is one line naming the cause."""


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _uses_temporary_server() -> bool:
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_ALLOW_EPHEMERAL_MODE

    return not PREFECT_API_URL.value() and bool(PREFECT_SERVER_ALLOW_EPHEMERAL_MODE.value())


def start_temporary_server(attempts: int = _ATTEMPTS) -> bool:
    """Start Prefect's temporary API server now, retrying once; PrefectStartupError when it will not.

    Returns whether this call started it (False: a server is configured, or one runs already)."""
    if not _uses_temporary_server():
        return False
    from prefect.server.api.server import SubprocessASGIServer

    cause = "no cause reported"
    for _ in range(attempts):
        server = SubprocessASGIServer()
        if server.running:
            return False
        try:
            server.start()
            return True
        except Exception as exc:  # Prefect raises RuntimeError with the server's whole output
            cause = "it did not answer in time" if "Timed out" in str(exc) else f"{type(exc).__name__}"
            server.stop()  # a half-started uvicorn must not linger
    timeout = os.environ.get(STARTUP_TIMEOUT_ENV, str(DEFAULT_STARTUP_TIMEOUT_SECONDS))
    raise PrefectStartupError(
        f"the temporary Prefect server did not start ({cause}, {attempts} attempts of {timeout} s): "
        f"raise {STARTUP_TIMEOUT_ENV} on a slow machine, or set PREFECT_API_URL to a running server")


def stop_temporary_server() -> None:
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer._instances.get(None)
    if server is not None and server.server_process is not None:
        server.stop()


@contextmanager
def prefect_session() -> Iterator[None]:
    """For a command that runs flows: SIGTERM exits cleanly, the server is up before the first flow
    and stopped at the end, whatever the end (SIGINT, SIGTERM, an error)."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_signal) if in_main_thread else None
    started = False
    try:
        started = start_temporary_server()
        yield
    finally:
        if started:
            stop_temporary_server()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
