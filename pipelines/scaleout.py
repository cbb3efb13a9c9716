"""Scale-out: the desensitize parts of a release mapped on a Dask cluster through prefect-dask.

`kaifang release --dask tcp://HOST:PORT` (or the policy's `runner.dask_address`) sends the parts to an
existing cluster; `--workers N` (`runner.workers`) starts a local cluster of N worker processes for the
run. Either way each part is a Prefect task run in a worker that reads its row group of the extract from
the run folder and writes its part file back there (pipelines/stages.py `desensitize_part`); the release
process combines the parts in order, so the output is byte-identical to a single-process run. Only paths,
indices, the plan and row counts cross the network: no cell value, and no key (a worker loads the key
itself and proves it is the same one by its fingerprint).

Workers report to the Prefect API the release talks to, and never start one of their own: Prefect
sends its settings with each task (prefect-dask serializes the settings context), so `worker_settings`
makes the API's address explicit there even when the release runs on a temporary server; workers that
this module starts also get it in their environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from catalog.record import ColumnPlan
from pipelines import stages
from pipelines.spec import Policy

CONNECT_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Engine:
    """Where the parts run: `address` of a Dask scheduler, or None for the release's own process."""

    address: str | None = None
    workers: int = 0  # the local cluster's size when this run started one (0: none started)


def chosen(policy_runner: Any, dask_address: str | None, workers: int | None) -> tuple[str | None, int]:
    """The command line's choice (`workers=0`: this process), else the policy's `runner`; an address wins."""
    if dask_address:
        return dask_address, 0
    if workers is not None:
        return None, workers
    if policy_runner is None:
        return None, 0
    return policy_runner.dask_address, (0 if policy_runner.dask_address else policy_runner.workers)


def _api_url() -> str | None:
    """The address of the Prefect API this process talks to (a temporary server's included)."""
    from prefect.context import FlowRunContext
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return PREFECT_API_URL.value()
    context = FlowRunContext.get()
    if context is not None and context.client is not None:
        return str(context.client.api_url)
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return str(client.api_url)


@contextmanager
def worker_settings() -> Iterator[str | None]:
    """Prefect settings with the API's address explicit, for as long as tasks are sent to workers.

    Without it a worker that gets a task from a release on a temporary server would see no
    `PREFECT_API_URL` and start a temporary server of its own, recording its task runs there.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = _api_url()
    if url is None or PREFECT_API_URL.value() == url:
        yield url
        return
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield url


class EngineError(RuntimeError):
    """The Dask cluster cannot be used (no scheduler at the address, no local cluster); one line."""


def _reachable(address: str) -> None:
    """Fail before any dataset starts when no scheduler answers at the address."""
    from distributed import Client

    try:
        Client(address, timeout=CONNECT_TIMEOUT_SECONDS, set_as_default=False).close()
    except (OSError, TimeoutError, ValueError) as exc:
        raise EngineError(f"no Dask scheduler answered at {address} within {CONNECT_TIMEOUT_SECONDS} s "
                          f"({type(exc).__name__})") from None


@contextmanager
def engine(address: str | None, workers: int, project: Path | None = None) -> Iterator[Engine]:
    """The cluster for one release run: the given scheduler, a local cluster of `workers` processes
    (closed at the end), or none. Yields inside `worker_settings`."""
    if not address and not workers:
        yield Engine()
        return
    with worker_settings() as api_url:
        if address:
            _reachable(address)
            yield Engine(address)
            return
        from distributed import LocalCluster

        env = {name: value for name, value in (("PREFECT_API_URL", api_url),
                                               ("KAIFANG_PROJECT", str(project) if project else None)) if value}
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               scheduler_port=0, env=env)
        try:
            yield Engine(cluster.scheduler_address, workers)
        finally:
            cluster.close()


def task_runner(engine_: Engine) -> Any:
    """prefect-dask's runner connected to the engine's scheduler (None: the flow's default runner)."""
    if engine_.address is None:
        return None
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(address=engine_.address)


def on_dask() -> bool:
    """Does the current flow run send its mapped tasks to a Dask cluster?"""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    return context is not None and type(context.task_runner).__name__ == "DaskTaskRunner"


class WorkerKeyMismatch(ValueError):
    """A worker loaded another pseudonymization key than the release's (the output would differ)."""


def run_part(files: stages.WorkFiles, index: int, plan: list[ColumnPlan], key_file: str | None,
             fingerprint: str | None, reference: date, policy: Policy, target: str, project: str | None,
             names_digest: str | None = None) -> int:
    """One desensitize part, in a worker: the release's project and key, then `stages.desensitize_part`."""
    from anonymizers.keys import key_fingerprint, load_key

    _use_project(project)
    _use_shared_names(files, names_digest)
    key = None
    if fingerprint is not None:
        key = load_key(Path(key_file) if key_file else None)
        if key_fingerprint(key) != fingerprint:
            raise WorkerKeyMismatch("a Dask worker loaded another pseudonymization key than the release "
                                    "(share the key file, or set the same KAIFANG_PSEUDONYM_KEY on the workers)")
    return stages.desensitize_part(files, index, plan, key, reference, policy, target)


_NAMES_TAKEN: set[tuple[Path, str | None]] = set()


def _use_shared_names(files: stages.WorkFiles, digest: str | None) -> None:
    """The names the release process found during detection, read once per worker and file."""
    if (files.names, digest) not in _NAMES_TAKEN:
        stages.take_shared_names(files, digest)
        _NAMES_TAKEN.add((files.names, digest))


def _use_project(folder: str | None) -> None:
    """Make the release's project current in this worker (its lexicon shapes span finding)."""
    if folder is None:
        return
    from pipelines.project import choose, current, locate

    active = current()
    if active is None or str(active.root) != folder:
        choose(Path(folder))
        locate()
