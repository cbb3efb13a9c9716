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

from tests.conftest import ROOT

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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_workers_start_a_local_cluster_and_publish_the_same_bytes(single, project, small_parts):
    local = release(project, "catalog-local", workers=2)
    assert local["status"] == "published", local.get("failure")
    assert published(project, local) == published(project, single)
    assert _verdict(local) == _verdict(single)


@pytest.mark.slow
def test_no_scheduler_at_the_address_is_one_line(prefect_harness, project, monkeypatch):
    import pipelines.scaleout
    from pipelines.scaleout import EngineError

    monkeypatch.setattr(pipelines.scaleout, "CONNECT_TIMEOUT_SECONDS", 2)
    with pytest.raises(EngineError, match=r"^no Dask scheduler answered at tcp://127\.0\.0\.1:9 within 2 s"):
        release(project, "catalog-none", dask_address="tcp://127.0.0.1:9")


def test_the_part_wise_desensitize_writes_what_the_streaming_one_wrote(tmp_path, monkeypatch):
    """Parts combined in order give the bytes the one-pass stream of chunks gave before the parts."""
    from datetime import date

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    import pipelines.extract
    from anonymizers.apply import desensitize_chunk
    from catalog.record import ColumnPlan
    from pipelines import stages
    from pipelines.extract import read_chunks
    from pipelines.plan import column_actions

    monkeypatch.setattr(pipelines.extract, "CHUNK_ROWS", 300)
    files = stages.WorkFiles(tmp_path)
    with pq.ParquetWriter(files.raw, pa.schema([("a", pa.string()), ("b", pa.string()), ("c", pa.string())])) as w:
        for start in range(0, 1000, 300):  # as the extract writes them: one row group per chunk
            rows = range(start, min(start + 300, 1000))
            w.write_table(pa.table({"a": [f"1380000{i:04d}" for i in rows], "b": [str(i % 7) for i in rows],
                                    "c": [None if i % 5 else "x" for i in rows]}))
    plan = [ColumnPlan(column="a", action="pseudonymize", entity="PHONE_NUMBER"),
            ColumnPlan(column="b", action="keep"), ColumnPlan(column="c", action="drop")]
    key, today = b"k" * 32, date(2026, 12, 2)
    actions = column_actions(plan, key, today)
    streamed = tmp_path / "streamed.parquet"
    stages._write_stream((desensitize_chunk(c, actions) for c in read_chunks(files.raw)), streamed)

    assert stages.part_count(files) == 4
    assert stages.desensitize(files, plan, key, today) == 1000
    assert files.desensitized.read_bytes() == streamed.read_bytes()
    assert not files.part(0).parent.exists()  # the parts are gone once combined
    assert list(pd.read_parquet(files.desensitized).columns) == ["a", "b"]


def test_the_command_line_wins_over_the_policy_runner():
    from pipelines.scaleout import chosen
    from pipelines.spec import RunnerPolicy

    policy = RunnerPolicy(workers=3)
    assert chosen(policy, None, None) == (None, 3)
    assert chosen(policy, None, 0) == (None, 0)  # --workers 0: this process, whatever the policy says
    assert chosen(policy, None, 2) == (None, 2)
    assert chosen(policy, "tcp://h:8786", None) == ("tcp://h:8786", 0)
    assert chosen(RunnerPolicy(dask_address="tcp://p:1", workers=4), None, None) == ("tcp://p:1", 0)
    assert chosen(RunnerPolicy(dask_address="tcp://p:1"), None, 0) == (None, 0)
    assert chosen(None, None, None) == (None, 0)


def test_release_help_teaches_the_runners_and_refuses_both_at_once(tmp_path):
    from click.testing import CliRunner

    from pipelines.cli import main

    shown = CliRunner().invoke(main, ["release", "--help"]).output
    assert "--dask tcp://HOST:PORT" in shown and "--workers N" in shown and "shared storage" in shown
    spec = tmp_path / "a.yaml"
    spec.write_text("id: a\n", encoding="utf-8")
    both = CliRunner().invoke(main, ["--project", str(ROOT), "release", str(spec), "--dask", "tcp://h:1",
                                     "--workers", "2"])
    assert both.exit_code == 2 and "no --workers beside it" in both.output
