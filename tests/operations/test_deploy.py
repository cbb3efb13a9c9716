"""Deployments from specs: the schedule follows the update frequency unless the spec gives a cron."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.deploy import DeployError, plan_deployments, spread_minute
from tests.operations.conftest import edit_yaml


def test_each_spec_gets_the_schedule_of_its_update_frequency(project):
    plans = {p.name: p for p in plan_deployments(project / "configs" / "datasets")}
    venues, enterprises, social = (plans[n] for n in ("jinan-public-cultural-venues", "jinan-enterprise-operations",
                                                      "jinan-social-insurance-enrolment"))
    assert social.cron == f"{spread_minute(social.name)} 4 1 * *"  # monthly: the 1st, 04:xx
    assert enterprises.cron == f"{spread_minute(enterprises.name)} 4 1 1,4,7,10 *"  # quarterly
    assert venues.cron == f"{spread_minute(venues.name)} 4 2 1 *"  # annual
    assert {p.origin for p in plans.values()} == {"frequency"}


def test_a_spec_cron_overrides_and_irregular_data_runs_on_demand(project):
    folder = project / "configs" / "datasets"
    edit_yaml(folder / "social-insurance.yaml", schedule="30 6 * * 1-5")
    edit_yaml(folder / "cultural-venues.yaml", update_frequency="irregular")
    plans = {p.name: p for p in plan_deployments(folder)}
    social = plans["jinan-social-insurance-enrolment"]
    assert (social.cron, social.origin) == ("30 6 * * 1-5", "spec")
    venues = plans["jinan-public-cultural-venues"]
    assert venues.cron is None and venues.schedule_text("Asia/Shanghai").startswith("no schedule")
    assert {p.interval_seconds for p in plan_deployments(folder, every=5)} == {5.0}


def test_a_bad_cron_is_refused_with_the_file_and_key(project):
    spec = edit_yaml(project / "configs" / "datasets" / "social-insurance.yaml", schedule="every monday")
    with pytest.raises(DeployError, match=r"social-insurance.yaml: schedule: not a valid cron expression"):
        plan_deployments(spec)
    result = CliRunner().invoke(main, ["deploy", str(spec), "--dry-run", "--policy",
                                       str(project / "configs" / "policy.yaml")])
    assert result.exit_code == 2 and "not a valid cron expression" in result.output


def test_deploy_dry_run_lists_deployments_without_a_server(project, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = CliRunner().invoke(main, ["deploy", str(project / "configs" / "datasets"), "--dry-run",
                                       "--catalog", str(project / "catalog"),
                                       "--policy", str(project / "configs" / "policy.yaml")])
    assert result.exit_code == 0, result.output
    assert "release_folder/jinan-social-insurance-enrolment" in result.output
    assert "reassess_catalog/reassess" in result.output and "Asia/Shanghai" in result.output
    bad_zone = CliRunner().invoke(main, ["deploy", str(project / "configs" / "datasets"), "--dry-run",
                                         "--timezone", "Mars/Olympus", "--policy",
                                         str(project / "configs" / "policy.yaml")])
    assert bad_zone.exit_code == 2 and "unknown time zone" in bad_zone.output


def test_deployments_pass_the_runner_to_every_run(project):
    """`kaifang deploy/serve --dask ADDRESS` or `--workers N`: each scheduled run desensitizes there."""
    from pipelines.deploy import DeploymentOptions, build_deployments

    folder = project / "configs" / "datasets"
    options = DeploymentOptions(catalog_dir=project / "catalog-out", policy_path=project / "configs" / "policy.yaml",
                                timezone="Asia/Shanghai", dask_address="tcp://10.0.0.5:8786")
    releases = [d for d in build_deployments(plan_deployments(folder), options) if "release" in d.tags]
    assert releases and {d.parameters["dask_address"] for d in releases} == {"tcp://10.0.0.5:8786"}
    shown = CliRunner().invoke(main, ["deploy", str(folder), "--dry-run", "--workers", "3", "--policy",
                                      str(project / "configs" / "policy.yaml")])
    assert shown.exit_code == 0 and "a local cluster of 3 worker processes" in shown.output
    both = CliRunner().invoke(main, ["serve", str(folder), "--dask", "tcp://h:1", "--workers", "2"])
    assert both.exit_code == 2 and "no --workers beside it" in both.output
