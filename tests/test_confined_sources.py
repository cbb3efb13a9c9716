"""File sources are read only from the spec's folder or the policy's `source_roots`, symlinks resolved."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.extract import SourceError, confined
from pipelines.spec import load_policy, load_spec

ROOT = Path(__file__).resolve().parents[1]
SECRET = "root:x:0:0:secret-line"


def write_spec(folder: Path, path: str) -> Path:
    spec = yaml.safe_load((ROOT / "configs" / "datasets" / "cultural-venues.yaml").read_text(encoding="utf-8"))
    spec["source"] = {"file": {"path": path}}
    spec_path = folder / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return spec_path


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    specs, outside = tmp_path / "specs", tmp_path / "elsewhere"
    specs.mkdir()
    outside.mkdir()
    (outside / "passwd").write_text(SECRET + "\n", encoding="utf-8")
    (specs / "inside.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return {"specs": specs, "outside": outside}


def test_a_path_climbing_out_of_the_spec_folder_is_refused_without_its_content(layout):
    loaded = load_spec(write_spec(layout["specs"], "../elsewhere/passwd"))
    with pytest.raises(SourceError, match="outside the spec's folder and the policy's source_roots") as caught:
        loaded.source_path([])
    assert SECRET not in str(caught.value) and "\n" not in str(caught.value)


def test_etc_passwd_is_refused_whatever_its_lines(layout):
    loaded = load_spec(write_spec(layout["specs"], "../../../../../../../../etc/passwd"))
    with pytest.raises(SourceError, match="outside"):
        loaded.source_path([])


def test_a_symlink_inside_pointing_outside_is_refused(layout):
    (layout["specs"] / "innocent.csv").symlink_to(layout["outside"] / "passwd")
    loaded = load_spec(write_spec(layout["specs"], "innocent.csv"))
    with pytest.raises(SourceError, match="outside"):
        loaded.source_path([])


def test_files_under_the_spec_folder_or_a_listed_root_are_allowed(layout):
    assert load_spec(write_spec(layout["specs"], "inside.csv")).source_path([]).name == "inside.csv"
    loaded = load_spec(write_spec(layout["specs"], "../elsewhere/passwd"))
    assert loaded.source_path([str(layout["outside"])]) == (layout["outside"] / "passwd").resolve()


def test_a_sqlite_database_outside_is_refused_too(layout):
    (layout["outside"] / "db.sqlite").write_bytes(b"")
    spec_path = write_spec(layout["specs"], "inside.csv")
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["source"] = {"sql": {"url": "sqlite:///../elsewhere/db.sqlite", "table": "t"}}
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SourceError, match="outside"):
        load_spec(spec_path).source_path([])


def test_policy_roots_are_taken_from_the_policy_folder(tmp_path):
    policy = yaml.safe_load((ROOT / "configs" / "policy.yaml").read_text(encoding="utf-8"))
    policy["source_roots"] = ["shared-inputs"]
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    loaded, _ = load_policy(tmp_path / "policy.yaml")
    assert loaded.source_roots == [str((tmp_path / "shared-inputs").resolve())]


def test_a_missing_file_is_reported_as_missing(tmp_path):
    with pytest.raises(SourceError, match="source file not found"):
        confined(tmp_path / "nope.csv", [tmp_path])


def test_check_refuses_a_source_outside_and_a_writing_query(layout):
    from click.testing import CliRunner

    from pipelines.cli import main

    write_spec(layout["specs"], "../elsewhere/passwd")
    policy = str(ROOT / "configs" / "policy.yaml")
    outside = CliRunner().invoke(main, ["check", str(layout["specs"]), "--policy", policy])
    assert outside.exit_code == 2 and "outside the spec's folder" in outside.output
    spec_path = layout["specs"] / "spec.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["source"] = {"sql": {"url": "postgresql+psycopg://reader@db/agency", "query": "DELETE FROM t"}}
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    writing = CliRunner().invoke(main, ["check", str(layout["specs"]), "--policy", policy])
    assert writing.exit_code == 2 and "only SELECT is allowed" in writing.output
