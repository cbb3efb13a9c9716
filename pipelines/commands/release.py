"""`kaifang release`, `check`, `samples` and `keygen`: running releases and preparing for them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from pipelines.environment import state_dir

DEFAULT_POLICY = "configs/policy.yaml"
CATALOG_HELP = "Catalog folder to publish into [default: $KAIFANG_CATALOG or ./catalog-out]."


def default_catalog() -> Path:
    from catalog.store import default_catalog_dir

    return Path(default_catalog_dir())


EXIT_USAGE = 2


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.command()
@click.argument("targets", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--catalog", "catalog_dir", type=click.Path(path_type=Path), help=CATALOG_HELP)
@click.option("--policy", type=click.Path(path_type=Path), default=DEFAULT_POLICY, show_default=True,
              help="Release policy: entity defaults, class thresholds.")
@click.option("--json", "as_json", is_flag=True, help="Print the release records as JSON instead of a summary.")
@click.option("--approve-as", metavar="NAME",
              help="Steward who approves any change of open class in this run [default: you, the operator].")
@click.option("--approve-reason", metavar="TEXT", help="Grounds of that approval, kept in the record and audit trail.")
@click.option("--wait-for-approval", is_flag=True,
              help="Pause a change of class until a steward decides in the Prefect UI (needs PREFECT_API_URL).")
@click.option("--retries", type=click.IntRange(0, 10), default=2, show_default=True,
              help="Retries of a SQL source that cannot be reached (never of a bad file).")
@click.option("--retry-delay", type=click.FloatRange(0), default=5.0, show_default=True,
              help="Seconds before the first retry; doubled for each next one.")
def release(targets: tuple[Path, ...], catalog_dir: Path | None, policy: Path, as_json: bool, approve_as: str | None,
            approve_reason: str | None, wait_for_approval: bool, retries: int, retry_delay: float) -> None:
    """Release datasets: each TARGET is a spec file or a folder of specs.

    Every dataset goes extract → detect → classify → desensitize → verify → validate → publish.
    A dataset that fails or is refused publishes nothing and the catalog keeps its previous
    release; the others carry on. Exit code 0 only when every dataset was published (or is
    unchanged since its last release), 1 when one failed or was refused, 2 for bad usage or an invalid spec.

    A release that makes a dataset more open than it is now (not open → conditional, …) needs a
    steward's approval unless the policy pre-approves it: run by hand, you (or --approve-as NAME)
    approve it, and the record and audit trail say so; scheduled deployments wait for a steward
    (docs/operations.md).

    \b
    Examples:
      kaifang release configs/datasets
      kaifang release configs/datasets/social-insurance.yaml --catalog /srv/open-data
      kaifang release configs/datasets --approve-as 王敏 --approve-reason "经数据安全小组审议同意"
    """
    from pipelines.prefect_api import configured_api, prefect_api
    from pipelines.spec import spec_paths

    catalog_dir = (catalog_dir or default_catalog()).resolve()
    if not policy.is_file():
        _fail(f"policy file not found: {policy}")
    for target in targets:
        if not target.exists():
            _fail(f"no such spec file or folder: {target}")
        if not spec_paths(target):
            _fail(f"no spec files (*.yaml) in {target}")
    if wait_for_approval and not configured_api():
        _fail("--wait-for-approval needs a Prefect server a steward can reach: start one and set PREFECT_API_URL "
              "(see docs/operations.md)")
    with prefect_api() as api:  # the server boots while the flow's modules are imported
        from pipelines.flows import release_folder

        if api is not None:
            api.wait()
        results = []
        for target in targets:
            results.extend(release_folder(str(target), str(catalog_dir), str(policy.resolve()),
                                          progress=not as_json, approval="wait" if wait_for_approval else "auto",
                                          approve_as=approve_as, approve_reason=approve_reason, retries=retries,
                                          retry_delay_seconds=retry_delay))
    _report(results, catalog_dir, as_json)


def _report(results: list[dict], catalog_dir: Path, as_json: bool) -> None:
    import json

    from pipelines.summary import dataset_text

    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    else:
        click.echo(f"\nRun summary (catalog: {catalog_dir})\n")
        for record in results:
            click.echo(dataset_text(record) + "\n")
        published = sum(r["status"] in {"published", "unchanged"} for r in results)
        click.echo(f"{published} of {len(results)} datasets published or unchanged.")
        for record in results:
            if record["status"] not in {"published", "unchanged"}:
                click.echo(f"{record['dataset']['id']}: {record['status']}: {record.get('failure')}", err=True)
    if any(r.get("failed_stage") == "check" for r in results):
        sys.exit(EXIT_USAGE)
    sys.exit(0 if all(r["status"] in {"published", "unchanged"} for r in results) else 1)


@click.command()
@click.argument("targets", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--policy", type=click.Path(path_type=Path), default=DEFAULT_POLICY, show_default=True)
def check(targets: tuple[Path, ...], policy: Path) -> None:
    """Validate release specs (files or folders of *.yaml) and the policy, without running anything.

    Prints one line per spec; a bad spec gets the file, the key and what was expected.
    Exit code 0 when all are valid, 2 otherwise.
    """
    from pipelines.spec import SpecError, check_against_policy, load_policy, load_spec, spec_paths

    ok = True
    rules = None
    try:
        rules, _ = load_policy(policy)
    except SpecError as exc:
        click.echo(f"invalid  {exc}", err=True)
        ok = False
    paths = [p for t in targets for p in spec_paths(t)]
    if not paths:
        _fail("no spec files found in " + ", ".join(map(str, targets)))
    for path in paths:
        try:
            loaded = load_spec(path)
            if rules is not None:
                check_against_policy(loaded, rules, policy)
        except SpecError as exc:
            click.echo(f"invalid  {exc}", err=True)
            ok = False
            continue
        source = loaded.spec.source
        where = str(loaded.resolve(source.file.path)) if source.file else "SQL: " + loaded.spec.source.sql.url
        if source.file and not loaded.resolve(source.file.path).is_file():
            click.echo(f"warning  {path}: source.file.path: no file at {where}", err=True)
        click.echo(f"ok       {path} ({loaded.spec.id}, {loaded.spec.open_class.declared.value}"
                   f" → {loaded.spec.open_class.effective_target.value})")
    sys.exit(0 if ok else 2)


@click.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("configs/samples"), show_default=True,
              help="Folder to write the sample sources into.")
def samples(out: Path) -> None:
    """Regenerate the built-in Jinan sample sources (deterministic: same bytes every time)."""
    from pipelines.samples import write_samples

    for path in write_samples(out):
        click.echo(f"wrote {path}")


@click.command()
@click.option("--out", type=click.Path(path_type=Path), help="Key file [default: .kaifang/pseudonym.key].")
@click.option("--if-missing", is_flag=True, help="Do nothing when the key file exists.")
def keygen(out: Path | None, if_missing: bool) -> None:
    """Create a pseudonymization key file (mode 600), kept apart from every output.

    Releases read the key from $KAIFANG_PSEUDONYM_KEY, else the file named by $KAIFANG_KEY_FILE,
    else .kaifang/pseudonym.key. The same key keeps pseudonyms stable across releases; a new key
    changes them all.
    """
    from anonymizers.keys import write_new_key

    path = out or Path(os.environ.get("KAIFANG_KEY_FILE", state_dir() / "pseudonym.key"))
    if path.exists():
        if if_missing:
            return
        _fail(f"{path} exists; remove it first to rotate the key")
    write_new_key(path)
    click.echo(f"wrote {path}")


commands = [release, check, samples, keygen]
