"""`kaifang check`: what a release would fail or refuse for, found before running it.

Reads the spec (unknown keys, with "did you mean"), its unfilled 待填写 placeholders, and then a
sample of its source through the extract stage's own readers (a SQL source with LIMIT): missing
files, unreachable databases, columns the spec names that the source lacks, and the guard's
refusals that a sample already shows. Those are announced by calling the guard's own column checks
(anonymizers.guard.columns) on the sample's detection and the classify stage's plan, so `check` and
the guard cannot drift apart. A problem is one line: file, key, what was expected. Messages name
columns and entity types, never a cell value.
"""

from __future__ import annotations

import dataclasses
import itertools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from pipelines.spec import LoadedSpec, Policy, SpecError, _read_yaml, check_against_policy, load_spec, near_miss

PLACEHOLDER = "待填写"
SAMPLE_ROWS = 5000


@dataclass(frozen=True)
class Problem:
    """One thing a release would stumble on. ``code``: EXIT_USAGE for invalid input (the spec or a
    missing file), EXIT_FAILED for a dataset that would fail or be refused."""

    path: Path
    key: str
    message: str
    code: int = EXIT_USAGE

    def line(self) -> str:
        return f"{self.path}: {self.key}: {self.message}" if self.key else f"{self.path}: {self.message}"


@dataclass
class Report:
    path: Path
    loaded: LoadedSpec | None = None
    problems: list[Problem] = field(default_factory=list)
    rows_sampled: int | None = None
    columns: list[str] = field(default_factory=list)

    @property
    def code(self) -> int:
        return max((p.code for p in self.problems), default=EXIT_OK)


# ----- the spec itself ------------------------------------------------------------------------------


def placeholders(data: Any, path: Path, key: str = "") -> list[Problem]:
    """Every key or value still holding 待填写, by its key path."""
    found: list[Problem] = []
    if isinstance(data, dict):
        for name, value in data.items():
            child = f"{key}.{name}" if key else str(name)
            if PLACEHOLDER in str(name):
                found.append(Problem(path, child, f"fill in the {PLACEHOLDER} placeholder"))
            found.extend(placeholders(value, path, child))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(placeholders(value, path, f"{key}[{index}]"))
    elif isinstance(data, str) and PLACEHOLDER in data:
        found.append(Problem(path, key, f"fill in the {PLACEHOLDER} placeholder"))
    return found


def _spec_problems(error: SpecError, path: Path) -> list[Problem]:
    return [Problem(path, "", line.removeprefix(f"{path}: ")) for line in error.lines]


# ----- the source's sample ---------------------------------------------------------------------------


def limited_query(loaded: LoadedSpec, rows: int) -> str:
    """The SQL source's table or query with LIMIT, rendered for its database."""
    import sqlalchemy as sa

    sql = loaded.spec.source.sql
    assert sql is not None
    if sql.query:
        inner = sa.text(sql.query.strip().rstrip(";")).columns().subquery("kaifang_sample")
        statement = sa.select(sa.text("*")).select_from(inner).limit(rows)
    else:
        statement = sa.select(sa.text("*")).select_from(sa.table(sql.table)).limit(rows)
    dialect = sa.make_url(loaded.sql_url()).get_dialect()()
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _head(chunks: Iterator[pd.DataFrame], rows: int) -> Iterator[pd.DataFrame]:
    remaining = rows
    for chunk in itertools.islice(chunks, rows):
        yield chunk.iloc[:remaining]
        remaining -= len(chunk)
        if remaining <= 0:
            return


def _sample(loaded: LoadedSpec, raw: Path, rows: int) -> tuple[int, list[str]]:
    """The first ``rows`` rows of the source into ``raw`` (Parquet), through the extract's readers."""
    from pipelines.extract import write_raw
    from pipelines.stages import source_chunks

    query = limited_query(loaded, rows) if loaded.spec.source.sql is not None else None
    chunks, _ = source_chunks(loaded, query)
    return write_raw(_head(chunks, rows), raw)


