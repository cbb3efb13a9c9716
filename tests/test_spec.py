"""Release specs: what a steward may write, and the one-line errors for what they may not."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.spec import SpecError, load_policy, load_spec, spec_paths

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "configs" / "datasets"


def write_spec(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load((SPECS / "social-insurance.yaml").read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node[part]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_every_shipped_spec_and_the_policy_are_valid():
    assert len(spec_paths(SPECS)) >= 3
    for path in spec_paths(SPECS):
        assert load_spec(path).spec.id
    policy, digest = load_policy(ROOT / "configs" / "policy.yaml")
    assert policy.classes["conditional"].k >= 2 and len(digest) == 64


def test_an_unknown_key_is_named_with_its_file(tmp_path):
    path = write_spec(tmp_path, **{"privacy.kk": 5})
    with pytest.raises(SpecError) as error:
        load_spec(path)
    assert str(error.value) == f"{path}: privacy.kk: unknown key (did you mean 'k'?)"


def test_a_bad_value_says_what_was_expected(tmp_path):
    path = write_spec(tmp_path, update_frequency="fortnightly")
    with pytest.raises(SpecError, match=r"update_frequency: expected 'realtime', 'daily'"):
        load_spec(path)


def test_an_unknown_action_names_the_column(tmp_path):
    path = write_spec(tmp_path, **{"columns.姓名": {"action": "scramble"}})
    with pytest.raises(SpecError, match=r"columns\.姓名\.action: expected 'keep', 'drop'"):
        load_spec(path)


def test_a_missing_required_key_is_reported(tmp_path):
    path = write_spec(tmp_path, title=None)
    with pytest.raises(SpecError, match=r"title: required key is missing"):
        load_spec(path)


def test_not_open_needs_a_basis_from_the_measures(tmp_path):
    path = write_spec(tmp_path, **{"open_class.basis": ["because"]})
    with pytest.raises(SpecError, match=r"unknown basis \['because'\] for not_open"):
        load_spec(path)


def test_a_conditional_release_needs_its_conditions(tmp_path):
    path = write_spec(tmp_path, **{"open_class.conditions": None})
    with pytest.raises(SpecError, match="needs 'conditions'"):
        load_spec(path)


def test_a_source_is_a_file_or_sql_not_both(tmp_path):
    path = write_spec(tmp_path, **{"source.sql": {"url": "sqlite:///x.db", "table": "t"}})
    with pytest.raises(SpecError, match="exactly one of 'file' or 'sql'"):
        load_spec(path)


def test_invalid_yaml_gives_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"invalid YAML at line \d"):
        load_spec(path)


def test_relative_paths_resolve_against_the_spec_folder():
    loaded = load_spec(SPECS / "enterprise-operations.yaml")
    assert loaded.sql_url() == "sqlite:///" + str(ROOT / "configs" / "samples" / "enterprises.sqlite")


def test_an_unknown_entity_name_is_refused(tmp_path):
    path = write_spec(tmp_path, **{"columns.手机号码": {"action": "keep", "entity": "ORG_HOTLINE", "reason": "x"}})
    with pytest.raises(SpecError, match=r"columns\.手机号码\.entity: expected one of \['CN_BANK_CARD'"):
        load_spec(path)


def test_a_quasi_identifier_flag_must_be_listed_under_privacy(tmp_path):
    path = write_spec(tmp_path, **{"columns.工作单位": {"action": "keep", "reason": "x", "quasi_identifier": True}})
    with pytest.raises(SpecError, match=r"columns\.工作单位\.quasi_identifier: also list '工作单位'"):
        load_spec(path)


def test_publishing_a_column_as_is_needs_a_reason(tmp_path):
    path = write_spec(tmp_path, **{"columns.工作单位": {"action": "keep"}})
    with pytest.raises(SpecError, match=r"columns\.工作单位: a column published as is \('keep'\) needs a 'reason'"):
        load_spec(path)
