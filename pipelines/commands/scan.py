"""`kaifang scan` and `kaifang propose`: what does a file hold, and a draft spec to release it."""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipelines.commands.release import POLICY_HELP, project_policy
from pipelines.exits import EXIT_USAGE

if TYPE_CHECKING:  # pandas loads when a file is scanned, not for `kaifang --help`
    import pandas as pd


def _chunks(path: Path, sample: int | None) -> Iterator[pd.DataFrame]:
    from pipelines.extract import CHUNK_ROWS, text_chunks

    chunks = text_chunks(path)
    if sample is None:
        yield from chunks
        return
    remaining = sample
    for chunk in itertools.islice(chunks, sample // CHUNK_ROWS + 1):
        yield chunk.iloc[:remaining]
        remaining -= len(chunk)
        if remaining <= 0:
            break


def _profile(path: Path, sample: int | None):
    from detectors import load_lexicon, profile_chunks
    from pipelines.extract import SourceError

    if not path.is_file():
        _usage_error(f"no such file: {path}")
    try:
        return profile_chunks(_chunks(path, sample), lexicon=load_lexicon())
    except SourceError as exc:
        _usage_error(f"{path}: {exc}")


def _usage_error(message: str) -> None:
    """Bad input (a missing or unreadable file) is exit code 2, as in every command."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--sample", type=click.IntRange(min=1), help="Scan only the first N rows [default: every row].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (rows, columns with entities).")
def scan(file: Path, sample: int | None, as_json: bool) -> None:
    """Find personal and trade-secret fields in FILE (CSV in UTF-8/GBK/GB18030, XLSX, Parquet, JSON).

    For each column: the entity types found with the share of non-empty cells that validate and a
    score, whether it is free text, and whether it is a likely quasi-identifier. Values never
    appear in the output, only counts.

    \b
    Examples:
      kaifang scan configs/samples/social_insurance.csv
      kaifang scan export.xlsx --sample 10000 --json | jq '.columns[] | select(.entities != [])'
    """
    profile = _profile(file, sample)
    if as_json:
        click.echo(json.dumps(profile.to_dict(), ensure_ascii=False))
        return
    click.echo(f"{file}: {profile.rows} rows, {len(profile.columns)} columns\n")
    width = max([display_width(c.name) for c in profile.columns] + [6])
    click.echo(f"  {pad('column', width)}  {pad('entities (share, score)', 44)} free text  quasi-id")
    for column in profile.columns:
        found = ", ".join(f"{e.type} ({e.share:.0%}, {e.score:.2f})" for e in column.entities) or "—"
        click.echo(f"  {pad(column.name, width)}  {pad(found, 44)} {'yes' if column.free_text else 'no':<10} "
                   f"{'yes' if column.quasi_identifier else 'no'}")


def display_width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 0)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug if len(slug) >= 3 else "new-dataset"


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--policy", type=click.Path(path_type=Path), help=POLICY_HELP)
@click.option("--sample", type=click.IntRange(min=1), help="Scan only the first N rows.")
@click.option("--out", type=click.Path(path_type=Path), help="Write the draft here instead of printing it.")
def propose(file: Path, policy: Path | None, sample: int | None, out: Path | None) -> None:
    """Print a draft release spec for FILE, for a steward to edit and check.

    Detected columns get the policy's default action for their entity; likely quasi-identifiers
    are listed under privacy. Fill in the lines marked 待填写 and run `kaifang check` on it.
    """
    import yaml

    from detectors.propose import propose_columns
    from pipelines.project import locate
    from pipelines.spec import SpecError, load_policy

    locate(out.parent if out else None)  # the project the draft goes into: its policy and lexicon
    policy = project_policy(policy, out.parent if out else None)
    try:
        rules, _ = load_policy(policy)
    except SpecError as exc:
        _usage_error(str(exc))
    profile = _profile(file, sample)
    proposal = propose_columns(profile)
    columns, quasi, prose_personal = {}, [], False
    for name, suggestion in proposal.items():
        entity = suggestion.get("entity")
        if entity and suggestion.get("free_text"):
            # Remarks holding identifiers: each span is treated, not the whole column.
            columns[name] = {"action": "scrub"}
            prose_personal = prose_personal or entity in rules.direct_identifiers
        elif entity and entity in rules.entity_defaults:
            default = rules.entity_defaults[entity].model_dump(exclude_none=True)
            columns[name] = {**default, "entity": entity}
        if suggestion.get("quasi_identifier"):
            quasi.append(name)
    personal = prose_personal or any(c.get("entity") in rules.direct_identifiers for c in columns.values())
    secret = any(c.get("entity") == "TRADE_SECRET" for c in columns.values())
    basis = (["personal_information"] if personal else []) + (["trade_secret"] if secret else [])
    source_path = Path(file).resolve()
    # Spec paths resolve against the spec's folder: relative when we know where the draft goes.
    relative = source_path
    if out:
        try:
            relative = source_path.relative_to(out.parent.resolve())
        except ValueError:
            relative = Path(os.path.relpath(source_path, out.parent.resolve()))
    draft = {
        "id": _slug(file.stem),
        "title": "待填写：数据名称",
        "description": "待填写：数据摘要",
        "publisher": "待填写：数据提供方",
        "theme": "待填写：数据领域",
        "keywords": [],
        "update_frequency": "irregular",
        "licence": "CC-BY-4.0",
        "source": {"file": {"path": str(relative)}},
        "open_class": (
            {"declared": "not_open", "basis": basis, "target": "conditional",
             "conditions": "待填写：开放条件（用途限制、数据安全承诺）"}
            if basis else {"declared": "unconditional"}
        ),
        "columns": columns,
        "privacy": {"quasi_identifiers": quasi, "k": rules.classes["conditional"].k},
        "outputs": ["csv", "parquet", "json"],
    }
    text = ("# Draft release spec proposed by `kaifang propose`; edit, then `kaifang check`.\n"
            + yaml.safe_dump(draft, allow_unicode=True, sort_keys=False))
    if out:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)
    else:
        sys.stdout.write(text)


commands = [scan, propose]
