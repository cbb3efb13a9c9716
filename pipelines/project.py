"""The project folder: where an agency keeps its policy, specs, lexicon, key and catalog.

Found the way git finds its repository, so every command works from any folder: the folder named
by ``--project`` or ``$KAIFANG_PROJECT``, else the nearest folder at or above the spec (or, for
commands without one, the current folder) that holds a ``kaifang.toml`` marker or the ``configs/``
layout (``configs/policy.yaml``). ``kaifang.toml`` may move any of the parts::

    policy = "configs/policy.yaml"
    specs = "configs/datasets"
    lexicon = "configs/lexicons/trade_secret.yaml"
    state = ".kaifang"          # Prefect home and the pseudonymization key
    catalog = "catalog-out"

Relative paths are taken from the project folder. Outside any project the old defaults apply
(./.kaifang, ./catalog-out) and a command that needs a policy says how to get one.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

MARKER = "kaifang.toml"
PROJECT_ENV = "KAIFANG_PROJECT"
LAYOUT_POLICY = Path("configs") / "policy.yaml"
DEFAULTS = {
    "policy": "configs/policy.yaml",
    "specs": "configs/datasets",
    "lexicon": "configs/lexicons/trade_secret.yaml",
    "hierarchies": "configs/hierarchies",
    "state": ".kaifang",
    "catalog": "catalog-out",
}
# The package's own copies, so `kaifang init` works from an installed package.
PACKAGED_POLICY = Path(__file__).resolve().parent / "default_policy.yaml"


class ProjectError(ValueError):
    """The project folder named cannot be used; one line."""


@dataclass(frozen=True)
class Project:
    root: Path
    settings: dict[str, str] = field(default_factory=dict)

    def path(self, part: str) -> Path:
        """Where one part of the project lives (``policy``, ``specs``, ``lexicon``, ``state``, ``catalog``)."""
        relative = Path(str(self.settings.get(part, DEFAULTS[part]))).expanduser()
        return relative if relative.is_absolute() else self.root / relative

    @property
    def policy(self) -> Path:
        return self.path("policy")

    @property
    def specs(self) -> Path:
        return self.path("specs")

    @property
    def lexicon(self) -> Path:
        return self.path("lexicon")

    @property
    def state(self) -> Path:
        return self.path("state")

    @property
    def catalog(self) -> Path:
        return self.path("catalog")


def is_project(folder: Path) -> bool:
    return (folder / MARKER).is_file() or (folder / LAYOUT_POLICY).is_file()


def load_project(root: Path) -> Project:
    """The project at ``root``, with the settings of its ``kaifang.toml`` if it has one."""
    root = root.expanduser().resolve()
    if not root.is_dir():
        raise ProjectError(f"project folder not found: {root}")
    marker = root / MARKER
    settings: dict[str, str] = {}
    if marker.is_file():
        try:
            data = tomllib.loads(marker.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ProjectError(f"{marker}: not valid TOML ({type(exc).__name__})") from None
        unknown = sorted(set(data) - set(DEFAULTS) - {"name"})
        if unknown:
            raise ProjectError(f"{marker}: unknown key '{unknown[0]}'; expected one of {sorted(DEFAULTS)}")
        settings = {k: str(v) for k, v in data.items()}
    return Project(root=root, settings=settings)


def find_project(start: Path) -> Project | None:
    """The nearest project folder at or above ``start`` (a file or a folder), like git's search."""
    here = start.expanduser().resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        if is_project(folder):
            return load_project(folder)
    return None


_explicit: Path | None = None
_active: Project | None = None


def choose(explicit: Path | None) -> None:
    """Called once per CLI invocation with ``--project`` (None: none given); forgets the last choice."""
    global _explicit, _active
    _explicit, _active = explicit, None
    _use_lexicon(None)


def locate(anchor: Path | None = None) -> Project | None:
    """The project for a command: ``--project``, ``$KAIFANG_PROJECT``, else found from ``anchor`` or the
    current folder upwards. The result becomes the current project (key, state, lexicon, catalog)."""
    global _active
    named = _explicit or (Path(os.environ[PROJECT_ENV]) if os.environ.get(PROJECT_ENV) else None)
    if named is not None:
        _active = load_project(named)
    else:
        _active = (find_project(anchor) if anchor is not None else None) or find_project(Path.cwd())
    _use_lexicon(_active)
    return _active


