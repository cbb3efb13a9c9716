"""`kaifang requests`, `plans`, `review`, `access revoke`, `audit events`: the governance desks around
releases (docs/governance.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from pipelines.commands.catalog import _catalog_options, _day, _fail, _store
from pipelines.commands.catalog import access as access_group
from pipelines.commands.ops import audit as audit_group


def operator_name() -> str:
    """Who ran the command, for the audit trail (imported late: pipelines.approval loads Prefect)."""
    from pipelines.approval import operator_name as name

    return name()


# ----- kaifang requests ---------------------------------------------------------------------------


@click.group("requests")
def requests_group() -> None:
    """Data requests from the public (Art. 10 ¶3, Art. 20(二)): list, assign to an agency, answer.

    Requests are filed on the portal (/requests/new). The agency answers in public within the policy's
    request_response_days; requests past that without an answer are flagged OVERDUE.

    \b
    Examples:
      kaifang requests list --overdue
      kaifang requests assign r1a2b3c4d5e6 --agency 济南市交通运输局
      kaifang requests answer r1a2b3c4d5e6 accepted --planned 2027-03-31 --text "列入2027年开放计划"
      kaifang requests answer r1a2b3c4d5e6 refused --text "涉及国家安全，依法不予开放"
      kaifang requests answer r1a2b3c4d5e6 fulfilled --dataset bus-ridership
    """


@requests_group.command("list")
@_catalog_options
@click.option("--status", type=click.Choice(["received", "under_review", "accepted", "refused", "fulfilled"]))
@click.option("--overdue", "overdue_only", is_flag=True, help="Only requests past their deadline (or planned date).")
@click.option("--json", "as_json", is_flag=True, help="Print the requests as JSON (with contacts: for stewards).")
def requests_list(catalog_dir: Path | None, index_url: str | None, status: str | None, overdue_only: bool,
                  as_json: bool) -> None:
    """List requests, newest first, with their deadline; OVERDUE marks those unanswered past it."""
    from catalog import requests as desk

    items = desk.list_requests(_store(catalog_dir, index_url), status, overdue_only)
    if as_json:
        click.echo(json.dumps([r.model_dump(mode="json") | {"overdue": r.overdue(), "late": r.late()} for r in items],
                              ensure_ascii=False, indent=1))
        return
    for r in items:
        flag = "  OVERDUE" if r.overdue() else ("  LATE (planned " + str(r.planned_date) + ")" if r.late() else "")
        click.echo(f"{r.id}  {r.status:<12} due {_day(r.due_at)}  {r.agency or '(unassigned)'}  "
                   f"{r.dataset_id or '-'}  {r.title[:40]}{flag}")
    overdue = sum(1 for r in items if r.overdue())
    click.echo(f"{len(items)} request(s), {overdue} overdue." if items else "No requests.")


@requests_group.command("assign")
@click.argument("request_id")
@click.option("--agency", required=True, help="The agency that is to answer it.")
@_catalog_options
def requests_assign(request_id: str, agency: str, catalog_dir: Path | None, index_url: str | None) -> None:
    """Send a request to the agency that holds the data (the big-data authority's choice)."""
    from catalog import requests as desk

    try:
        done = desk.assign(_store(catalog_dir, index_url), request_id, agency, operator_name())
    except desk.NotFound:
        _fail(f"no request {request_id}", 1)
    except desk.RequestError as problem:
        _fail(str(problem))
    click.echo(f"{done.id} assigned to {done.agency} ({done.status}).")


@requests_group.command("answer")
@click.argument("request_id")
@click.argument("status", type=click.Choice(["under_review", "accepted", "refused", "fulfilled"]))
@click.option("--text", default="", help="The public answer (the reasons, for refused).")
@click.option("--planned", type=click.DateTime(["%Y-%m-%d"]), help="Planned opening date (accepted).")
@click.option("--dataset", "dataset_id", help="The published dataset that fulfils it (fulfilled).")
@_catalog_options
def requests_answer(request_id: str, status: str, text: str, planned: object, dataset_id: str | None,
                    catalog_dir: Path | None, index_url: str | None) -> None:
    """Give the public answer to a request; refused and fulfilled close it."""
    from catalog import requests as desk

    planned_date: date | None = planned.date() if planned is not None else None  # type: ignore[attr-defined]
    try:
        done = desk.answer(_store(catalog_dir, index_url), request_id, status, text, operator_name(), planned_date,
                           dataset_id)
    except desk.NotFound:
        _fail(f"no request {request_id}", 1)
    except desk.RequestError as problem:
        _fail(str(problem))
    click.echo(f"{done.id}: {done.status}" + (f" (release v{done.release_version})" if done.release_version else ""))


# ----- kaifang access revoke ----------------------------------------------------------------------


@access_group.command("revoke")
@click.argument("app_id")
@click.option("--violation", required=True, help="The breach of the use agreement, shown to the user.")
@click.option("--steward", help="Who decides [default: the operator's login name].")
@_catalog_options
def access_revoke(app_id: str, violation: str, steward: str | None, catalog_dir: Path | None,
                  index_url: str | None) -> None:
    """End a user's conditional access for a violation (Art. 19, 21): every token of the applicant's
    identity stops at once and new applications from it are refused."""
    from catalog import access as desk

    try:
        ids = desk.revoke(_store(catalog_dir, index_url), app_id, violation, steward or operator_name())
    except desk.NotFound:
        _fail(f"no application {app_id}", 1)
    except desk.AccessDenied as denied:
        _fail(str(denied))
    click.echo(f"Revoked {len(ids)} application(s): {', '.join(ids) or 'none active'}; later applications from "
               "this user are refused.")


# ----- kaifang plans ------------------------------------------------------------------------------

DEFAULT_PLANS = "configs/plans"


def _load_plans(folder: Path) -> list[Any]:
    from pipelines.plans import load_plans
    from pipelines.spec import SpecError

    if not folder.exists():
        _fail(f"no such plan file or folder: {folder}")
    try:
        return load_plans(folder)
    except SpecError as problem:
        _fail(str(problem))
    raise AssertionError("unreachable")


@click.group("plans")
def plans_group() -> None:
    """Annual opening plans (Art. 10 ¶1-2, Art. 11): YAML files in configs/plans/, one per agency and year.

    A planned dataset is opened by its first release in an open class (matched by dataset id); the
    report counts, per agency, the datasets planned, opened on time, late, in a lower class, overdue.

    \b
    Examples:
      kaifang plans check
      kaifang plans report --year 2026
      kaifang plans adopt configs/plans/2026-jinan-hrss.yaml
    """


@plans_group.command("check")
@click.argument("folder", required=False, default=DEFAULT_PLANS, type=click.Path(path_type=Path))
def plans_check(folder: Path) -> None:
    """Validate every plan (exit 2 with one line naming the file and the key)."""
    plans = _load_plans(folder)
    click.echo(f"{len(plans)} plan(s), {sum(len(p.plan.datasets) for p in plans)} planned dataset(s): valid.")


@plans_group.command("report")
@click.argument("folder", required=False, default=DEFAULT_PLANS, type=click.Path(path_type=Path))
@click.option("--year", type=int, help="Only this plan year.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Report as of this date [default: today, UTC].")
@_catalog_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary and the rows as JSON.")
def plans_report(folder: Path, year: int | None, today: object, catalog_dir: Path | None, index_url: str | None,
                 as_json: bool) -> None:
    """Planned against opened on time, per agency (and each planned dataset's state)."""
    from catalog.record import utc_now
    from pipelines.plans import plan_rows, report

    plans = _load_plans(folder)
    day = today.date() if today is not None else utc_now().date()  # type: ignore[attr-defined]
    rows = plan_rows(_store(catalog_dir, index_url, must_exist=False), plans, day, year)
    summary = report(rows)
    if as_json:
        click.echo(json.dumps({"as_of": day.isoformat(), "agencies": summary, "datasets": rows},
                              ensure_ascii=False, indent=1))
        return
    click.echo(f"Opening plans as of {day} (planned / opened / on time / late / lower class / overdue / pending):")
    for s in summary:
        click.echo(f"  {s['year']} {s['agency']}: {s['planned']} / {s['opened']} / {s['on_time']} / {s['late']} / "
                   f"{s['lower_class']} / {s['overdue']} / {s['pending']}  ({s['on_time_share']:.0%} on time)")
    for r in rows:
        click.echo(f"    {r['id']:<36} {r['priority']:<4} {r['class_sought']:<13} planned {r['planned']}  "
                   f"{r['status']}" + (f" (opened {r['opened']})" if r["opened"] else ""))
    if not rows:
        click.echo("  no planned datasets.")


@plans_group.command("adopt")
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False))
@_catalog_options
def plans_adopt(plan_file: Path, catalog_dir: Path | None, index_url: str | None) -> None:
    """Record a plan's adoption (its checksum and datasets) in the audit trail."""
    from catalog.events import Event, transact

    loaded = _load_plans(plan_file)[0]
    plan = loaded.plan
    event = Event("plan", f"{plan.agency}/{plan.year}", "adopted", operator_name(), None,
                  {"sha256": loaded.sha256, "file": loaded.path.name, "agency": plan.agency, "year": plan.year,
                   "datasets": [d.model_dump(mode="json") for d in plan.datasets]})
    transact(_store(catalog_dir, index_url, must_exist=False), lambda _conn: (None, event))
    click.echo(f"Adopted the {plan.year} plan of {plan.agency} ({len(plan.datasets)} dataset(s)); "
               f"sha256 {loaded.sha256[:16]}… is in the audit trail.")


