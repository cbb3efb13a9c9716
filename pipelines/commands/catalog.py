"""`kaifang catalog`, `portal`, `access` and `objections`: what is published, and the desks around it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from catalog.vocab import CLASS_ZH

CATALOG_HELP = "Catalog folder [default: $KAIFANG_CATALOG, else the project's catalog-out]."
INDEX_HELP = "SQLAlchemy URL of the index [default: $KAIFANG_INDEX_URL or SQLite in the catalog folder]."


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _store(catalog_dir: Path | None, index_url: str | None, must_exist: bool = True) -> Any:
    from catalog.store import CatalogStore
    from pipelines.project import catalog_dir as project_catalog

    folder = project_catalog(catalog_dir)
    if must_exist and not (folder / "datasets").is_dir():
        _fail(f"no catalog at {folder} (run `kaifang release` first, or pass --catalog DIR)")
    return CatalogStore(folder, index_url)


def _catalog_options(command: Any) -> Any:
    command = click.option("--index-url", help=INDEX_HELP)(command)
    return click.option("--catalog", "catalog_dir", type=click.Path(path_type=Path), help=CATALOG_HELP)(command)


def _day(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


# ----- kaifang catalog ----------------------------------------------------------------------------


@click.group()
def catalog() -> None:
    """Inspect the published catalog: datasets, versions, metadata.

    \b
    Examples:
      kaifang catalog list                       one line per dataset
      kaifang catalog list --json | jq '.[].id'  for scripts
      kaifang catalog show bus-ridership         the catalog entry and release history
      kaifang catalog validate bus-ridership     re-check the published files with Frictionless
      kaifang catalog shacl                      check the DCAT-AP metadata with the official shapes
    """


@catalog.command("list")
@_catalog_options
@click.option("--json", "as_json", is_flag=True, help="Print the summaries as a JSON array.")
def list_datasets(catalog_dir: Path | None, index_url: str | None, as_json: bool) -> None:
    """List every dataset the catalog knows: class, latest version, last attempt."""
    store = _store(catalog_dir, index_url)
    summaries = store.datasets()
    if as_json:
        click.echo(json.dumps([s.model_dump(mode="json") for s in summaries], ensure_ascii=False, indent=1))
        return
    if not summaries:
        click.echo(f"No datasets in {store.root}.")
        return
    for s in summaries:
        cls = CLASS_ZH.get(s.published_class or "", "未发布")
        version = f"v{s.latest_version}" if s.latest_version else "-"
        line = f"{s.id:<32} {version:>4}  {cls:<6} {_day(s.modified)}  {','.join(s.formats) or '-':<17} {s.title}"
        if s.last_status and s.last_status != "published":
            line += f"  [last attempt {s.last_status}: {s.last_failure or ''}]"
        click.echo(line)


@catalog.command("show")
@click.argument("dataset_id")
@_catalog_options
@click.option("--json", "as_json", is_flag=True, help="Print the latest release record as JSON.")
def show(dataset_id: str, catalog_dir: Path | None, index_url: str | None, as_json: bool) -> None:
    """Show a dataset's Chinese catalog entry, files and release history."""
    store = _store(catalog_dir, index_url)
    try:
        record = store.latest(dataset_id)
    except ValueError as error:
        _fail(str(error))
    if record is None:
        _fail(f"{dataset_id} has no published release in {store.root}", 1)
    if as_json:
        click.echo(record.model_dump_json(indent=1))
        return
    for key, value in (record.catalog_entry or {}).items():
        if key == "信息项":
            continue
        click.echo(f"{key}: {'、'.join(value) if isinstance(value, list) else value}")
    click.echo("信息项:")
    for item in (record.catalog_entry or {}).get("信息项", []):
        click.echo(f"  {item['名称']} ({item['类型']}) {item['说明']}")
    click.echo(f"\nFiles ({record.release_path}):")
    for output in record.outputs:
        click.echo(f"  {output.path:<20} {output.bytes:>10} B  sha256 {output.sha256}")
    click.echo("\nHistory:")
    for past in store.history(dataset_id):
        version = f"v{past.version}" if past.version else "  -"
        when = _day(past.published_at or past.finished_at)
        click.echo(f"  {version:>4} {past.status:<10} {when} {past.failure or ''}")


@catalog.command("validate")
@click.argument("dataset_id")
@_catalog_options
def validate(dataset_id: str, catalog_dir: Path | None, index_url: str | None) -> None:
    """Re-validate the latest release's files against its datapackage.json (exit 1 on problems)."""
    from catalog.datapackage import validate_package

    store = _store(catalog_dir, index_url)
    record = store.latest(dataset_id)
    if record is None:
        _fail(f"{dataset_id} has no published release", 1)
    if not record.outputs:
        click.echo(f"{dataset_id} v{record.version}: catalog entry only (not open), nothing to validate.")
        return
    problems = validate_package(store.root / (record.release_path or ""))
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(f"{dataset_id} v{record.version}: {'valid' if not problems else f'{len(problems)} problem(s)'}")
    sys.exit(1 if problems else 0)