def current() -> Project | None:
    """The project chosen by the last ``locate``, else the one ``locate()`` finds now."""
    return _active if _active is not None else locate()


def _use_lexicon(project: Project | None) -> None:
    from detectors import lexicon

    lexicon.use_default(project.lexicon if project is not None and project.lexicon.is_file() else None)


def policy_path(explicit: Path | None, anchor: Path | None = None) -> Path:
    """The policy a command uses: ``--policy``, else the project's; a ProjectError says how to get one."""
    if explicit is not None:
        return explicit
    project = locate(anchor)
    if project is None:
        where = anchor if anchor is not None else Path.cwd()
        raise ProjectError(f"no Kaifang project at or above {where} (no {MARKER}, no {LAYOUT_POLICY}): "
                           "run `kaifang init DIR`, or pass --project DIR or --policy FILE")
    return project.policy


def catalog_dir(explicit: Path | None) -> Path:
    """The catalog: ``--catalog``, else $KAIFANG_CATALOG, else the project's, else ./catalog-out."""
    from catalog.store import CATALOG_ENV, default_catalog_dir

    if explicit is not None:
        return explicit.resolve()
    project = current()
    if os.environ.get(CATALOG_ENV) or project is None:
        return default_catalog_dir().resolve()
    return project.catalog


EXAMPLE_SPEC = """\
# An example release spec: copy it into configs/datasets/ (or let `kaifang propose EXPORT --out …` draft one),
# fill in every 待填写, then `kaifang check configs/datasets`. Paths are relative to the spec's folder.
id: example-dataset
title: 待填写：数据名称
description: 待填写：数据摘要
publisher: {publisher}
theme: 待填写：数据领域
keywords: []
update_frequency: monthly
licence: CC-BY-4.0
source:
  file:
    path: ../../data/待填写.csv
open_class:
  declared: not_open
  basis: [personal_information]
  target: conditional
  conditions: 待填写：开放条件（用途限制、数据安全承诺）
columns:
  姓名: {{action: mask}}
  身份证号: {{action: pseudonymize}}
privacy:
  quasi_identifiers: []
  k: 5
outputs: [csv, parquet, json]
"""


def project_policy_text() -> str:
    """The packaged policy, with the project's data/ folder as the one place sources are read from
    (besides each spec's own folder): `init` puts exports there."""
    import re

    text = PACKAGED_POLICY.read_text(encoding="utf-8")
    line = "source_roots: [../data]"
    replaced, count = re.subn(r"(?m)^source_roots:.*$", line, text)
    return replaced if count else text.rstrip("\n") + f"\n\n{line}\n"


def init_project(folder: Path, agency: str | None = None) -> list[tuple[Path, bool]]:
    """Lay out a project folder; returns each file with whether it was created (existing files are kept)."""
    from anonymizers.keys import write_new_key
    from detectors.lexicon import DEFAULT_PATH as BUILT_IN_LEXICON

    project = Project(root=folder)
    (folder / "configs" / "datasets").mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    files = {
        folder / MARKER: f'# Kaifang project of {agency or "待填写：机构名称"}; paths relative to this folder.\n'
                         + "".join(f'{k} = "{v}"\n' for k, v in DEFAULTS.items() if k != "hierarchies"),
        project.policy: project_policy_text(),
        project.lexicon: BUILT_IN_LEXICON.read_text(encoding="utf-8"),
        folder / "configs" / "example-spec.yaml": EXAMPLE_SPEC.format(publisher=agency or "待填写：数据提供方"),
        folder / ".gitignore": ".kaifang/\ncatalog-out/\ndata/\n",
    }
    written: list[tuple[Path, bool]] = []
    for path, text in files.items():
        created = not path.exists()
        if created:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        written.append((path, created))
    key = project.state / "pseudonym.key"
    created = not key.exists()
    if created:
        write_new_key(key)
    written.append((key, created))
    return written
