"""`kaifang check` announces what a release would fail or be refused for, one line per problem."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from pipelines.cli import main
from pipelines.precheck import PLACEHOLDER, placeholders

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "configs" / "policy.yaml"
SOURCE = ROOT / "configs" / "samples" / "social_insurance.csv"


def base_spec(**changes) -> dict:
    spec = {
        "id": "roster-check", "title": "名册", "description": "摘要", "publisher": "民政局", "theme": "民政",
        "update_frequency": "monthly", "source": {"file": {"path": str(SOURCE)}},
        "open_class": {"declared": "not_open", "basis": ["personal_information"], "target": "conditional",
                       "conditions": "仅限科研"},
        "columns": {"姓名": {"action": "mask"}, "身份证号": {"action": "pseudonymize"},
                    "手机号码": {"action": "mask"}, "住址": {"action": "drop"}, "工作单位": {"action": "drop"}},
        "privacy": {"quasi_identifiers": ["性别", "出生日期", "区县"], "k": 5},
    }
    spec.update(changes)
    return spec


def check(tmp_path: Path, spec: dict, *options: str):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(path), "--policy", str(POLICY), *options],
                                catch_exceptions=False)
    return result, path


def test_a_spec_fit_for_release_is_ok_and_says_what_was_read(tmp_path):
    result, _ = check(tmp_path, base_spec())
    assert result.exit_code == 0, result.output
    assert "ok " in result.output and "2000 rows sampled, 13 columns" in result.output


def test_every_unfilled_placeholder_is_one_line_with_its_key(tmp_path):
    spec = base_spec(title=f"{PLACEHOLDER}：数据名称", keywords=["社保", f"{PLACEHOLDER}"])
    result, path = check(tmp_path, spec)
    assert result.exit_code == 2
    assert f"{path}: title: fill in the {PLACEHOLDER} placeholder" in result.output
    assert f"{path}: keywords[1]: fill in the {PLACEHOLDER} placeholder" in result.output


def test_a_missing_source_file_is_invalid_input(tmp_path):
    result, path = check(tmp_path, base_spec(source={"file": {"path": "nowhere.csv"}}))
    assert result.exit_code == 2
    assert f"{path}: source.file.path: no file at {tmp_path / 'nowhere.csv'}" in result.output


def test_unknown_columns_everywhere_get_did_you_mean(tmp_path):
    spec = base_spec(quality={"key": ["参保人编"], "expectations": [{"expect": "not_null", "column": "性"}]})
    spec["columns"]["手机号"] = {"action": "mask"}
    spec["privacy"] = {"quasi_identifiers": ["性别", "出生日"], "waivers": {"区": "公开的行政区划"}}
    result, path = check(tmp_path, spec)
    assert result.exit_code == 2
    lines = result.output.splitlines()
    for key, name, near in [("columns.手机号", "手机号", "手机号码"),
                            ("privacy.quasi_identifiers", "出生日", "出生日期"),
                            ("quality.key", "参保人编", "参保人编号"), ("privacy.waivers", "区", None),
                            ("quality.expectations[0]", "性", None)]:
        line = next((ln for ln in lines if f"{path}: {key}: column '{name}' is not in the source" in ln), None)
        assert line is not None, (key, result.output)
        assert (f"did you mean '{near}'?" in line) if near else ("expected one of its 13 columns" in line)


def test_unknown_keys_get_did_you_mean_one_line_each(tmp_path):
    spec = base_spec(titel="名册")
    spec["privacy"] = {"quasi_identifier": ["性别"]}
    result, path = check(tmp_path, spec)
    assert result.exit_code == 2
    assert f"{path}: titel: unknown key (did you mean 'title'?)" in result.output
    assert f"{path}: privacy.quasi_identifier: unknown key (did you mean 'quasi_identifiers'?)" in result.output


def test_the_guards_refusals_are_announced_without_a_value(tmp_path):
    spec = base_spec()
    spec["columns"]["身份证号"] = {"action": "keep", "reason": "业务需要"}
    spec["columns"]["参保人编号"] = {"action": "keep", "reason": "业务需要"}
    result, path = check(tmp_path, spec)
    assert result.exit_code == 1, result.output
    assert f"{path}: columns.身份证号: detected as a direct identifier (CN_RESIDENT_ID) and 'keep'" in result.output
    assert "holds raw CN_RESIDENT_ID" in result.output and "never published raw" in result.output
    assert "参保人编号 (record identifier) is published raw" in result.output
    values = set(pd.read_csv(SOURCE, dtype=str, keep_default_na=False).head(50).stack())
    assert not [v for v in values if len(v) > 2 and v in result.output]


def test_a_waiver_or_a_declaration_satisfies_coverage(tmp_path):
    spec = base_spec()
    spec["columns"]["参保人编号"] = {"action": "keep", "reason": "业务需要"}
    spec["privacy"]["waivers"] = {"参保人编号": "编号随机分配，与个人无关联"}
    result, _ = check(tmp_path, spec)
    assert result.exit_code == 0, result.output


def test_an_unreachable_sql_source_fails_and_offline_skips_it(tmp_path):
    spec = base_spec(source={"sql": {"url": "postgresql+psycopg://postgres@127.0.0.1:1/test", "table": "roster"}},
                     columns={}, privacy={})
    result, path = check(tmp_path, spec)
    assert result.exit_code == 1
    assert f"{path}: source.sql: the SQL source cannot be reached" in result.output
    result, _ = check(tmp_path, spec, "--offline")
    assert result.exit_code == 0, result.output


def test_a_sql_source_is_sampled_with_limit(tmp_path):
    from pipelines.precheck import limited_query
    from pipelines.spec import load_spec

    spec = base_spec(source={"sql": {"url": "sqlite:///x.sqlite", "query": "SELECT * FROM t;"}})
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    query = limited_query(load_spec(path), 7)
    assert "LIMIT 7" in query and "SELECT * FROM t" in query and ";" not in query


@given(st.recursive(st.text(max_size=5) | st.integers(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                 max_size=3), max_leaves=10))
def test_placeholders_are_found_exactly_where_they_are(data):
    def expected(node, key=""):
        if isinstance(node, dict):
            return [k2 for k, v in node.items() for k2 in ([f"{key}.{k}" if key else str(k)]
                                                             if PLACEHOLDER in str(k) else []) + expected(
                v, f"{key}.{k}" if key else str(k))]
        if isinstance(node, list):
            return [k2 for i, v in enumerate(node) for k2 in expected(v, f"{key}[{i}]")]
        return [key] if isinstance(node, str) and PLACEHOLDER in node else []

    planted = {"a": [data, f"x{PLACEHOLDER}"]}
    keys = [p.key for p in placeholders(planted, Path("s.yaml"))]
    assert keys == expected(planted)
    assert "a[1]" in keys
