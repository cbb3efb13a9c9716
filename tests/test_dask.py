"""Scale-out on a real two-worker Dask cluster: the same release, byte for byte, and a lost worker.

The release spec with every kind of work (keyed pseudonyms, free-text scrubbing, optimal
generalization) is released in one process and through prefect-dask on a `distributed.LocalCluster`
of two worker processes; the extract is cut into small parts so that both workers get several.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SPEC = "social-insurance.yaml"
PART_ROWS = 250  # 2000 rows: eight parts


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           scheduler_port=0)
    client = Client(cluster, set_as_default=False)
    try:
        yield cluster, client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    from tests.conftest import ROOT

    folder = tmp_path_factory.mktemp("dask")
    shutil.copytree(ROOT / "configs", folder / "configs")
    return folder


@pytest.fixture(scope="module")
def small_parts():
    import pipelines.extract

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipelines.extract, "CHUNK_ROWS", PART_ROWS)
        yield


def release(project: Path, catalog: str, **options) -> dict:
    from pipelines.flows import release_folder

    (results,) = release_folder(str(project / "configs" / "datasets" / SPEC), str(project / catalog),
                                str(project / "configs" / "policy.yaml"), **options)
    return {**results, "_catalog": catalog}


def published(project: Path, record: dict) -> dict[str, str]:
    """The published data files by name, as digests (the metadata files hold run ids and times)."""
    folder = project / record["_catalog"] / "datasets" / record["dataset"]["id"] / str(record["version"])
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("data.*"))}


@pytest.fixture(scope="module")
def single(prefect_harness, project, small_parts) -> dict:
    return release(project, "catalog-single")


def _verdict(record: dict) -> tuple:
    return record["decision"], record["evaluation"]


def test_a_two_worker_cluster_publishes_the_same_bytes_and_verdict(single, project, cluster, small_parts):
    cluster_, client = cluster
    on_dask = release(project, "catalog-dask", dask_address=cluster_.scheduler_address)
    assert single["status"] == on_dask["status"] == "published", (single.get("failure"), on_dask.get("failure"))
    files = published(project, single)
    assert set(files) == {"data.csv", "data.json", "data.parquet"}
    assert published(project, on_dask) == files
    assert _verdict(on_dask) == _verdict(single)
    assert (on_dask["rows_out"], on_dask["suppressed"]) == (single["rows_out"], single["suppressed"])
    # Both workers did parts, each a task run recorded on the release's own Prefect API.
    assert _part_runs(on_dask["flow_run_id"]) == 2000 // PART_ROWS
    # …and no worker started a Prefect server of its own.
    assert client.run(_temporary_servers) == {w: 0 for w in client.scheduler_info()["workers"]}


def _temporary_servers() -> int:
    import sys

    module = sys.modules.get("prefect.server.api.server")
    if module is None:
        return 0
    return sum(server.server_process is not None for server in module.SubprocessASGIServer._instances.values())


def _part_runs(flow_run_id: str) -> int:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter, TaskRunFilterName

    for _ in range(40):  # task run states reach the API as events, a moment after the run
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="desensitize-part")))
        done = [r for r in runs if r.state is not None and r.state.is_completed()]
        if len(done) >= 2000 // PART_ROWS:
            return len(done)
        time.sleep(0.5)
    return len(done)


def test_a_worker_killed_mid_run_is_replaced_and_the_bytes_stay_the_same(single, project, cluster, small_parts):
    cluster_, client = cluster
    killed: list[int] = []
    stop = threading.Event()

    def kill_a_busy_worker() -> None:
        pids = client.run(os.getpid)
        while not stop.is_set() and not killed:
            for worker, keys in client.processing().items():
                if any("desensitize" in str(key) for key in keys) and worker in pids:
                    os.kill(pids[worker], signal.SIGKILL)
                    killed.append(pids[worker])
                    return
            time.sleep(0.01)

    watcher = threading.Thread(target=kill_a_busy_worker, daemon=True)
    watcher.start()
    try:
        on_dask = release(project, "catalog-killed", dask_address=cluster_.scheduler_address)
    finally:
        stop.set()
        watcher.join()
    assert killed, "no worker was busy with a part while the release ran"
    if on_dask["status"] == "published":  # Dask rescheduled the lost part on the other worker
        assert published(project, on_dask) == published(project, single)
        assert _verdict(on_dask) == _verdict(single)
    else:  # or the dataset failed with one line and published nothing
        assert on_dask["status"] == "failed" and on_dask["failed_stage"] == "desensitize"
        assert "\n" not in on_dask["failure"] and not on_dask.get("release_path")
    client.wait_for_workers(2, timeout=120)  # the nanny restarts it for the next test


def test_workers_start_a_local_cluster_and_publish_the_same_bytes(single, project, small_parts):
    local = release(project, "catalog-local", workers=2)
    assert local["status"] == "published", local.get("failure")
    assert published(project, local) == published(project, single)
    assert _verdict(local) == _verdict(single)


def test_no_scheduler_at_the_address_is_one_line(prefect_harness, project, monkeypatch):
    import pipelines.scaleout
    from pipelines.scaleout import EngineError

    monkeypatch.setattr(pipelines.scaleout, "CONNECT_TIMEOUT_SECONDS", 2)
    with pytest.raises(EngineError, match=r"^no Dask scheduler answered at tcp://127\.0\.0\.1:9 within 2 s"):
        release(project, "catalog-none", dask_address="tcp://127.0.0.1:9")
