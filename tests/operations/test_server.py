"""Scheduled releases against a real Prefect server (`prefect server start`), as docs/operations.md runs them.

`kaifang serve` registers one deployment per spec and runs them as their schedules come due; here the
schedule is an interval of a few seconds (`--every 5`). One dataset publishes as declared; the other
would change its open class, so its run pauses until a steward answers the form, which this test does
through the API as the Prefect UI would.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from catalog.store import CatalogStore
from tests.operations.conftest import background, base_env, edit_yaml, only_specs, server_client

pytestmark = pytest.mark.slow
VENUES, ENTERPRISE = "jinan-public-cultural-venues", "jinan-enterprise-operations"


def wait_for(what: str, probe, timeout: float = 150, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    pytest.fail(f"timed out waiting for {what}\n{tail}")


def runs_in_state(client, state: str, deployment: str | None = None, flow_name: str | None = None):
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.exceptions import ObjectNotFound

    kwargs = {"flow_run_filter": FlowRunFilter(state=FlowRunFilterState(
        type=FlowRunFilterStateType(any_=[StateType(state)])))}
    if deployment:
        try:
            found = client.read_deployment_by_name(deployment)
        except ObjectNotFound:
            return []
        kwargs["deployment_filter"] = DeploymentFilter(id=DeploymentFilterId(any_=[found.id]))
    if flow_name:
        kwargs["flow_filter"] = FlowFilter(name=FlowFilterName(any_=[flow_name]))
    return client.read_flow_runs(**kwargs)


def test_served_deployments_run_on_schedule_and_wait_for_the_steward(prefect_server, project):
    from click.testing import CliRunner
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from pipelines.cli import main

    folder = only_specs(project, "cultural-venues.yaml", "enterprise-operations.yaml")
    edit_yaml(project / "configs" / "policy.yaml", pre_approved=[], approval_timeout_seconds=300)
    env = base_env(project) | {"PREFECT_API_URL": prefect_server, "PREFECT_RUNNER_POLL_FREQUENCY": "1",
                               "KAIFANG_APPROVAL_POLL_SECONDS": "1"}
    command = [str(Path(sys.executable).parent / "kaifang"), "serve", str(folder), "--every", "5",
               "--catalog", str(project / "catalog"), "--policy", str(project / "configs" / "policy.yaml"),
               "--no-reassess"]
    log = project / "serve.log"
    with background(command, env, log, cwd=project), server_client(prefect_server) as client:
        # The dataset that keeps its class: a scheduled run completes and publishes.
        wait_for("a completed scheduled run", lambda: runs_in_state(
            client, "COMPLETED", deployment=f"release_folder/{VENUES}"), log=log)
        store = CatalogStore(project / "catalog")
        venues = store.latest(VENUES)
        assert venues is not None and venues.version == 1
        assert venues.actor == f"deployment release_folder/{VENUES}"

        # The dataset that would become unconditionally open: its release waits for a steward.
        paused = wait_for("the paused release", lambda: runs_in_state(client, "PAUSED", flow_name="release_dataset"),
                          log=log)[0]
        assert store.latest(ENTERPRISE) is None  # nothing before the decision
        # The steward's side, from the command line (the Prefect UI shows the same form and record).
        with temporary_settings({PREFECT_API_URL: prefect_server}):
            listed = CliRunner().invoke(main, ["approve"])
            assert str(paused.id) in listed.output and "enterprise-operations.yaml" in listed.output
            shown = CliRunner().invoke(main, ["approve", str(paused.id), "--show"])
            assert f"Steward approval needed: {ENTERPRISE}" in shown.output
            assert "| trade_secrets | yes |" in shown.output
            answered = CliRunner().invoke(main, ["approve", str(paused.id), "--steward", "王敏",
                                                 "--reason", "经数据安全小组审议同意"])
            assert answered.exit_code == 0, answered.output
        wait_for("the approved run to complete", lambda: runs_in_state(
            client, "COMPLETED", deployment=f"release_folder/{ENTERPRISE}"), log=log)
    enterprise = CatalogStore(project / "catalog").latest(ENTERPRISE)
    assert enterprise is not None and enterprise.decision.published_class == "unconditional"
    assert (enterprise.approval.steward, enterprise.approval.via) == ("王敏", "prefect")
    audit = CatalogStore(project / "catalog").verify_audit()
    assert audit.ok


def test_deploy_registers_scheduled_deployments_for_a_worker(prefect_server, project):
    from click.testing import CliRunner
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from pipelines.cli import main

    folder = only_specs(project, "social-insurance.yaml")
    edit_yaml(folder / "social-insurance.yaml", id="deploy-check-social")
    with temporary_settings({PREFECT_API_URL: prefect_server}):
        result = CliRunner().invoke(main, ["deploy", str(folder), "--catalog", str(project / "catalog"), "--policy",
                                           str(project / "configs" / "policy.yaml"), "--pool", "kaifang-test"])
    assert result.exit_code == 0, result.output
    assert "prefect worker start --pool kaifang-test" in result.output
    with server_client(prefect_server) as client:
        deployment = client.read_deployment_by_name("release_folder/deploy-check-social")
        reassess = client.read_deployment_by_name("reassess_catalog/reassess")
        pool = client.read_work_pool("kaifang-test")
    assert pool.type == "process" and deployment.work_pool_name == "kaifang-test"
    schedule = deployment.schedules[0].schedule
    assert schedule.cron.endswith(" 4 1 * *") and schedule.timezone == "Asia/Shanghai"
    assert deployment.parameters["approval"] == "wait" and deployment.parameters["retries"] == 3
    env = deployment.job_variables["env"]
    assert env["KAIFANG_STATE"] and "KAIFANG_PSEUDONYM_KEY" not in env
    assert reassess.schedules[0].schedule.cron == "0 7 1 1,4,7,10 *"