def source_refusal(loaded: LoadedSpec, roots: list[str]) -> str | None:
    """Why the release would refuse this source before reading it (outside the policy's source roots,
    a query that is not one read-only SELECT); checked before `check` reads a byte of it."""
    from pipelines.extract import SourceError

    try:
        loaded.source_path(roots)
    except SourceError as problem:
        return str(problem)
    sql = loaded.spec.source.sql
    if sql is None or not sql.query:
        return None
    import sqlalchemy as sa  # only for a SQL source: importing it costs about 0.3 CPU-s

    from pipelines.sql_source import QueryRefused, backend, check_read_only

    try:
        check_read_only(sql.query, backend(sa.make_url(loaded.sql_url())))
    except QueryRefused as problem:
        return str(problem)
    except sa.exc.ArgumentError:
        return "the SQL URL is not a valid SQLAlchemy URL"
    return None


def _source_problem(loaded: LoadedSpec, message: str) -> Problem:
    source = loaded.spec.source
    if source.file is not None:
        missing = not loaded.resolve(source.file.path).is_file()
        return Problem(loaded.path, "source.file.path",
                       f"no file at {loaded.resolve(source.file.path)}" if missing else message)
    # A database that cannot be reached (or refuses the query) makes the release fail, not the spec invalid.
    return Problem(loaded.path, "source.sql", message, EXIT_FAILED)


def column_problems(loaded: LoadedSpec, columns: list[str]) -> list[Problem]:
    """Columns the spec names (columns, quality, privacy, expectations) that the source lacks."""
    from pipelines.plan import named_columns

    spec = loaded.spec
    keyed: list[tuple[str, str]] = list(named_columns(spec).items())
    # named_columns keeps the first key naming a column; a second mention is just as wrong.
    keyed += [(q, "privacy.quasi_identifiers") for q in spec.privacy.quasi_identifiers]
    keyed += [(w, "privacy.waivers") for w in spec.privacy.waivers]
    keyed += [(k, "quality.key") for k in spec.quality.key]
    seen, problems = set(), []
    for name, key in keyed:
        if name in columns or (name, key) in seen:
            continue
        seen.add((name, key))
        problems.append(Problem(loaded.path, key, f"column '{name}' is not in the source{near_miss(name, columns)}: "
                                                  f"expected one of its {len(columns)} columns"))
    return problems


# ----- the guard's refusals that a sample shows ------------------------------------------------------


def key_problems(path: Path, plan, policy: Policy) -> list[Problem]:  # noqa: ANN001 - list[ColumnPlan]
    """A plan that pseudonymizes needs the project's key; without it the release fails at desensitize."""
    from anonymizers.keys import KeyError_, load_key
    from pipelines.environment import state_dir
    from pipelines.plan import needs_key

    if not needs_key(plan, policy):
        return []
    try:
        load_key(state_dir() / "pseudonym.key")
    except KeyError_ as exc:
        return [Problem(path, "", str(exc), EXIT_FAILED)]
    return []


