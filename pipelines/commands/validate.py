"""`kaifang validate`: run a spec's quality gate on a file, outside a release, and write its Data Docs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipelines.exits import EXIT_FAILED, EXIT_USAGE
from pipelines.exits import EXIT_OK as EXIT_PASSED


def _usage_error(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def read_table(path: Path):  # noqa: ANN201 - a pandas DataFrame; pandas is imported lazily
    """The file as text columns (CSV in UTF-8/GBK/GB18030, XLSX, Parquet, JSON), typed as publish types it.

    Reading goes through the extract stage's readers and typing through the publish stage's, so the
    gate sees the same table a release would validate.
    """
    from pipelines.extract import read_text_table
    from pipelines.publish import typed_table

    frame = read_text_table(path)
    typed, _ = typed_table(frame, [])
    return typed


def _policy_entities(policy: Path | None, spec_path: Path) -> tuple[list[str], float]:
    """Entity types never published raw, and the policy's min_share: of --policy, else of the spec's
    project; none when there is no project."""
    from pipelines.project import locate
    from pipelines.spec import load_policy

    if policy is not None and not policy.is_file():
        _usage_error(f"policy file not found: {policy}")
    if policy is None:
        project = locate(spec_path)
        if project is None or not project.policy.is_file():
            return [], 0.5
        policy = project.policy
    rules, _ = load_policy(policy)
    return list(rules.never_publish_raw), rules.min_share


def _table(summary) -> str:  # noqa: ANN001 - catalog.record.QualitySummary
    lines = [f"  {'status':<6}  {'severity':<8}  message"]
    order = {False: 0, True: 1}
    for item in sorted(summary.outcomes, key=lambda o: (order[o.success], o.severity != "critical")):
        status = "ok" if item.success else ("FAIL" if item.severity == "critical" else "warn")
        lines.append(f"  {status:<6}  {item.severity:<8}  {item.message}")
    return "\n".join(lines)


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--spec", "spec_path", required=True, type=click.Path(path_type=Path),
              help="Release spec whose quality section (key, expectations) and privacy section apply.")
@click.option("--docs", "docs_dir", type=click.Path(path_type=Path), default=Path("quality-docs"),
              show_default=True, help="Folder for the GX Data Docs site of this validation.")
@click.option("--policy", type=click.Path(path_type=Path), default=None,
              help="Policy giving the entities never published raw [default: the spec's project's, if any].")
@click.option("--json", "as_json", is_flag=True, help="Print the quality summary as JSON instead of a table.")
def validate(file: Path, spec_path: Path, docs_dir: Path, policy: Path | None, as_json: bool) -> None:
    """Check FILE against the quality gate a release of SPEC would apply.

    The gate: columns and types, rows above zero, no blank or duplicate rows, non-null unique keys,
    the spec's expectations, no raw identifier in a column the spec does not publish as is, and
    k-anonymity of the quasi-identifiers. Messages name columns, counts and row positions, never
    values. Exit code 0 when it passes, 1 when a critical check fails, 2 for bad usage or an invalid
    spec. The Data Docs site is written to --docs (open index.html in a browser).

    \b
    Examples:
      kaifang validate release/data.csv --spec configs/datasets/social-insurance.yaml
      kaifang validate out.parquet --spec spec.yaml --docs /tmp/qd --json | jq .failed_critical
    """
    from pipelines.extract import SourceError
    from pipelines.spec import SpecError, load_spec
    from quality import validate_release
    from quality.run import QualityError

    try:
        loaded = load_spec(spec_path)
        sensitive, min_share = _policy_entities(policy, spec_path)
    except SpecError as exc:
        _usage_error(str(exc))
    if not file.is_file():
        _usage_error(f"no such file: {file}")
    try:
        frame = read_table(file)
    except SourceError as exc:
        _usage_error(f"{file}: {exc}")
    spec = loaded.spec
    try:
        summary = validate_release(
            frame, dataset_id=spec.id, key=spec.quality.key,
            expectations=[e.model_dump() for e in spec.quality.expectations],
            row_count_tolerance=spec.quality.row_count_tolerance, update_frequency=spec.update_frequency,
            quasi_identifiers=spec.privacy.quasi_identifiers, k=spec.privacy.k,
            published_as_is=[name for name, rule in spec.columns.items() if rule.action == "keep"],
            sensitive_entities=sensitive, min_share=min_share, docs_dir=docs_dir,
        )
    except QualityError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    except ValueError as exc:
        _usage_error(f"{spec_path}: {exc}")
    if as_json:
        click.echo(summary.model_dump_json(indent=1))
    else:
        critical, warning = len(summary.failed_critical), len(summary.failed_warning)
        verdict = "PASSED" if summary.passed else "FAILED"
        click.echo(f"{spec.id}: {file} — {summary.evaluated} checks, {critical + warning} failed "
                   f"({critical} critical, {warning} warning): {verdict}\n")
        click.echo(_table(summary))
        click.echo(f"\nData Docs: {docs_dir / 'index.html'}")
    sys.exit(EXIT_PASSED if summary.passed else EXIT_FAILED)


commands = [validate]
