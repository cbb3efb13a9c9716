"""Prefect deployments from release specs: one per dataset, on the schedule its update frequency implies.

`kaifang deploy` registers them with a Prefect server for a process work pool (a worker runs them);
`kaifang serve` registers them and runs them in the same long-lived process (no work pool needed).
Either way a run is `release_folder` on the one spec, with steward approval on wait (a change of open
class pauses for a steward in the Prefect UI) and the extract retrying a source that cannot be
reached. A deployment for `reassess_catalog` (Art. 9 periodic re-assessment) comes with them.

The temporary server that a plain `kaifang release` starts cannot schedule anything: deployments need
`prefect server start` and PREFECT_API_URL pointing at it (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:  # the spec models (pydantic) load when a command plans deployments, not for `kaifang --help`
    from pipelines.spec import LoadedSpec

TIMEZONE_ENV = "KAIFANG_TIMEZONE"
DEFAULT_TIMEZONE = "Asia/Shanghai"
WORK_POOL = "kaifang"
REASSESS_NAME = "reassess"
REASSESS_CRON = "0 7 1 1,4,7,10 *"  # quarterly, first day, 07:00
DEFAULT_RETRIES, DEFAULT_RETRY_DELAY = 3, 30.0

# Cron by update frequency; {m} is a minute derived from the dataset id, so that datasets sharing a
# frequency do not all start at once. Releases run at night, before office hours.
FREQUENCY_CRON: dict[str, str] = {
    "realtime": "*/15 * * * *",
    "daily": "{m} 2 * * *",
    "weekly": "{m} 3 * * 1",
    "monthly": "{m} 4 1 * *",
    "quarterly": "{m} 4 1 1,4,7,10 *",
    "semiannual": "{m} 4 1 1,7 *",
    "annual": "{m} 4 2 1 *",
}
# irregular and never: no schedule; the deployment is run on demand (UI "Run", or `prefect deployment run`).

# Settings a flow-run process needs and may see; never the pseudonymization key or a password.
_PASSED_ENV = ("KAIFANG_KEY_FILE", "KAIFANG_BASE_URL", "KAIFANG_CATALOG", "KAIFANG_PROJECT")


class DeployError(ValueError):
    """A spec or option that cannot become a deployment; one line, safe to show."""


@dataclass
class PlannedDeployment:
    """One dataset's deployment: its name, its schedule and where the schedule came from."""

    name: str
    spec_path: Path
    title: str
    update_frequency: str
    cron: str | None
    interval_seconds: float | None = None
    origin: str = "frequency"  # frequency | spec (the spec's `schedule`) | override (--every) | none

    def schedule_text(self, timezone: str) -> str:
        if self.interval_seconds:
            return f"every {self.interval_seconds:g} s ({self.origin})"
        if self.cron:
            return f"cron '{self.cron}' {timezone} ({self.origin})"
        return f"no schedule: run on demand ({self.update_frequency})"


@dataclass
class DeploymentOptions:
    catalog_dir: Path
    policy_path: Path
    timezone: str = DEFAULT_TIMEZONE
    retries: int = DEFAULT_RETRIES
    retry_delay_seconds: float = DEFAULT_RETRY_DELAY
    approval: str = "wait"
    every: float | None = None
    reassess_cron: str | None = REASSESS_CRON
    reassess_target: Path | None = None
    job_variables: dict[str, Any] = field(default_factory=dict)
    # Where the desensitize parts run (pipelines/scaleout.py); unset, the policy's `runner` decides at run time.
    dask_address: str | None = None
    workers: int | None = None


def default_timezone() -> str:
    return os.environ.get(TIMEZONE_ENV) or DEFAULT_TIMEZONE


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DeployError(f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)") from None
    return name


def check_cron(expression: str, where: str) -> str:
    from prefect.schedules import Cron

    try:
        Cron(expression)
    except Exception:
        raise DeployError(f"{where}: not a valid cron expression: {expression!r}") from None
    return expression


def spread_minute(dataset_id: str) -> int:
    return int(hashlib.sha256(dataset_id.encode()).hexdigest()[:8], 16) % 60


def schedule_for(loaded: LoadedSpec) -> tuple[str | None, str]:
    """(cron, origin) for a spec: its own `schedule` when given, else its update frequency's."""
    spec = loaded.spec
    if spec.schedule:
        return check_cron(spec.schedule, f"{loaded.path}: schedule"), "spec"
    template = FREQUENCY_CRON.get(spec.update_frequency)
    if template is None:
        return None, "none"
    return template.format(m=spread_minute(spec.id)), "frequency"


def plan_deployments(target: Path, every: float | None = None) -> list[PlannedDeployment]:
    """One planned deployment per spec under `target`; bad specs and duplicate ids are refused."""
    from pipelines.spec import SpecError, load_spec, spec_paths

    paths = spec_paths(target)
    if not paths:
        raise DeployError(f"no spec files in {target}")
    plans: list[PlannedDeployment] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            loaded = load_spec(path)
        except SpecError as exc:
            raise DeployError(str(exc)) from None
        spec = loaded.spec
        if spec.id in seen:
            raise DeployError(f"{path}: id '{spec.id}' is also the id of {seen[spec.id]}")
        seen[spec.id] = path
        cron, origin = schedule_for(loaded)
        plan = PlannedDeployment(name=spec.id, spec_path=loaded.path, title=spec.title,
                                 update_frequency=spec.update_frequency, cron=cron, origin=origin)
        if every:
            plan.cron, plan.interval_seconds, plan.origin = None, float(every), "override"
        plans.append(plan)
    return plans


