"""Failure handling: transient sources are retried, dead runs leave the catalog as it was, reruns are idempotent."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy.exc
import yaml

from catalog.store import CatalogStore
from pipelines.extract import SourceError
from tests.operations.conftest import base_env, copy_project, edit_yaml, only_specs

SOCIAL = "jinan-social-insurance-enrolment"
VENUES = "jinan-public-cultural-venues"


def release(project: Path, folder: Path, **options) -> dict:
    from pipelines.flows import release_folder

    results = release_folder(str(folder), str(project / "catalog"), str(project / "configs" / "policy.yaml"),
                             **options)
    return {r["dataset"]["id"]: r for r in results}


def unreachable() -> SourceError:
    """What the extract stage raises when a database refuses the connection (driver error kept as context)."""
    try:
        raise sqlalchemy.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
    except sqlalchemy.exc.OperationalError:
        try:
            raise SourceError("the SQL source cannot be reached (postgresql://db.example/open)") from None
        except SourceError as error:
            return error


def test_what_counts_as_transient():
    from pipelines.flows import _is_transient

    assert _is_transient(unreachable())
    assert _is_transient(ConnectionResetError("reset by peer"))
    assert not _is_transient(SourceError("source file not found: /data/x.csv"))
    assert not _is_transient(SourceError("ragged rows: line 2 has 3 fields, the header has 2"))
    try:  # a missing SQLite file is a missing file, not a network blip
        raise sqlalchemy.exc.OperationalError("x", {}, Exception("unable to open database file"))
    except sqlalchemy.exc.OperationalError:
        try:
            raise SourceError("the SQL source cannot be reached (sqlite:///nowhere.db)") from None
        except SourceError as error:
            assert not _is_transient(error)


@pytest.mark.slow
def test_only_unreachable_sources_are_retried_with_backoff(prefect_harness, project, monkeypatch):
    from pipelines import stages

    folder = only_specs(project, "cultural-venues.yaml")
    base = yaml.safe_load((folder / "cultural-venues.yaml").read_text(encoding="utf-8"))
    (project / "configs" / "samples" / "ragged.csv").write_text("场馆名称,类型\n图书馆,公共,多余\n", encoding="utf-8")
    extra = {
        "gone-file": {"file": {"path": "../samples/no-such-file.csv"}},
        "ragged-file": {"file": {"path": "../samples/ragged.csv"}},
        "down-database": {"sql": {"url": "postgresql+psycopg://nobody@127.0.0.1:1/none", "table": "t"}},
    }
    for dataset_id, source in extra.items():
        spec = dict(base, id=dataset_id, source=source, columns={}, quality={})
        (folder / f"{dataset_id}.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    calls: collections.Counter[str] = collections.Counter()
    real_extract = stages.extract

    def flaky(loaded, files):
        calls[loaded.spec.id] += 1
        if loaded.spec.id == VENUES and calls[VENUES] <= 2:  # down twice, then back
            raise unreachable()
        return real_extract(loaded, files)

    monkeypatch.setattr(stages, "extract", flaky)
    started = time.monotonic()
    results = release(project, folder, retries=3, retry_delay_seconds=0.05)
    assert results[VENUES]["status"] == "published" and calls[VENUES] == 3
    assert results["down-database"]["failure"].startswith("the SQL source cannot be reached")
    assert calls["down-database"] == 4  # the first attempt and three retries
    assert calls["gone-file"] <= 1 and "source file not found" in results["gone-file"]["failure"]
    assert calls["ragged-file"] == 1 and "ragged rows" in results["ragged-file"]["failure"]
    assert time.monotonic() - started < 60


@pytest.mark.slow
def test_the_same_input_and_spec_give_byte_identical_files_and_one_catalog_entry(prefect_harness, tmp_path):
    first, second = copy_project(tmp_path / "a"), copy_project(tmp_path / "b")
    one = release(first, only_specs(first, "social-insurance.yaml"))[SOCIAL]
    two = release(second, only_specs(second, "social-insurance.yaml"))[SOCIAL]
    assert one["status"] == two["status"] == "published"
    assert [o["path"] for o in one["outputs"]] == [o["path"] for o in two["outputs"]] != []
    for output in one["outputs"]:
        a = (first / "catalog" / one["release_path"] / output["path"]).read_bytes()
        b = (second / "catalog" / two["release_path"] / output["path"]).read_bytes()
        assert a == b, output["path"]
    again = release(first, first / "configs" / "only")[SOCIAL]
    assert (again["status"], again["version"]) == ("unchanged", 1)
    store = CatalogStore(first / "catalog")
    assert store.versions(SOCIAL) == [1]
    assert [r.status for r in store.history(SOCIAL)] == ["unchanged", "published"]


@pytest.mark.slow
def test_a_run_killed_midway_leaves_the_catalog_as_it_was_and_can_be_rerun(prefect_harness, prefect_server, project,
                                                                           monkeypatch):
    import pipelines.flows as flows

    folder = only_specs(project, "social-insurance.yaml")
    assert release(project, folder)[SOCIAL]["version"] == 1
    source = project / "configs" / "samples" / "social_insurance.csv"
    source.write_text(source.read_text(encoding="utf-8").replace(",5000,", ",5001,", 1), encoding="utf-8")
    store = CatalogStore(project / "catalog")
    before = (store.versions(SOCIAL), len(store.history(SOCIAL)), store.verify_audit().head)

    env = base_env(project) | {"PREFECT_API_URL": prefect_server}
    kaifang = str(Path(sys.executable).parent / "kaifang")
    command = [kaifang, "release", str(folder), "--catalog", str(project / "catalog"),
               "--policy", str(project / "configs" / "policy.yaml")]
    with (project / "killed.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=project, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list((project / "catalog" / ".runs").glob(f"*/{SOCIAL}/output.parquet")):
            assert process.poll() is None, (project / "killed.log").read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "the release never reached the desensitized output"
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # dies midway: between desensitize and publish
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    after = CatalogStore(project / "catalog")
    assert (after.versions(SOCIAL), len(after.history(SOCIAL)), after.verify_audit().head) == before
    assert (project / "catalog" / "datasets" / SOCIAL / "latest").read_text().strip() == "1"
    leftovers = list((project / "catalog" / ".runs").iterdir())
    assert leftovers  # the dead run's raw extract: swept by the next run

    monkeypatch.setattr(flows, "_SWEEP_MIN_AGE_SECONDS", 0)
    rerun = release(project, folder)[SOCIAL]
    assert (rerun["status"], rerun["version"]) == ("published", 2)
    assert not any(path.exists() for path in leftovers)
    audit = CatalogStore(project / "catalog").verify_audit()
    assert audit.ok and audit.entries == 2


def test_a_dead_runs_folder_is_swept_but_a_live_ones_is_not(tmp_path):
    from pipelines.flows import claimed_run_folder, sweep_dead_runs

    runs = tmp_path / ".runs"
    (runs / "dead").mkdir(parents=True)
    (runs / "dead" / "raw.parquet").write_bytes(b"raw")
    old = time.time() - 3600
    os.utime(runs / "dead", (old, old))
    with claimed_run_folder(runs / "live") as live:
        os.utime(live, (old, old))
        assert sweep_dead_runs(runs) == ["dead"]
        assert live.is_dir()
    assert not (runs / "live").exists()


def test_the_policy_file_keeps_approval_required_by_default(project):
    from pipelines.spec import load_policy

    shipped, _ = load_policy(project / "configs" / "policy.yaml")
    assert shipped.pre_approved == [] and shipped.command_line_approval
    edited = edit_yaml(project / "configs" / "policy.yaml", pre_approved=["sideways"])
    from pipelines.spec import SpecError

    with pytest.raises(SpecError, match="pre_approved"):
        load_policy(edited)
