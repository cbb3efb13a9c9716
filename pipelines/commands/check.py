"""`kaifang check`: announce, before a release, what would make it fail or be refused."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipelines.commands.release import POLICY_HELP, _fail, project_policy
from pipelines.exits import EXIT_OK, EXIT_USAGE


@click.command()
@click.argument("targets", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--policy", type=click.Path(path_type=Path), help=POLICY_HELP)
@click.option("--offline", is_flag=True, help="Check the specs and the policy only; do not open the sources.")
@click.option("--sample", "sample_rows", type=click.IntRange(min=1), default=5000, show_default=True,
              help="Rows of each source to read and scan.")
def check(targets: tuple[Path, ...], policy: Path | None, offline: bool, sample_rows: int) -> None:
    """Check release specs (files or folders of *.yaml) against the policy and their sources.

    For each spec: unknown keys (with "did you mean"), unfilled 待填写 placeholders, then the
    header and a sample of its source, read as a release reads it (a SQL source with LIMIT):
    a source outside the policy's source_roots or a query that is not one read-only SELECT
    (before reading it), a missing file, an unreachable database, columns named in columns,
    privacy.quasi_identifiers, privacy.waivers, quality.key or expectations that the source
    lacks, and the refusals of the
    guard the sample already shows: a direct identifier kept raw when reclassifying, a never-raw
    entity kept raw, a quasi-identifier or record identifier neither treated, declared nor
    waived, a pseudonymization key the plan needs and cannot find. Each problem is one line: file,
    key, what was expected. No cell value is printed.

    Exit code 0 when nothing was found; 1 when a release would fail or be refused (unreachable
    source, the guard); 2 when a spec or the policy is invalid, or a source file is missing.

    \b
    Examples:
      kaifang check configs/datasets
      kaifang check configs/datasets/roster.yaml --offline
    """
    from pipelines.precheck import check_spec
    from pipelines.project import locate
    from pipelines.spec import SpecError, load_policy, spec_paths

    for target in targets:
        if not target.exists():
            _fail(f"no such spec file or folder: {target}")
    paths = [p for t in targets for p in spec_paths(t)]
    if not paths:
        _fail("no spec files (*.yaml) in " + ", ".join(map(str, targets)))
    locate(targets[0])  # the spec's project: its key and lexicon, even with --policy
    policy = project_policy(policy, targets[0])
    code = EXIT_OK
    rules, sha = None, ""
    try:
        rules, sha = load_policy(policy)
    except SpecError as exc:
        for line in exc.lines:
            click.echo(f"invalid  {line}", err=True)
        code = EXIT_USAGE
    for path in paths:
        report = check_spec(path, rules, sha, policy, offline=offline, sample_rows=sample_rows)
        for problem in report.problems:
            click.echo(f"{'invalid ' if problem.code == EXIT_USAGE else 'refused '} {problem.line()}", err=True)
        code = max(code, report.code)
        if report.problems or report.loaded is None:
            continue
        spec = report.loaded.spec
        sampled = ("" if report.rows_sampled is None else
                   f"; source read: {report.rows_sampled} rows sampled, {len(report.columns)} columns")
        click.echo(f"ok       {path} ({spec.id}, {spec.open_class.declared.value} → "
                   f"{spec.open_class.effective_target.value}{sampled})")
    sys.exit(code)


commands = [check]