def flow_run_environment(state_dir: Path) -> dict[str, str]:
    """Environment for flow runs started by a worker (served runs inherit the serving process's)."""
    env = {"KAIFANG_STATE": str(state_dir), "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
           "GX_ANALYTICS_ENABLED": "false", "TQDM_DISABLE": "1", "DO_NOT_TRACK": "1"}
    env |= {name: os.environ[name] for name in _PASSED_ENV if os.environ.get(name)}
    index_url = os.environ.get("KAIFANG_INDEX_URL")
    if index_url and not _has_password(index_url):
        env["KAIFANG_INDEX_URL"] = index_url
    return env


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).password is not None
    except Exception:
        return True


def _schedules(plan_cron: str | None, interval: float | None, timezone: str) -> list[Any] | None:
    from prefect.schedules import Cron, Interval

    if interval:
        return [Interval(timedelta(seconds=interval))]
    if plan_cron:
        return [Cron(plan_cron, timezone=timezone)]
    return None


def build_deployments(plans: list[PlannedDeployment], options: DeploymentOptions,
                      work_pool: str | None = None) -> list[Any]:
    """Prefect RunnerDeployments for the plans (plus the re-assessment), ready to serve or apply."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import EntrypointType

    from pipelines.flows import release_folder_flow
    from pipelines.reassess import reassess_catalog

    common: dict[str, Any] = {"entrypoint_type": EntrypointType.MODULE_PATH}
    if work_pool:
        common |= {"work_pool_name": work_pool, "job_variables": options.job_variables}
    # One run of a dataset at a time: a run still waiting for its steward makes the next one stand down.
    one_at_a_time = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    deployments = []
    for plan in plans:
        parameters = {
            "target": str(plan.spec_path), "catalog_dir": str(options.catalog_dir),
            "policy_path": str(options.policy_path), "approval": options.approval,
            "retries": options.retries, "retry_delay_seconds": options.retry_delay_seconds,
        }
        parameters |= {name: value for name, value in (("dask_address", options.dask_address),
                                                        ("workers", options.workers)) if value is not None}
        deployments.append(release_folder_flow.to_deployment(
            name=plan.name, schedules=_schedules(plan.cron, plan.interval_seconds, options.timezone),
            parameters=parameters, concurrency_limit=one_at_a_time,
            description=f"{plan.title}: release of {plan.spec_path.name} "
                        f"({plan.schedule_text(options.timezone)}). A change of open class waits for a steward.",
            tags=["kaifang", "release", f"frequency:{plan.update_frequency}"], **common,
        ))
    if options.reassess_cron and options.reassess_target is not None:
        interval = options.every if options.every else None
        deployments.append(reassess_catalog.to_deployment(
            name=REASSESS_NAME, schedules=_schedules(None if interval else options.reassess_cron, interval,
                                                     options.timezone),
            parameters={"target": str(options.reassess_target), "catalog_dir": str(options.catalog_dir),
                        "policy_path": str(options.policy_path)},
            concurrency_limit=one_at_a_time,
            description="Art. 9 periodic re-assessment: which not-open and conditional datasets would now qualify "
                        "for a more open class (publishes nothing).",
            tags=["kaifang", "reassess"], **common,
        ))
    return deployments


def clear_schedules(deployment_names: list[str]) -> None:
    """Remove the schedules of deployments that should have none (a spec moved to 'irregular')."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        for name in deployment_names:
            try:
                existing = client.read_deployment_by_name(name)
            except ObjectNotFound:
                continue
            for schedule in existing.schedules:
                client.delete_deployment_schedule(existing.id, schedule.id)


def unscheduled(plans: list[PlannedDeployment]) -> list[str]:
    return [f"release_folder/{p.name}" for p in plans if not p.cron and not p.interval_seconds]


def ensure_work_pool(name: str) -> bool:
    """Create the process work pool when missing; True when it was created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
            return False
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))
            return True


def api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def check_server() -> str:
    """The API URL of a reachable Prefect server, or a DeployError saying how to get one."""
    url = api_url()
    if not url:
        raise DeployError("no Prefect server: start one (`prefect server start`) and set PREFECT_API_URL, e.g. "
                          "export PREFECT_API_URL=http://127.0.0.1:4200/api (the temporary server of a plain run "
                          "cannot schedule)")
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        raise DeployError(f"the Prefect server at {url} does not answer ({type(problem).__name__}); is "
                          "`prefect server start` running?")
    return url


def ui_url(api: str) -> str:
    from prefect.settings import PREFECT_UI_URL

    return PREFECT_UI_URL.value() or api.removesuffix("/api")
