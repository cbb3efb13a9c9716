"""A failed or refused dataset ends its Prefect flow run Failed (so notifications fire); the others publish."""

from __future__ import annotations

import yaml


def test_a_failed_dataset_fails_its_flow_run_and_the_folder_run(prefect_harness, project):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from pipelines.flows import release_folder

    folder = project / "configs" / "datasets"
    for extra in folder.glob("*.yaml"):
        if extra.name not in {"cultural-venues.yaml"}:
            extra.unlink()
    base = yaml.safe_load((folder / "cultural-venues.yaml").read_text(encoding="utf-8"))
    broken = dict(base, id="flow-state-missing", columns={}, quality={},
                  source={"file": {"path": "../samples/no-such-file.csv"}})
    (folder / "missing.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")

    results = {r["dataset"]["id"]: r for r in release_folder(str(folder), str(project / "catalog"),
                                                             str(project / "configs" / "policy.yaml"))}
    assert results["jinan-public-cultural-venues"]["status"] == "published"
    failed = results["flow-state-missing"]
    assert failed["status"] == "failed"
    with get_client(sync_client=True) as client:
        [dataset_run] = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[failed["flow_run_id"]])))
        good = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[results["jinan-public-cultural-venues"]["flow_run_id"]])))[0]
        folder_run = client.read_flow_run(dataset_run.parent_task_run_id and
                                          client.read_task_run(dataset_run.parent_task_run_id).flow_run_id)
    assert dataset_run.state.is_failed()
    assert dataset_run.state.message == f"failed: {failed['failure']}" and "\n" not in dataset_run.state.message
    assert good.state.is_completed()
    assert folder_run.state.is_failed() and "flow-state-missing" in folder_run.state.message
