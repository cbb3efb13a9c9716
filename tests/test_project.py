"""The project folder is found like git finds its repository, so every command works from any folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.project import PACKAGED_POLICY, ProjectError, find_project, load_project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def no_project_settings(monkeypatch):
    """Only what each test names: no project or state folder from the test session's environment."""
    for name in ("KAIFANG_PROJECT", "KAIFANG_STATE", "KAIFANG_KEY_FILE", "KAIFANG_CATALOG"):
        monkeypatch.delenv(name, raising=False)


def run(*args: str, cwd: Path | None = None, env: dict | None = None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)
    with runner.isolated_filesystem(temp_dir=cwd):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)


def test_the_packaged_default_policy_is_the_repository_policy():
    assert PACKAGED_POLICY.read_text(encoding="utf-8") == (ROOT / "configs" / "policy.yaml").read_text(encoding="utf-8")


def test_the_packaged_lexicon_is_the_repository_lexicon():
    from detectors.lexicon import PACKAGED_PATH

    assert PACKAGED_PATH.read_bytes() == (ROOT / "configs" / "lexicons" / "trade_secret.yaml").read_bytes()


def test_a_project_is_found_from_a_spec_deep_inside_it(tmp_path):
    (tmp_path / "kaifang.toml").write_text('catalog = "published"\n', encoding="utf-8")
    spec = tmp_path / "a" / "b" / "spec.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text("id: x\n", encoding="utf-8")
    project = find_project(spec)
    assert project is not None and project.root == tmp_path.resolve()
    assert project.catalog == tmp_path.resolve() / "published"
    assert project.policy == tmp_path.resolve() / "configs" / "policy.yaml"


def test_the_configs_layout_marks_a_project_without_kaifang_toml(tmp_path):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "policy.yaml").write_text("version: x\n", encoding="utf-8")
    assert find_project(tmp_path / "configs" / "datasets").root == tmp_path.resolve()


def test_an_unknown_key_in_kaifang_toml_is_one_line(tmp_path):
    (tmp_path / "kaifang.toml").write_text('polcy = "p.yaml"\n', encoding="utf-8")
    with pytest.raises(ProjectError, match="unknown key 'polcy'"):
        load_project(tmp_path)


def test_init_creates_a_project_that_every_command_finds_from_anywhere(tmp_path):
    folder = tmp_path / "minzheng"
    result = run("init", str(folder), "--agency", "济南市民政局")
    assert result.exit_code == 0, result.output
    for part in ("kaifang.toml", "configs/policy.yaml", "configs/lexicons/trade_secret.yaml",
                 "configs/example-spec.yaml", ".kaifang/pseudonym.key"):
        assert (folder / part).is_file(), part
    assert (folder / ".kaifang" / "pseudonym.key").stat().st_mode & 0o077 == 0
    assert "Next:" in result.output and "kaifang check" in result.output
    assert "济南市民政局" in (folder / "configs" / "example-spec.yaml").read_text(encoding="utf-8")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    draft = folder / "configs" / "datasets" / "si.yaml"
    result = run("propose", str(ROOT / "configs" / "samples" / "social_insurance.csv"), "--sample", "300",
                 "--out", str(draft), cwd=elsewhere)
    assert result.exit_code == 0, result.output
    # From a folder inside the project, keygen finds the project's key instead of writing a new one.
    result = run("keygen", cwd=folder / "configs")
    assert result.exit_code == 2 and str(folder / ".kaifang" / "pseudonym.key") in result.output
    # A second init keeps what is there.
    result = run("init", str(folder))
    assert result.exit_code == 0 and "wrote" not in result.output


def test_outside_any_project_propose_says_how_to_get_one(tmp_path):
    result = run("propose", str(ROOT / "configs" / "samples" / "social_insurance.csv"), cwd=tmp_path)
    assert result.exit_code == 2
    assert "no Kaifang project" in result.output and "kaifang init" in result.output


def test_project_option_and_environment_name_the_project(tmp_path):
    result = run("--project", str(ROOT), "check", str(ROOT / "configs" / "datasets"), "--offline", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    result = run("check", str(ROOT / "configs" / "datasets"), "--offline", cwd=tmp_path,
                 env={"KAIFANG_PROJECT": str(tmp_path / "missing")})
    assert result.exit_code == 2 and "project folder not found" in result.output


def test_check_of_the_repository_specs_works_from_another_folder(tmp_path):
    result = run("check", str(ROOT / "configs" / "datasets"), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "invalid" not in result.output
