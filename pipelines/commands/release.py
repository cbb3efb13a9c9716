"""`kaifang release`, `check`, `samples` and `keygen`: running releases and preparing for them."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from pipelines.environment import state_dir
from pipelines.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE

DEFAULT_POLICY = "configs/policy.yaml"  # inside the project folder (pipelines/project.py)
POLICY_HELP = "Release policy: entity defaults, class thresholds [default: the project's configs/policy.yaml]."
CATALOG_HELP = "Catalog folder to publish into [default: $KAIFANG_CATALOG, else the project's catalog-out]."


def default_catalog() -> Path:
    from pipelines.project import catalog_dir

    return catalog_dir(None)


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def project_policy(policy: Path | None, anchor: Path | None) -> Path:
    """``--policy``, else the policy of the project at or above ``anchor``; exit 2 when there is none."""
    from pipelines.project import ProjectError, policy_path

    try:
        path = policy_path(policy, anchor)
    except ProjectError as exc:
        _fail(str(exc))
    if not path.is_file():
        _fail(f"policy file not found: {path}")
    return path


def runner_options(command: Any) -> Any:
    """--dask and --workers, the same on `release`, `deploy` and `serve` (which pass them to every run)."""
    command = click.option(
        "--workers", type=click.IntRange(0, 256), metavar="N",
        help="Without --dask: start a local Dask cluster of N worker processes for the run; 0 runs in this "
             "process [default: the policy's runner.workers, else 0]. Helps with many cores, little on two.")(command)
    return click.option(
        "--dask", "dask_address", metavar="tcp://HOST:PORT",
        help="Run the desensitize parts on this existing Dask cluster [default: the policy's "
             "runner.dask_address]. Its workers need this code and lock installed, the Prefect API "
             "(PREFECT_API_URL) and the catalog's run folder and key file on shared storage.")(command)


def check_runner(dask_address: str | None, workers: int | None) -> None:
    """Exit 2 on a --dask that is no scheduler address, or --dask with --workers."""
    if dask_address is not None and (workers or "://" not in dask_address):
        _fail("--dask takes a scheduler address such as tcp://HOST:PORT, and no --workers beside it")


@click.command()
@click.argument("targets", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--catalog", "catalog_dir", type=click.Path(path_type=Path), help=CATALOG_HELP)
@click.option("--policy", type=click.Path(path_type=Path), help=POLICY_HELP)
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
@runner_options
def release(targets: tuple[Path, ...], catalog_dir: Path | None, policy: Path | None, as_json: bool,
            approve_as: str | None, approve_reason: str | None, wait_for_approval: bool, retries: int,
            retry_delay: float, dask_address: str | None, workers: int | None) -> None:
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
      kaifang release configs/datasets --workers 4               desensitize on 4 local worker processes
      kaifang release configs/datasets --dask tcp://10.0.0.5:8786  on an existing Dask cluster

    The output is byte-identical whichever runner desensitizes: the parts are combined in order.
    """
    import json

    from pipelines.prefect_server import PrefectStartupError, prefect_session
    from pipelines.progress import flush_run_logs
    from pipelines.scaleout import EngineError
    from pipelines.spec import spec_paths
    from pipelines.summary import dataset_text, shown

    policy = project_policy(policy, targets[0])
    catalog_dir = (catalog_dir or default_catalog()).resolve()
    for target in targets:
        if not target.exists():
            _fail(f"no such spec file or folder: {target}")
        if not spec_paths(target):
            _fail(f"no spec files (*.yaml) in {target}")
    if wait_for_approval and not os.environ.get("PREFECT_API_URL"):
        _fail("--wait-for-approval needs a Prefect server a steward can reach: start one and set PREFECT_API_URL "
              "(see docs/operations.md)")
    check_runner(dask_address, workers)
    results = []
    try:
        with prefect_session(preload=["pipelines.flows"]):  # imported while the API server boots
            from pipelines.flows import release_folder

            for target in targets:
                results.extend(release_folder(str(target), str(catalog_dir), str(policy.resolve()),
                                              progress=not as_json, approval="wait" if wait_for_approval else "auto",
                                              approve_as=approve_as, approve_reason=approve_reason, retries=retries,
                                              retry_delay_seconds=retry_delay, dask_address=dask_address,
                                              workers=workers))
            flush_run_logs()
    except (PrefectStartupError, EngineError) as exc:
        _fail(f"nothing was released: {exc}", code=1)
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
                click.echo(f"{record['dataset']['id']}: {record['status']}: {shown(record.get('failure'))}", err=True)
    if any(r.get("failed_stage") == "check" for r in results):
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_OK if all(r["status"] in {"published", "unchanged"} for r in results) else EXIT_FAILED)


