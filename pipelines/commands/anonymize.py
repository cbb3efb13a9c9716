"""`kaifang anonymize` and `kaifang risk`: optimal generalization of a table, and its re-identification risk.

Both work on a file outside any release (CSV in UTF-8/GBK/GB18030 with `,` or `;`, XLSX, Parquet, JSON),
so a steward can try quasi-identifiers, hierarchies and privacy models before writing them into a spec.
Messages name columns, files and counts, never a cell value. Exit codes: 0 ok, 1 the data or the
hierarchies do not allow it (missing hierarchy, value not in a hierarchy, no solution), 2 bad usage.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from pipelines.exits import EXIT_FAILED, EXIT_USAGE  # one set for every command

# The names anonymizers.metrics.METRICS accepts (spelled out so `kaifang --help` needs no pandas import).
METRIC_CHOICES = ("entropy", "loss", "discernibility", "precision", "monotonic_entropy")


def _fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


class Fraction(click.ParamType):
    """A share between 0 and 1, written 0.05 or 5%."""

    name = "fraction"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        text = str(value).strip()
        try:
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            self.fail(f"{value!r} is not a fraction such as 0.05 or 5%", param, ctx)
        if not 0 <= number <= 1:
            self.fail(f"{value!r} is not between 0 and 1 (0% and 100%)", param, ctx)
        return number


def _columns(values: Sequence[str]) -> list[str]:
    """`--qi a,b --qi c` → [a, b, c]."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def read_table(path: Path):  # noqa: ANN201 - a pandas DataFrame; pandas is imported lazily
    """The whole file as text columns (missing cells NA), read with the extract stage's readers:
    encoding detected, `,`/`;`/tab separator sniffed from the header, CRLF or LF."""
    from pipelines.extract import SourceError, read_text_table

    if not path.is_file():
        _fail(f"no such file: {path}", EXIT_USAGE)
    try:
        return read_text_table(path)
    except SourceError as exc:
        _fail(f"{path}: {exc}", EXIT_USAGE)


def _require_columns(frame, columns: Sequence[str], path: Path, option: str) -> None:  # noqa: ANN001
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        _fail(f"{option}: column(s) {', '.join(map(repr, missing))} not in {path} "
              f"(it has {', '.join(map(repr, frame.columns))})", EXIT_USAGE)


def _percent(share: float) -> str:
    return f"{share:.2%}" if share else "0%"


def _no_solution_hint(frame, qi: list[str], hierarchies, model, limit: float) -> str:  # noqa: ANN001
    """Which limit to relax: how many records even the most general levels leave in violating classes."""
    from anonymizers.lattice import generalize
    from anonymizers.privacy_models import check_model

    top = [hierarchies[c].max_level for c in qi]
    needed = check_model(generalize(frame, qi, hierarchies, top), qi, model, 0.0).suppressed
    relax = []
    if model.k > 1:
        relax.append(f"lower --k (now {model.k})")
    if model.l is not None:
        relax.append(f"lower --l (now {model.l:g})")
    if model.t is not None:
        relax.append(f"raise --t (now {model.t:g})")
    if needed >= len(frame):
        return ("even the most general levels leave every record in a class that fails it: "
                + " or ".join(relax or ["add coarser levels to the hierarchies"]))
    if needed > limit * len(frame):
        share = math.ceil(needed / len(frame) * 10_000) / 10_000
        return (f"even the most general levels leave {needed} record(s) in classes that fail it: "
                f"raise --suppression to at least {share:g} (now {limit:g})"
                + (", or " + " or ".join(relax) if relax else "")
                + ", or add coarser levels to the hierarchies")
    return "relax " + (" or ".join(relax + [f"raise --suppression (now {limit:g})"]))


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--qi", "qi_options", multiple=True, required=True, metavar="COL,…",
              help="Quasi-identifier columns, comma-separated (or --qi repeated).")
@click.option("--hierarchies", "hierarchy_dir", required=True, type=click.Path(path_type=Path), metavar="DIR",
              help="Folder with one hierarchy CSV per quasi-identifier: <column>.csv or ARX's *_<column>.csv.")
@click.option("--k", type=click.IntRange(min=1), help="k-anonymity: every class has at least K records.")
@click.option("--l", "l_value", type=click.FloatRange(min=1), metavar="L",
              help="l-diversity of --sensitive: at least L distinct (or 'entropy' well-represented) values.")
@click.option("--l-variant", type=click.Choice(["distinct", "entropy"]), default="distinct", show_default=True)
@click.option("--t", "t_value", type=click.FloatRange(0, 1), metavar="T",
              help="t-closeness of --sensitive: each class's distribution within T of the table's.")
@click.option("--t-distance", type=click.Choice(["equal", "ordered"]), default="equal", show_default=True,
              help="equal: categorical values; ordered: numbers or ordinal values (earth mover's distance).")
