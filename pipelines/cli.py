"""`kaifang`: the front door to every capability.

Exit codes scripts can rely on: 0 everything asked for succeeded; 1 some dataset failed or was refused;
2 bad usage or an invalid spec.
"""

from __future__ import annotations

import importlib

import click

from pipelines.environment import prepare_environment

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# Each module defines `commands: list[click.Command]`.
COMMAND_MODULES = [
    "pipelines.commands.release",
    "pipelines.commands.scan",
    "pipelines.commands.catalog",
    "pipelines.commands.validate",
    "pipelines.commands.anonymize",
    "pipelines.commands.ops",
    "pipelines.commands.governance",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="kaifang")
def main() -> None:
    """Kaifang (开放): release public data safely.

    Agencies' tables go through detect → classify → desensitize → verify → validate → publish,
    driven by one YAML release spec per dataset (see configs/datasets/).

    \b
    Typical use:
      kaifang check configs/datasets           validate every spec
      kaifang scan data.csv                    what personal or secret fields does a file hold?
      kaifang release configs/datasets         run every release into ./catalog-out
      kaifang catalog list                     what is published
    """
    prepare_environment()


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(_name).commands:
        main.add_command(_command)