@click.command()
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder to write the sample sources into [default: the project's configs/samples].")
@click.option("--roster", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE.csv",
              help="Write only a 2,000-row minimum-living-allowance roster (GBK CSV) to FILE, as an agency "
                   "exports it (docs/steward.md).")
def samples(out: Path | None, roster: Path | None) -> None:
    """Regenerate the built-in Jinan sample sources (deterministic: same bytes every time)."""
    from pipelines.project import locate
    from pipelines.samples import write_roster, write_samples

    if roster is not None:
        click.echo(f"wrote {write_roster(roster)}: 2000 rows, GBK")
        return
    project = locate()
    for path in write_samples(out or (project.root if project else Path.cwd()) / "configs" / "samples"):
        click.echo(f"wrote {path}")


@click.command()
@click.option("--out", type=click.Path(path_type=Path),
              help="Key file [default: $KAIFANG_KEY_FILE, else the project's .kaifang/pseudonym.key].")
@click.option("--if-missing", is_flag=True, help="Do nothing when the key file exists.")
def keygen(out: Path | None, if_missing: bool) -> None:
    """Create a pseudonymization key file (mode 600), kept apart from every output.

    Releases read the key from $KAIFANG_PSEUDONYM_KEY, else the file named by $KAIFANG_KEY_FILE,
    else .kaifang/pseudonym.key in the project folder. The same key keeps pseudonyms stable across
    releases; a new key changes them all.
    """
    from anonymizers.keys import write_new_key

    path = out or Path(os.environ.get("KAIFANG_KEY_FILE", state_dir() / "pseudonym.key"))
    if path.exists():
        if if_missing:
            return
        _fail(f"{path} exists; remove it first to rotate the key")
    write_new_key(path)
    click.echo(f"wrote {path}")


@click.command()
@click.argument("folder", required=False, default=Path("."), type=click.Path(path_type=Path, file_okay=False))
@click.option("--agency", metavar="NAME", help="The agency's name, written into the example spec as publisher.")
def init(folder: Path, agency: str | None) -> None:
    """Create a project folder for an agency: policy, an example spec, a key, and what to do next.

    FOLDER [default: the current folder] gets kaifang.toml (the marker every command looks for
    from the spec's folder upwards), configs/policy.yaml (the package's default policy, to adapt),
    configs/lexicons/trade_secret.yaml, configs/datasets/example.yaml (a spec to copy) and
    .kaifang/pseudonym.key (mode 600). Files already there are kept.
    """
    from pipelines.project import init_project

    folder = folder.expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        _fail(f"{folder} exists and is not a folder")
    for path, created in init_project(folder, agency):
        click.echo(f"{'wrote' if created else 'kept '} {path}")
    click.echo(f"""
Project ready at {folder}. Next:
  1. kaifang scan EXPORT.csv                       what personal fields does the export hold?
  2. kaifang propose EXPORT.csv --out {folder / 'configs' / 'datasets' / 'NAME.yaml'}
  3. edit the 待填写 lines of that spec, then: kaifang check {folder / 'configs' / 'datasets'}
  4. kaifang release {folder / 'configs' / 'datasets'}
Adapt configs/policy.yaml to the agency's rules first. Keep .kaifang/pseudonym.key out of every release.""")


commands = [release, samples, keygen, init]