@click.option("--sensitive", metavar="COL", help="Sensitive column for --l and --t (not a quasi-identifier).")
@click.option("--suppression", type=Fraction(), default=0.0, show_default=True,
              help="Largest share of records that may be suppressed, e.g. 0.05 or 5%.")
@click.option("--metric", type=click.Choice(METRIC_CHOICES), default="entropy", show_default=True,
              help="Information loss to minimise (ARX's definitions).")
@click.option("--out", required=True, type=click.Path(path_type=Path), metavar="OUT.csv",
              help="Where to write the anonymized table (UTF-8 CSV, comma-separated).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: levels, metric, value, suppressed, nodes_checked, seconds.")
def anonymize(file: Path, qi_options: tuple[str, ...], hierarchy_dir: Path, k: int | None, l_value: float | None,
              l_variant: str, t_value: float | None, t_distance: str, sensitive: str | None, suppression: float,
              metric: str, out: Path, as_json: bool) -> None:
    """Generalize FILE's quasi-identifiers to the optimal levels of their hierarchies and write the result.

    Searches every combination of hierarchy levels (full-domain generalization, as ARX does) for
    the one that meets the privacy model with the least information loss, suppressing at most
    --suppression of the records. OUT has the same columns and rows minus the suppressed ones, with
    each quasi-identifier replaced by its generalized value. Printed: the chosen level of each
    quasi-identifier (in --qi order), the metric value, suppressed records, lattice nodes checked
    and the time taken.

    Hierarchies are ARX's CSV format: one row per original value, level 0 first, then ever coarser
    labels (`;` or `,` separated), e.g. `39;35-39;30-39;*`.

    \b
    Examples:
      kaifang anonymize adult.csv --qi sex,age,race --hierarchies hierarchies/ --k 5 --out adult-k5.csv
      kaifang anonymize adult.csv --qi age,sex --hierarchies h/ --k 5 --suppression 2% --metric loss \\
          --out out.csv --json | jq .levels
      kaifang anonymize data.csv --qi 性别,年龄,区县 --hierarchies h/ --k 5 \\
          --l 3 --l-variant entropy --sensitive 诊断 --out out.csv
      kaifang anonymize data.csv --qi 年龄,区县 --hierarchies h/ --t 0.2 --t-distance ordered \\
          --sensitive 收入 --out out.csv

    Exit codes: 0 written; 1 a hierarchy is missing or lacks a value of the data, or no
    transformation meets the model within the limits (the message says what to relax); 2 bad usage.
    """
    from anonymizers.hierarchy import HierarchyError, load_hierarchies
    from anonymizers.lattice import LatticeTooLargeError, NoSolutionError, apply_transformation, search
    from anonymizers.privacy_models import ModelConfigError, PrivacyModelConfig

    qi = _columns(qi_options)
    if not qi:
        _fail("--qi names no column", EXIT_USAGE)
    if len(set(qi)) != len(qi):
        _fail("--qi names a column twice", EXIT_USAGE)
    if k is None and l_value is None and t_value is None:
        _fail("give a privacy model: --k, and/or --l or --t with --sensitive", EXIT_USAGE)
    if (l_value is not None or t_value is not None) and not sensitive:
        _fail("--l and --t need --sensitive COL", EXIT_USAGE)
    if sensitive and l_value is None and t_value is None:
        _fail("--sensitive is only used with --l or --t", EXIT_USAGE)
    if sensitive in qi:
        _fail(f"--sensitive column {sensitive!r} is also in --qi", EXIT_USAGE)
    if not hierarchy_dir.is_dir():
        _fail(f"--hierarchies: no such folder: {hierarchy_dir}", EXIT_USAGE)
    if out.exists() and out.resolve() == file.resolve():
        _fail("--out is the input file; write the result elsewhere", EXIT_USAGE)
    if not out.parent.is_dir():
        _fail(f"--out: no such folder: {out.parent}", EXIT_USAGE)
    try:
        model = PrivacyModelConfig(k=k or 1, l=l_value, l_variant=l_variant, t=t_value, t_distance=t_distance,
                                   sensitive=sensitive)
    except ModelConfigError as exc:
        _fail(str(exc), EXIT_USAGE)

    frame = read_table(file)
    _require_columns(frame, qi, file, "--qi")
    if sensitive:
        _require_columns(frame, [sensitive], file, "--sensitive")
    try:
        hierarchies = load_hierarchies(hierarchy_dir, qi)
        result = search(frame, qi, hierarchies, model, suppression, metric)
    except NoSolutionError as exc:
        _fail(f"{exc}; {_no_solution_hint(frame, qi, hierarchies, model, suppression)}")
    except LatticeTooLargeError as exc:
        _fail(f"{exc}: use fewer quasi-identifiers or hierarchies with fewer levels")
    except HierarchyError as exc:
        _fail(str(exc))
    except ValueError as exc:  # an empty table, or a model the search refuses
        _fail(f"{file}: {exc}")
    released = apply_transformation(frame, result)
    partial = out.with_name(f".{out.name}.partial")
    try:
        released.to_csv(partial, index=False, encoding="utf-8", lineterminator="\n")
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        _fail(f"cannot write {out}: {exc.strerror or exc}")

    if as_json:
        summary = result.to_dict()
        click.echo(json.dumps({name: summary[name] for name in
                               ("levels", "metric", "value", "suppressed", "nodes_checked", "seconds")}))
        return
    n = result.n_rows
    click.echo(f"{file}: {n} records; {model.describe()}; suppression limit {_percent(suppression)}; "
               f"metric {metric}\n")
    width = max(len(c) for c in [*qi, "column"])
    click.echo(f"  {'column':<{width}}  level")
    for column, level in zip(qi, result.levels, strict=True):
        click.echo(f"  {column:<{width}}  {level} of {hierarchies[column].max_level}")
    click.echo(f"\nlevels:         {list(result.levels)}")
    click.echo(f"{metric + ':':<16}{result.value:,.2f}")
    click.echo(f"suppressed:     {result.suppressed} records ({_percent(result.suppressed / n)})")
    click.echo(f"nodes checked:  {result.nodes_checked:,} of {result.lattice_size:,}")
    click.echo(f"time:           {result.seconds:.2f} s")
    click.echo(f"wrote {out}: {len(released)} rows")


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--qi", "qi_options", multiple=True, required=True, metavar="COL,…",
              help="Quasi-identifier columns, comma-separated (or --qi repeated).")