# ----- kaifang review -----------------------------------------------------------------------------

ROLE_CHOICE = click.Choice(["agency_steward", "authority_reviewer", "expert_panel"])
CLASS_CHOICE = click.Choice(["not_open", "conditional", "unconditional"])


def _checklists() -> Any:
    from catalog.reviews import Checklists
    from pipelines.spec import SpecError, load_policy

    try:
        chain = load_policy(Path("configs/policy.yaml"))[0].review_chain if Path("configs/policy.yaml").is_file() \
            else None
    except SpecError as problem:
        _fail(str(problem))
    return Checklists(tuple(chain.formal_review), tuple(chain.technical_check)) if chain else Checklists.default()


def _print_case(case: Any) -> None:
    from catalog.reviews import ACTION_ZH, ROLE_ZH

    due = f", waiting for {case.role_due}" if case.role_due else ""
    click.echo(f"{case.id}  {case.dataset_id}  {case.current_class or '-'} -> {case.class_on_the_table}  "
               f"{case.stage} / {case.status}{due}")
    for step in case.steps:
        ticks = "" if step.checklist is None else f"  [{sum(step.checklist.values())}/{len(step.checklist)} ticked]"
        click.echo(f"    {_day(step.at)} {ROLE_ZH[step.role]} {ACTION_ZH[step.action]} {step.open_class or ''} "
                   f"({step.actor}): {step.note}{ticks}")


