"""`kaifang requests`, `access revoke`: the governance desks around releases (docs/governance.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from pipelines.commands.catalog import _catalog_options, _day, _fail, _store
from pipelines.commands.catalog import access as access_group


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


commands: list[click.Command] = [requests_group]