@catalog.command("shacl")
@click.option(
    "--shapes",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of the DCAT-AP 3.0.1 SHACL shapes [default: $KAIFANG_DCAT_AP_SHAPES or "
    "../shared/reference/dcat-ap-3.0.1-shacl].",
)
@_catalog_options
def shacl(shapes: Path | None, catalog_dir: Path | None, index_url: str | None) -> None:
    """Check catalog.jsonld and every dataset.jsonld with the official DCAT-AP 3.0.1 SHACL shapes.

    Runs offline (the EU code lists the shapes import ship with Kaifang). Prints one line per
    document with violations and warnings per shapes file, then the first violations.
    Exit 0: no violation (warnings allowed); 1: violations; 2: no catalog or no shapes.

    \b
    Example:
      kaifang catalog shacl --shapes ../shared/reference/dcat-ap-3.0.1-shacl
    """
    from catalog.shacl import SHAPE_FILES, check_catalog, shapes_dir

    folder = shapes or shapes_dir(Path.cwd())
    if folder is None or not (folder / SHAPE_FILES["mandatory"]).is_file():
        _fail("DCAT-AP 3.0.1 shapes not found: pass --shapes DIR (the folder holding shapes.ttl)")
    store = _store(catalog_dir, index_url)
    results = check_catalog(store.root, folder)
    violations: list[str] = []
    for path, reports in results.items():
        click.echo(f"{path.relative_to(store.root)}: " + "; ".join(r.summary() for r in reports.values()))
        violations.extend(line for r in reports.values() for line in r.violations)
    for line in violations[:20]:
        click.echo(f"violation: {line}", err=True)
    sys.exit(1 if violations else 0)


@catalog.command("repair")
@_catalog_options
def repair(catalog_dir: Path | None, index_url: str | None) -> None:
    """Reconcile release folders, pointers and index after a crash (also done before every publish)."""
    store = _store(catalog_dir, index_url)
    actions = store.repair()
    click.echo("\n".join(actions) if actions else "Nothing to repair.")


@catalog.command("push")
@click.argument("dataset_ids", nargs=-1)
@_catalog_options
def push(dataset_ids: tuple[str, ...], catalog_dir: Path | None, index_url: str | None) -> None:
    """Push the latest releases (all, or the DATASET_IDS given) to CKAN.

    Needs KAIFANG_CKAN_URL and KAIFANG_CKAN_KEY (and KAIFANG_CKAN_ORG for the owner organisation).
    Publishing already pushes when those are set; use this after a CKAN outage. The package name is
    the dataset id, so pushing again updates the same package.
    """
    from catalog.ckan import CkanTarget
    from catalog.ckan import push as push_release

    target = CkanTarget.from_env()
    if target is None:
        _fail("set KAIFANG_CKAN_URL and KAIFANG_CKAN_KEY to push to CKAN")
    store = _store(catalog_dir, index_url)
    client = target.client()
    failed = 0
    for dataset_id in dataset_ids or tuple(store.dataset_ids()):
        record = store.latest(dataset_id)
        if record is None:
            click.echo(f"{dataset_id}: no published release", err=True)
            failed += 1
            continue
        try:
            click.echo(f"{dataset_id}: {push_release(record, client, store.base_url, target.owner_org)}")
        except Exception as error:  # noqa: BLE001 - report and carry on with the others
            click.echo(f"{dataset_id}: push failed ({type(error).__name__}: {error})", err=True)
            failed += 1
    sys.exit(1 if failed else 0)


# ----- kaifang portal -----------------------------------------------------------------------------


@click.command()
@_catalog_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--base-url", help="Public URL used in DCAT links [default: $KAIFANG_BASE_URL or http://localhost:PORT].")
def portal(catalog_dir: Path | None, index_url: str | None, host: str, port: int, base_url: str | None) -> None:
    """Serve the open-data portal (Chinese UI) over a catalog folder.

    Lists datasets with filters and search, shows each catalog entry with its fields, files,
    history, quality report and decision, serves /catalog.jsonld and per-dataset DCAT and Data
    Package files to harvesters. Conditional datasets are downloaded with an approved access
    token; objections are filed and answered on the dataset pages.

    Steward pages (/steward) are enabled when KAIFANG_STEWARD_TOKEN is set; stewards log in with it.
    Data requests (/requests) and opening plans (/plans, from configs/plans) are public; the review
    chain's roles log in at /review/login with the tokens in the variables the policy's review_chain
    names (KAIFANG_AGENCY_TOKEN, KAIFANG_AUTHORITY_TOKEN, KAIFANG_EXPERT_TOKEN). docs/governance.md.

    \b
    Examples:
      kaifang portal
      KAIFANG_STEWARD_TOKEN=$(openssl rand -hex 16) kaifang portal --catalog /srv/open-data --port 8080
    """
    import uvicorn

    from catalog.portal import create_app

    store = _store(catalog_dir, index_url, must_exist=False)
    url = base_url or os.environ.get("KAIFANG_BASE_URL") or f"http://localhost:{port}"
    token = os.environ.get("KAIFANG_STEWARD_TOKEN") or None
    click.echo(
        f"Kaifang portal on http://{host}:{port}/ (catalog {store.root}; steward pages "
        f"{'on' if token else 'off: set KAIFANG_STEWARD_TOKEN'})"
    )
    uvicorn.run(create_app(store, url, token), host=host, port=port, log_level="warning")


# ----- kaifang access -----------------------------------------------------------------------------


@click.group()
def access() -> None:
    """Applications for conditionally open datasets (Art. 13/14): list, approve, reject.

    \b
    Examples:
      kaifang access list --status pending
      kaifang access approve a1b2c3d4e5f6 --note "用途符合要求"     prints the access token
      kaifang access reject a1b2c3d4e5f6 --note "用途不明确"
    """


@access.command("list")
@_catalog_options
@click.option("--status", type=click.Choice(["pending", "approved", "rejected"]), help="Only this status.")
@click.option("--json", "as_json", is_flag=True)
def access_list(catalog_dir: Path | None, index_url: str | None, status: str | None, as_json: bool) -> None:
    """List applications, newest first."""
    from catalog import access as desk

    items = desk.list_applications(_store(catalog_dir, index_url), status)
    if as_json:
        click.echo(json.dumps([a.model_dump(mode="json") for a in items], ensure_ascii=False, indent=1))
        return
    for a in items:
        click.echo(
            f"{a.id}  {a.status:<8} {a.dataset_id:<28} {a.applicant} / {a.organisation}  "
            f"{a.term_days}d × {a.requested_count} (used {a.downloads_used})  {a.purpose[:40]}"
        )
    if not items:
        click.echo("No applications.")


def _decide(app_id: str, approve: bool, note: str, catalog_dir: Path | None, index_url: str | None) -> None:
    from catalog import access as desk

    try:
        application, token = desk.decide(_store(catalog_dir, index_url), app_id, approve, note)
    except desk.NotFound:
        _fail(f"no application {app_id}", 1)
    except desk.AccessDenied as denied:
        _fail(str(denied), 1)
    if token:
        click.echo(
            f"Approved {application.id} until {application.expires_at:%Y-%m-%d %H:%M} UTC, "
            f"{application.requested_count} download(s)."
        )
        click.echo(f"Access token (shown once; the applicant can also collect it on their status page):\n{token}")
    else:
        click.echo(f"Rejected {application.id}.")


@access.command("approve")
@click.argument("app_id")
@click.option("--note", default="", help="Steward's note, shown to the applicant.")
@_catalog_options
def approve(app_id: str, note: str, catalog_dir: Path | None, index_url: str | None) -> None:
    """Approve a pending application and print its access token."""
    _decide(app_id, True, note, catalog_dir, index_url)


@access.command("reject")
@click.argument("app_id")
@click.option("--note", default="", help="Reason, shown to the applicant.")
@_catalog_options
def reject(app_id: str, note: str, catalog_dir: Path | None, index_url: str | None) -> None:
    """Reject a pending application."""
    _decide(app_id, False, note, catalog_dir, index_url)


# ----- kaifang objections -------------------------------------------------------------------------


@click.group()
def objections() -> None:
    """Objections to published data (Art. 12): list them and answer in public.

    \b
    Examples:
      kaifang objections list --open
      kaifang objections answer o1a2b3c4d5e6 "已核实并在第 3 版中更正"
    """


@objections.command("list")
@_catalog_options
@click.option("--open", "only_open", is_flag=True, help="Only objections still waiting for an answer.")
@click.option("--json", "as_json", is_flag=True)
def objections_list(catalog_dir: Path | None, index_url: str | None, only_open: bool, as_json: bool) -> None:
    """List objections, newest first."""
    from catalog import objections as desk

    items = desk.list_objections(_store(catalog_dir, index_url), status="open" if only_open else None)
    if as_json:
        click.echo(json.dumps([o.model_dump(mode="json") for o in items], ensure_ascii=False, indent=1))
        return
    for o in items:
        click.echo(f"{o.id}  {o.status:<8} {o.dataset_id:<28} [{o.field or '整个数据集'}] {o.description[:60]}")
        if o.answer:
            click.echo(f"    答复: {o.answer}")
    if not items:
        click.echo("No objections.")


@objections.command("answer")
@click.argument("objection_id")
@click.argument("text")
@_catalog_options
def objections_answer(objection_id: str, text: str, catalog_dir: Path | None, index_url: str | None) -> None:
    """Answer an objection; the answer appears on the dataset page."""
    from catalog import objections as desk

    try:
        done = desk.answer(_store(catalog_dir, index_url), objection_id, text)
    except desk.NotFound:
        _fail(f"no objection {objection_id}", 1)
    except ValueError as problem:
        _fail(str(problem))
    click.echo(f"Answered {done.id}.")


commands: list[click.Command] = [catalog, portal, access, objections]
