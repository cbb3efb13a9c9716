"""`kaifang`: the front door to every capability.

Exit codes scripts can rely on, the same for every command (pipelines/exits.py): 0 everything asked
for succeeded; 1 some dataset failed or was refused (or a check found a problem in the data);
2 bad usage or invalid input, a missing file included.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from pipelines.environment import prepare_environment
from pipelines.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE, EXITS_HELP

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "main"]

# Each module defines `commands: list[click.Command]`.
COMMAND_MODULES = [
    "pipelines.commands.release",
    "pipelines.commands.check",
    "pipelines.commands.scan",
    "pipelines.commands.catalog",
    "pipelines.commands.validate",
    "pipelines.commands.anonymize",
    "pipelines.commands.ops",
    "pipelines.commands.governance",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
             epilog="\b\n" + EXITS_HELP)
@click.version_option(package_name="kaifang")
@click.option("--project", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help="Project folder (policy, specs, lexicon, key, catalog) [default: $KAIFANG_PROJECT, else the "
                   "nearest folder at or above the spec or the current folder with kaifang.toml or "
                   "configs/policy.yaml].")
def main(project: Path | None) -> None:
    """Kaifang (开放): release public data safely.

    Agencies' tables go through detect → classify → desensitize → verify → validate → publish,
    driven by one YAML release spec per dataset (see configs/datasets/).

    \b
    Typical use:
      kaifang init my-agency                   a project folder: policy, example spec, key
      kaifang scan data.csv                    what personal or secret fields does a file hold?
      kaifang check configs/datasets           what a release would refuse, before running it
      kaifang release configs/datasets         run every release into the project's catalog-out
      kaifang catalog list                     what is published
    """
    from pipelines.project import ProjectError, choose, locate

    choose(project)
    # The choice lasts for this invocation only (tests and embedders call main several times).
    click.get_current_context().call_on_close(lambda: choose(None))
    try:
        locate()  # a --project or $KAIFANG_PROJECT that is no project folder is bad usage, for every command
    except ProjectError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    prepare_environment()


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(_name).commands:
        if _command.short_help is None and _command.help:
            # click cuts the first sentence at 45 characters ("… (Art."); the whole first paragraph reads better.
            first = _command.help.strip().split("\n\n")[0]
            _command.short_help = " ".join(first.split()).rstrip(".")
        if _command.epilog is None:
            _command.epilog = "\b\n" + EXITS_HELP
        main.add_command(_command)