@click.group("review")
def review_group() -> None:
    """The review chain of an open class (Art. 8 ¶4-5, Art. 18), for stewards at the command line.

    The agency submits a class and its basis; the authority agrees or proposes another class (back to
    the agency, which accepts or maintains it: then the expert panel decides); before opening, the
    formal review and the technical check tick the policy's checklists. The portal gives each role its
    own login and page (/review/login); here the operator names the role, and is recorded as its actor.

    \b
    Examples:
      kaifang review submit court-cases not_open --note "涉及个人隐私，依第六条不予开放"
      kaifang review act v1a2b3c4d5e6 authority_reviewer propose --class conditional --note "脱敏后可有条件开放"
      kaifang review act v1a2b3c4d5e6 authority_reviewer pass --check all --note "形式审查通过"
      kaifang review list --waiting expert_panel
    """


@review_group.command("list")
@click.option("--waiting", type=ROLE_CHOICE, help="Only the open cases waiting for this role.")
@_catalog_options
@click.option("--json", "as_json", is_flag=True)
def review_list(waiting: str | None, catalog_dir: Path | None, index_url: str | None, as_json: bool) -> None:
    """List review cases, newest first, with their steps."""
    from catalog import reviews

    cases = reviews.list_reviews(_store(catalog_dir, index_url), waiting)
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in cases], ensure_ascii=False, indent=1, default=str))
        return
    for case in cases:
        _print_case(case)
    if not cases:
        click.echo("No review cases.")