def guard_problems(loaded: LoadedSpec, policy: Policy, policy_sha: str, raw: Path, rows: int,
                   columns: list[str]) -> list[Problem]:
    """What the guard would refuse for, from the sample's detection and the classify stage's plan."""
    from anonymizers.guard import columns as guard_columns
    from anonymizers.guard import curable, personal_entities
    from pipelines.extract import read_chunks
    from pipelines.guarding import guard_rules
    from pipelines.plan import PlanError, build_plan
    from pipelines.stages import detect

    spec, path = loaded.spec, loaded.path
    if spec.release == "aggregate":
        return []  # statistics publish no record: their checks (budget, keys, noise) run at release
    rules = guard_rules(spec, policy, policy_sha, rows)
    if rules.target == "not_open":
        return []  # a catalog entry only: the guard publishes no data and checks nothing
    profile = detect(raw, policy.min_share)
    try:
        plan = build_plan(spec, policy, profile, columns, loaded.folder)
    except PlanError as exc:
        return [Problem(path, "columns", str(exc))]
    by_column = {p.column: p for p in plan}
    direct = set(rules.direct_identifiers)
    problems: list[Problem] = key_problems(path, plan, policy)
    if rules.reclassifying and not curable(rules.basis):
        problems.append(Problem(path, "open_class.basis", f"{list(rules.basis)} cannot be cured by desensitization "
                                "(Art. 9): expected only personal_information and/or trade_secret", EXIT_FAILED))
    personal = "personal_information" in rules.basis or guard_columns.about_people(
        profile, personal_entities(profile), lambda names=None: read_chunks(raw, names))
    if rules.reclassifying or personal:
        # Records about people: their direct identifiers are treated whatever class the spec declares.
        allowed = rules.target_rules.direct_identifier_actions if rules.target_rules else frozenset()
        bad, _ = guard_columns.untreated_direct(profile, by_column, direct, allowed)
        problems += [Problem(path, f"columns.{name}", f"detected as a direct identifier "
                             f"({p.detected or p.entity}) and '{p.action}'; a release as {rules.target} needs one "
                             f"of {sorted(allowed)}", EXIT_FAILED) for name, p in bad]
    kept = [c for c in profile.columns if by_column[c.name].action == "keep"]
    problems += [Problem(path, f"columns.{hit.column}", f"holds raw {hit.entity} ({hit.matches} in the sample), "
                         "which is never published raw: expected an action such as pseudonymize or drop",
                         EXIT_FAILED)
                 for hit in guard_columns.raw_hits(kept, rules.never_raw, {})]
    if rules.reclassifying or personal:
        uncovered, _ = guard_columns.uncovered_columns(profile, by_column, direct, rules.quasi_identifiers,
                                                       rules.waivers)
        problems += [Problem(path, "privacy.quasi_identifiers",
                             f"{u.describe()}: expected a treatment in columns, the column in "
                             "privacy.quasi_identifiers, or a waiver with a reason in privacy.waivers", EXIT_FAILED)
                     for u in uncovered]
    return problems


# ----- one spec ----------------------------------------------------------------------------------------


def check_spec(path: Path, policy: Policy | None, policy_sha: str, policy_path: Path, offline: bool = False,
               sample_rows: int = SAMPLE_ROWS) -> Report:
    """Every problem of one spec that can be known before its release."""
    report = _check(path, policy, policy_sha, policy_path, offline, sample_rows)
    # Every line names the spec as the steward named it.
    report.problems = [dataclasses.replace(p, path=path) for p in report.problems]
    return report


def _check(path: Path, policy: Policy | None, policy_sha: str, policy_path: Path, offline: bool,
           sample_rows: int) -> Report:
    from pipelines.extract import SourceError

    report = Report(path)
    try:
        report.problems += placeholders(_read_yaml(path), path)
        report.loaded = loaded = load_spec(path)
        if policy is not None:
            check_against_policy(loaded, policy, policy_path)
    except SpecError as exc:
        report.problems += _spec_problems(exc, path)
        return report
    if policy is None:
        return report
    file = loaded.spec.source.file
    if file is not None and not loaded.resolve(file.path).is_file():
        report.problems.append(Problem(path, "source.file.path", f"no file at {loaded.resolve(file.path)}"))
        return report
    refusal = source_refusal(loaded, policy.source_roots)
    if refusal is not None:
        report.problems.append(Problem(path, "source", refusal))
        return report
    if offline:
        return report
    with tempfile.TemporaryDirectory(prefix="kaifang-check-") as scratch:
        raw = Path(scratch) / "sample.parquet"
        try:
            report.rows_sampled, report.columns = _sample(loaded, raw, sample_rows)
        except SourceError as exc:
            report.problems.append(_source_problem(loaded, str(exc)))
            return report
        missing = column_problems(loaded, report.columns)
        report.problems += missing
        if not missing:
            report.problems += guard_problems(loaded, policy, policy_sha, raw, report.rows_sampled, report.columns)
    return report