@click.option("--population", type=click.Path(path_type=Path), metavar="FILE",
              help="A population table with the same quasi-identifiers, for journalist and marketer risk.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.2, show_default=True,
              help="A record is at risk when its re-identification probability exceeds this.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every figure.")
def risk(file: Path, qi_options: tuple[str, ...], population: Path | None, threshold: float, as_json: bool) -> None:
    """Re-identification risk of FILE on its quasi-identifiers (prosecutor, journalist, marketer).

    Records sharing all quasi-identifier values form a class; a record in a class of f records is
    re-identified with probability 1/f by a prosecutor (who knows the person is in the file). A
    journalist does not know that and matches against a population: 1/F with F the class size in
    --population (without it the file is its own population, the cautious choice, and the figures
    equal the prosecutor's). The marketer figure is the expected share of records re-identified.
    For each: the average, the highest and the share of records above --threshold. Also printed:
    sample uniques (classes of one record), the number of classes and the smallest class.

    \b
    Examples:
      kaifang risk release.csv --qi 性别,出生年份,区县
      kaifang risk sample.csv --qi age,sex,zip --population census.csv --threshold 0.1 --json
    """
    from anonymizers.risk import EmptyTableError, measure_risk

    qi = _columns(qi_options)
    if not qi:
        _fail("--qi names no column", EXIT_USAGE)
    if len(set(qi)) != len(qi):
        _fail("--qi names a column twice", EXIT_USAGE)
    frame = read_table(file)
    _require_columns(frame, qi, file, "--qi")
    people = None
    if population is not None:
        people = read_table(population)
        _require_columns(people, qi, population, "--population")
    try:
        report = measure_risk(frame, qi, people, threshold)
    except EmptyTableError as exc:
        _fail(f"{file}: {exc}")
    if as_json:
        click.echo(json.dumps(report.to_dict()))
        return
    click.echo(f"{file}: {report.records} records, {len(qi)} quasi-identifier(s)"
               + (f", population {population}" if population else "") + "\n")
    click.echo(f"  {'attacker':<11} {'average':>8} {'highest':>8}  records at risk (> {threshold:g})")
    rows = [("prosecutor", report.prosecutor_average, report.prosecutor_highest, report.prosecutor_records_at_risk),
            ("journalist", report.journalist_average, report.journalist_highest, report.journalist_records_at_risk),
            ("marketer", report.marketer_average, None, None)]
    for name, average, highest, at_risk in rows:
        line = (f"  {name:<11} {average:>8.4f} {'—' if highest is None else f'{highest:.4f}':>8}  "
                f"{'—' if at_risk is None else _percent(at_risk)}")
        click.echo(line.rstrip())
    click.echo(f"\nsample uniques:  {report.sample_uniques} ({_percent(report.sample_uniques_share)} of records)")
    click.echo(f"classes:         {report.classes}")
    click.echo(f"smallest class:  {report.min_class_size}")
    if population is None:
        click.echo("\nNo --population: journalist and marketer figures take the file as its own population.")


commands = [anonymize, risk]
