"""`kaifang deploy`, `serve`, `audit` and `reassess`: running releases on a schedule and answering for them."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from pipelines.commands.release import check_runner, runner_options
from pipelines.deploy import DEFAULT_RETRIES, DEFAULT_RETRY_DELAY, REASSESS_CRON, WORK_POOL, default_timezone
from pipelines.environment import state_dir

POLICY_HELP = "Release policy [default: the project's configs/policy.yaml]."
SPECS_HELP = "[default: the project's configs/datasets]"
CATALOG_HELP = "Catalog folder [default: $KAIFANG_CATALOG, else the project's catalog-out]."
INDEX_HELP = "SQLAlchemy URL of the index [default: $KAIFANG_INDEX_URL or SQLite in the catalog folder]."


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _catalog(catalog_dir: Path | None) -> Path:
    from pipelines.project import catalog_dir as project_catalog

    return project_catalog(catalog_dir)


def _project_environment() -> dict[str, str]:
    """$KAIFANG_PROJECT for flow-run processes, so they use the project this command found."""
    from pipelines.project import PROJECT_ENV, current

    project = current()
    return {PROJECT_ENV: str(project.root)} if project is not None else {}


def _specs_and_policy(target: Path | None, policy: Path | None) -> tuple[Path, Path]:
    """TARGET, else the project's spec folder; --policy, else the project's (exit 2 without a project)."""
    from pipelines.commands.release import project_policy
    from pipelines.project import locate

    policy = project_policy(policy, target)
    project = locate(target)
    return (target or (project.specs if project else Path("configs/datasets"))), policy


def _deployment_options(command: Any) -> Any:
    options = [
        click.option("--catalog", "catalog_dir", type=click.Path(path_type=Path), help=CATALOG_HELP),
        click.option("--policy", type=click.Path(path_type=Path),
                     help="Release policy the runs use (read at every run) [default: the project's]."),
        click.option("--timezone", default=default_timezone, show_default="$KAIFANG_TIMEZONE or Asia/Shanghai",
                     help="Time zone of the cron schedules."),
        click.option("--retries", type=click.IntRange(0, 10), default=DEFAULT_RETRIES, show_default=True,
                     help="Retries of a SQL source that cannot be reached."),
        click.option("--retry-delay", type=click.FloatRange(0), default=DEFAULT_RETRY_DELAY, show_default=True,
                     help="Seconds before the first retry; doubled for each next one."),
        click.option("--reassess-cron", default=REASSESS_CRON, show_default=True,
                     help="Schedule of the periodic re-assessment deployment."),
        click.option("--no-reassess", is_flag=True, help="Do not deploy the periodic re-assessment."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _plan(target: Path | None, catalog_dir: Path | None, policy: Path | None, timezone: str, retries: int,
          retry_delay: float, reassess_cron: str, no_reassess: bool, every: float | None = None,
          runner: tuple[str | None, int | None] = (None, None)):
    from pipelines.deploy import DeployError, DeploymentOptions, check_cron, check_timezone, plan_deployments
    from pipelines.spec import SpecError, load_policy

    check_runner(*runner)
    target, policy = _specs_and_policy(target, policy)
    if not target.exists():
        _fail(f"no such spec file or folder: {target}")
    if not policy.is_file():
        _fail(f"policy file not found: {policy}")
    try:
        load_policy(policy)
        plans = plan_deployments(target, every)
        options = DeploymentOptions(
            catalog_dir=_catalog(catalog_dir), policy_path=policy.resolve(), timezone=check_timezone(timezone),
            retries=retries, retry_delay_seconds=retry_delay, every=every,
            reassess_cron=None if no_reassess else check_cron(reassess_cron, "--reassess-cron"),
            reassess_target=(target if target.is_dir() else target.parent).resolve(),
            dask_address=runner[0], workers=runner[1],
        )
    except (DeployError, SpecError) as problem:
        _fail(str(problem))
    return plans, options


def _print_plan(plans, options) -> None:
    width = max(len(p.name) for p in plans)
    for plan in plans:
        click.echo(f"  release_folder/{plan.name:<{width}}  {plan.schedule_text(options.timezone)}")
    if options.reassess_cron:
        when = (f"every {options.every:g} s (override)" if options.every
                else f"cron '{options.reassess_cron}' {options.timezone}")
        click.echo(f"  reassess_catalog/{'reassess':<{width - 2}}  {when}")
    if options.dask_address or options.workers:
        runner = options.dask_address or f"a local cluster of {options.workers} worker processes"
        click.echo(f"  desensitize runs on {runner} (--dask/--workers)")
    click.echo(f"  catalog {options.catalog_dir}, policy {options.policy_path}; a change of open class waits for a "
               "steward; unreachable SQL sources are retried "
               f"{options.retries} × from {options.retry_delay_seconds:g} s")


def _need_server() -> str:
    from pipelines.deploy import DeployError, check_server

    try:
        return check_server()
    except DeployError as problem:
        _fail(str(problem))
    raise AssertionError("unreachable")


# ----- kaifang deploy -------------------------------------------------------------------------------


@click.command()
@click.argument("target", required=False, type=click.Path(path_type=Path))
@_deployment_options
@click.option("--pool", default=WORK_POOL, show_default=True, help="Process work pool (created when missing).")
@click.option("--dry-run", is_flag=True, help="Print the deployments and their schedules; register nothing.")
@runner_options
def deploy(target: Path | None, catalog_dir: Path | None, policy: Path | None, timezone: str, retries: int,
           retry_delay: float, reassess_cron: str, no_reassess: bool, pool: str, dry_run: bool,
           dask_address: str | None, workers: int | None) -> None:
    """Create one Prefect deployment per release spec in TARGET [default: the project's configs/datasets].

    Each runs on the schedule of the spec's update_frequency (daily 02:xx, weekly Monday 03:xx, monthly
    on the 1st 04:xx, quarterly, semiannual, annual; 'realtime' every 15 minutes; 'irregular' and
    'never' on demand only), or on the spec's own `schedule:` cron. The minute is spread by dataset
    id. A deployment for the periodic re-assessment (Art. 9) comes with them. Deploying again updates
    them in place.

    Needs a Prefect server (PREFECT_API_URL) and, to run them, a worker for the work pool started
    from this project's virtual environment:

    \b
      export PREFECT_API_URL=http://127.0.0.1:4200/api
      kaifang deploy configs/datasets
      .venv/bin/prefect worker start --pool kaifang
    Or run them without a work pool: `kaifang serve`. See docs/operations.md.
    """
    from pipelines.deploy import (
        build_deployments,
        clear_schedules,
        ensure_work_pool,
        flow_run_environment,
        ui_url,
        unscheduled,
    )

    plans, options = _plan(target, catalog_dir, policy, timezone, retries, retry_delay, reassess_cron, no_reassess,
                           runner=(dask_address, workers))
    click.echo(f"{len(plans)} release deployment(s){'' if no_reassess else ' and the re-assessment'}:")
    _print_plan(plans, options)
    if dry_run:
        return
    api = _need_server()
    options.job_variables = {"working_dir": str(Path.cwd()), "env": {**flow_run_environment(state_dir()),
                                                                      **_project_environment()}}
    if ensure_work_pool(pool):
        click.echo(f"Created the process work pool '{pool}'.")
    for deployment in build_deployments(plans, options, work_pool=pool):
        deployment.apply(work_pool_name=pool)
    clear_schedules(unscheduled(plans))
    click.echo(f"\nDeployed to {api}. Start a worker from this project to run them:\n"
               f"  .venv/bin/prefect worker start --pool {pool}\n"
               f"Runs, schedules and approvals: {ui_url(api)}/deployments")
    if not os.environ.get("KAIFANG_PSEUDONYM_KEY") and not (state_dir() / "pseudonym.key").is_file() \
            and not os.environ.get("KAIFANG_KEY_FILE"):
        click.echo("warning: no pseudonymization key yet; run `kaifang keygen` before the first run.", err=True)


# ----- kaifang serve --------------------------------------------------------------------------------


@click.command()
@click.argument("target", required=False, type=click.Path(path_type=Path))
@_deployment_options
@click.option("--every", type=click.FloatRange(min=1), metavar="SECONDS",
              help="Run every deployment every SECONDS instead of its schedule (for trials).")
@click.option("--limit", type=click.IntRange(1), default=2, show_default=True, help="Runs at the same time.")
@runner_options
def serve(target: Path | None, catalog_dir: Path | None, policy: Path | None, timezone: str, retries: int,
          retry_delay: float, reassess_cron: str, no_reassess: bool, every: float | None, limit: int,
          dask_address: str | None, workers: int | None) -> None:
    """Serve the release deployments of TARGET [default: the project's configs/datasets] from this process.

    Registers the same deployments as `kaifang deploy` (without a work pool) and runs them as
    their schedules come due, until interrupted (Ctrl-C pauses their schedules). Needs a Prefect
    server, which keeps the schedules, runs, logs and the approval forms, and serves the UI:

    \b
      PREFECT_UI_ENABLED=true .venv/bin/prefect server start     # in its own terminal
      export PREFECT_API_URL=http://127.0.0.1:4200/api
      kaifang serve configs/datasets
    A change of open class pauses the run until a steward answers in the UI (Runs → the paused run →
    Resume). See docs/operations.md.
    """
    # Run logs belong in the Prefect UI; this is a service, so say what it does on the console too.
    for name in ("PREFECT_LOGGING_LEVEL", "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL",
                 "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL"):
        os.environ[name] = os.environ.get("KAIFANG_SERVE_LOG_LEVEL", "INFO")
    os.environ["KAIFANG_STATE"] = str(state_dir())  # flow-run processes find the key wherever they start
    os.environ.update(_project_environment())  # … and the project (its lexicon)
    plans, options = _plan(target, catalog_dir, policy, timezone, retries, retry_delay, reassess_cron, no_reassess,
                           every, runner=(dask_address, workers))
    api = _need_server()
    from prefect import serve as prefect_serve

    from pipelines.deploy import build_deployments, clear_schedules, ui_url, unscheduled
    from pipelines.progress import quiet_runner_logs

    quiet_runner_logs()

    click.echo(f"Serving {len(plans)} release deployment(s){'' if no_reassess else ' and the re-assessment'} "
               f"against {api}:")
    _print_plan(plans, options)
    click.echo(f"Runs, schedules and approvals: {ui_url(api)}/deployments  (Ctrl-C stops)", err=False)
    deployments = build_deployments(plans, options)
    clear_schedules(unscheduled(plans))
    prefect_serve(*deployments, limit=limit, print_starting_message=False)


# ----- kaifang approve ------------------------------------------------------------------------------


def _paused_releases(client: Any) -> list[Any]:
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    return client.read_flow_runs(
        flow_filter=FlowFilter(name=FlowFilterName(any_=["release_dataset"])),
        flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))),
    )


@click.command()
@click.argument("flow_run_id", required=False)
@click.option("--steward", metavar="NAME", help="Your name, recorded with the decision.")
@click.option("--reason", metavar="TEXT", help="The grounds of your decision, recorded with it.")
@click.option("--refuse", is_flag=True, help="Refuse the change of class: nothing is published.")
@click.option("--show", is_flag=True, help="Print the decision record the release waits with.")
def approve(flow_run_id: str | None, steward: str | None, reason: str | None, refuse: bool, show: bool) -> None:
    """List releases waiting for a steward, or answer one (what the Prefect UI's Resume form does).

    A scheduled release that would make a dataset more open pauses until a steward approves or
    refuses it; the answer goes into the release record and the audit trail. Needs PREFECT_API_URL.

    \b
    Examples:
      kaifang approve                                          list the waiting releases
      kaifang approve 0192f… --show                            the decision record it waits with
      kaifang approve 0192f… --steward 王敏 --reason "经数据安全小组审议同意"
      kaifang approve 0192f… --steward 王敏 --reason "营业收入区间过细" --refuse
    """
    from uuid import UUID

    from prefect.client.orchestration import get_client

    _need_server()
    with get_client(sync_client=True) as client:
        if flow_run_id is None:
            waiting = _paused_releases(client)
            for run in waiting:
                spec = Path(str(run.parameters.get("spec_path", "?"))).name
                until = run.state.state_details.pause_timeout if run.state else None
                click.echo(f"{run.id}  {run.name:<24} {spec:<32} waiting until {until:%Y-%m-%d %H:%M} UTC"
                           if until else f"{run.id}  {run.name:<24} {spec}")
            if not waiting:
                click.echo("No release is waiting for a steward.")
            return
        try:
            run = client.read_flow_run(UUID(flow_run_id))
        except Exception:
            _fail(f"no flow run {flow_run_id}", 1)
        keyset = run.state.state_details.run_input_keyset if run.state and run.state.is_paused() else None
        if not keyset:
            _fail(f"flow run {flow_run_id} is not waiting for a steward (state {run.state_name})", 1)
        if show:
            click.echo(readable(client.read_flow_run_input(run.id, keyset["description"])))
            return
        if not (steward or "").strip() or not (reason or "").strip():
            _fail("give --steward NAME and --reason TEXT: both are recorded with the decision")
        response = client.resume_flow_run(run.id, run_input={"approve": not refuse, "steward": steward,
                                                             "reason": reason})
    if response.status.value != "ACCEPT":
        _fail(f"the server did not resume {flow_run_id}: {response.details}", 1)
    click.echo(f"{'Refused' if refuse else 'Approved'} as {steward}; the release of {run.name} carries on.")


def readable(stored: Any) -> str:
    """A stored run input as a person reads it: Prefect keeps the decision record (Markdown) as a JSON
    string, which printed raw shows quotes and literal \\n."""
    try:
        value = json.loads(stored) if isinstance(stored, str) else stored
    except ValueError:
        return str(stored)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1)


# ----- kaifang audit --------------------------------------------------------------------------------


def _store(catalog_dir: Path | None, index_url: str | None) -> Any:
    from catalog.store import CatalogStore

    folder = _catalog(catalog_dir)
    if not (folder / "datasets").is_dir():
        _fail(f"no catalog at {folder} (run `kaifang release` first, or pass --catalog DIR)")
    return CatalogStore(folder, index_url)


def _index_options(command: Any) -> Any:
    command = click.option("--index-url", help=INDEX_HELP)(command)
    return click.option("--catalog", "catalog_dir", type=click.Path(path_type=Path), help=CATALOG_HELP)(command)


@click.group()
def audit() -> None:
    """The audit trail: every release attempt, append-only and hash-chained.

    Each entry records when and by whom, the spec and input checksums, the findings, the operators,
    risk before and after, the decision with its checks, the steward's approval, the quality outcome
    and the output checksums (never a data value). Each entry's hash is an HMAC, under the audit key
    kept outside the catalog ($KAIFANG_AUDIT_KEY, $KAIFANG_AUDIT_KEY_FILE or .kaifang/audit.key), of
    its content and the previous entry's hash, so an edited, forged or removed entry breaks the chain.
    `verify` also compares the history rows and the published files with the trail.

    \b
    Examples:
      kaifang audit verify                                 exit 1 and the first bad entry if tampered with
      kaifang audit show jinan-social-insurance-enrolment  a dataset's history
      kaifang audit show jinan-social-insurance-enrolment --json | jq '.[-1].approval'
    """


@audit.command("verify")
@_index_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def audit_verify(catalog_dir: Path | None, index_url: str | None, as_json: bool) -> None:
    """Check every entry's hash and link, and the trail's anchors (exit 1 naming the first bad entry)."""
    store = _store(catalog_dir, index_url)
    result = store.verify_audit()
    problems = result.ordered()
    if as_json:
        click.echo(json.dumps({"ok": result.ok, "entries": result.entries, "head": result.head,
                               "problems": [{"entry": p.seq, "message": p.message} for p in problems],
                               "notes": result.notes}, ensure_ascii=False, indent=1))
    elif result.ok:
        click.echo(f"Audit trail intact: {result.entries} entries in {store.root}.")
        if result.head:
            click.echo(f"Head hash (keep a copy elsewhere to detect a rewritten trail): {result.head}")
    else:
        click.echo(f"Audit trail BROKEN ({len(problems)} problem(s)); first bad: {problems[0].message}", err=True)
        for problem in problems[1:]:
            click.echo(f"  also: {problem.message}", err=True)
    for note in result.notes if not as_json else []:
        click.echo(f"note: {note}", err=True)
    sys.exit(0 if result.ok else 1)


def _class_change(decision: dict[str, Any] | None) -> str:
    if not decision:
        return "-"
    declared, published = decision.get("declared"), decision.get("published")
    return published if declared == published else f"{declared} → {published}"


@audit.command("show")
@click.argument("dataset_id")
@_index_options
@click.option("--json", "as_json", is_flag=True, help="Print the entries as a JSON array, oldest first.")
def audit_show(dataset_id: str, catalog_dir: Path | None, index_url: str | None, as_json: bool) -> None:
    """Print a dataset's audit history, oldest first: one entry per release attempt."""
    store = _store(catalog_dir, index_url)
    try:
        items = store.audit_entries(dataset_id)
    except ValueError as problem:
        _fail(str(problem))
    if as_json:
        click.echo(json.dumps([e.as_dict() for e in items], ensure_ascii=False, indent=1))
        return
    if not items:
        _fail(f"no audit entries for {dataset_id} in {store.root}", 1)
    for item in items:
        e = item.entry
        version = f"v{e['version']}" if e.get("version") else "-"
        approval = e.get("approval")
        approved = ""
        if approval:
            verdict = "approved" if approval.get("approved") else "NOT approved"
            approved = f"  {verdict} by {approval.get('steward') or 'nobody'} ({approval.get('via')})"
        click.echo(f"#{item.seq:<4} {e.get('at', '')}  {e.get('status', ''):<10} {version:<4} "
                   f"{_class_change(e.get('decision'))}{approved}  [{e.get('actor') or '?'}]")
        risk_before, risk_after = e.get("risk_before") or {}, e.get("risk_after") or {}
        details = [f"spec {str(e.get('spec_sha256') or '')[:12]}", f"input {str(e.get('input_sha256') or '-')[:12]}"]
        if risk_after:
            details.append(f"risk {risk_before.get('prosecutor_highest', 0):.3f} → "
                           f"{risk_after.get('prosecutor_highest', 0):.3f}")
        if e.get("quality"):
            details.append("quality " + ("passed" if e["quality"].get("passed") else "FAILED"))
        if e.get("outputs"):
            details.append("outputs " + ", ".join(f"{o['path']} {o['sha256'][:12]}" for o in e["outputs"]))
        click.echo("      " + "; ".join(details))
        if e.get("failure"):
            click.echo(f"      {e.get('failed_stage')}: {e['failure']}")
        if approval and approval.get("reason"):
            click.echo(f"      approval: {approval['reason']}")


# ----- kaifang reassess -----------------------------------------------------------------------------


@click.command()
@click.argument("target", required=False, type=click.Path(path_type=Path))
@click.option("--catalog", "catalog_dir", type=click.Path(path_type=Path), help=CATALOG_HELP)
@click.option("--policy", type=click.Path(path_type=Path), help=POLICY_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the report rows as JSON.")
def reassess(target: Path | None, catalog_dir: Path | None, policy: Path | None, as_json: bool) -> None:
    """Which not-open and conditional datasets would now qualify for a more open class (Art. 9)?

    For each spec in TARGET [default: the project's configs/datasets] whose dataset is not open or conditional
    now (in the catalog, else as declared), reruns extract → detect → classify → desensitize →
    verify → decide in a scratch folder with the target one step more open, and reports the
    decision and its failed checks. Publishes nothing; the scratch files are deleted. Exit code 0,
    or 1 when a dataset could not be assessed.

    \b
    Examples:
      kaifang reassess
      kaifang reassess configs/datasets --catalog /srv/open-data --json
    """
    from pipelines.prefect_server import PrefectStartupError, prefect_session
    from pipelines.spec import SpecError, load_policy

    target, policy = _specs_and_policy(target, policy)
    if not target.exists():
        _fail(f"no such spec file or folder: {target}")
    try:
        load_policy(policy)
    except SpecError as problem:
        _fail(str(problem))
    try:
        with prefect_session(preload=["pipelines.reassess"]):  # imported while the API server boots
            from pipelines.reassess import reassess_catalog

            rows = reassess_catalog(str(target.resolve()), str(_catalog(catalog_dir)), str(policy.resolve()))
    except PrefectStartupError as exc:
        _fail(f"nothing was assessed: {exc}", code=1)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
    else:
        from pipelines.reassess import report_rows

        for dataset, now, could_be, result, why in report_rows(rows):
            click.echo(f"{dataset}\n  now {now}; could be {could_be}: {result}\n  {why}")
        qualifying = [r["dataset"] for r in rows if r["status"] == "qualifies"]
        click.echo(f"\n{len(qualifying)} dataset(s) now qualify for a more open class"
                   + (f": {', '.join(qualifying)}" if qualifying else "") + ". Nothing was published.")
    sys.exit(1 if any(r["status"] == "failed" for r in rows) else 0)


commands: list[click.Command] = [deploy, serve, approve, audit, reassess]