@review_group.command("submit")
@click.argument("dataset_id")
@click.argument("open_class", type=CLASS_CHOICE)
@click.option("--note", required=True, help="The basis of the class (Art. 6-8).")
@_catalog_options
def review_submit(dataset_id: str, open_class: str, note: str, catalog_dir: Path | None, index_url: str | None
                  ) -> None:
    """The agency steward's class and basis for a dataset: opens a case at the authority."""
    from catalog import reviews

    try:
        case = reviews.submit(_store(catalog_dir, index_url), dataset_id, open_class, note,
                              f"agency_steward {operator_name()}")
    except ValueError as problem:
        _fail(str(problem))
    _print_case(case)


@review_group.command("act")
@click.argument("review_id")
@click.argument("role", type=ROLE_CHOICE)
@click.argument("action", type=click.Choice(["agree", "propose", "accept", "maintain", "decide", "pass", "fail"]))
@click.option("--note", required=True, help="The grounds of this step.")
@click.option("--class", "open_class", type=CLASS_CHOICE, help="The class proposed (propose) or decided (decide).")
@click.option("--check", "checks", multiple=True, help="A checklist item ticked (repeat), or 'all'.")
@_catalog_options
def review_act(review_id: str, role: str, action: str, note: str, open_class: str | None, checks: tuple[str, ...],
               catalog_dir: Path | None, index_url: str | None) -> None:
    """One step of the chain by ROLE (refused out of turn, without a note, or with a checklist item unticked)."""
    from catalog import reviews

    store = _store(catalog_dir, index_url)
    lists = _checklists()
    try:
        stage = reviews.get(store, review_id).stage
        ticked = list(lists.items(stage)) if "all" in checks else list(checks)
        case = reviews.act(store, review_id, role, action, note, f"{role} {operator_name()}", open_class, ticked,
                           lists)
    except reviews.NotFound:
        _fail(f"no review case {review_id}", 1)
    except reviews.ReviewError as problem:
        _fail(str(problem), 1)
    _print_case(case)


# ----- kaifang audit events -----------------------------------------------------------------------


@audit_group.command("events")
@click.option("--kind", type=click.Choice(["request", "access", "plan", "review"]), help="Only this desk's events.")
@click.option("--subject", help="Only the events of one request, application, plan or review case.")
@_catalog_options
@click.option("--json", "as_json", is_flag=True, help="Print the entries as a JSON array, oldest first.")
def audit_events(kind: str | None, subject: str | None, catalog_dir: Path | None, index_url: str | None,
                 as_json: bool) -> None:
    """The governance events in the audit trail, oldest first (requests, revocations, plans, reviews)."""
    from catalog.events import trail

    items = trail(_store(catalog_dir, index_url), kind, subject)
    if as_json:
        click.echo(json.dumps([e.as_dict() for e in items], ensure_ascii=False, indent=1))
        return
    for item in items:
        e, event = item.entry, item.entry.get("event", {})
        details = {k: v for k, v in event.items() if k != "action" and v not in (None, "", [], {})}
        click.echo(f"#{item.seq:<4} {e.get('at', '')}  {item.status:<8} {e.get('run_id')}  {event.get('action')}  "
                   f"[{e.get('actor')}]  {json.dumps(details, ensure_ascii=False)[:200]}")
    if not items:
        click.echo("No governance events.")


commands: list[click.Command] = [requests_group, plans_group, review_group]
