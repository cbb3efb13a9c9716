"""`kaifang validate FILE --spec SPEC`: the gate from the command line, with scripts' exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "configs" / "policy.yaml"
SPEC = """\
id: district-enrolment
title: 参保登记统计
description: 各区县参保登记人数
publisher: 济南市人力资源和社会保障局
theme: 社保就业
update_frequency: monthly
source:
  file: {path: enrolment.csv}
open_class: {declared: unconditional}
columns:
  咨询电话: {action: keep, reason: 经办机构对外服务电话}
privacy:
  quasi_identifiers: [区县, 性别]
  k: 2
quality:
  key: [编号]
  expectations:
    - {expect: between, column: 人数, min: 0, max: 100000}
    - {expect: in_set, column: 性别, values: [男, 女], severity: warning}
"""
ROWS = [f"A{i:02d},{district},{sex},{80 + i},053188888888"
        for i, (district, sex) in enumerate([("历下区", "男"), ("市中区", "女")] * 3)]
HEADER = "编号,区县,性别,人数,咨询电话"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "good.csv").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="gbk")
    return tmp_path


def kaifang(*args: str):
    return CliRunner().invoke(main, ["validate", *args, "--policy", str(POLICY)])


def test_a_good_file_passes_and_gets_data_docs(folder: Path) -> None:
    result = kaifang("good.csv", "--spec", "spec.yaml", "--docs", "qd")
    assert result.exit_code == 0, result.output
    assert "district-enrolment: good.csv — " in result.stdout and ": PASSED" in result.stdout
    assert "ok      critical  the table has rows" in result.stdout
    assert (folder / "qd" / "index.html").is_file()


def test_the_default_docs_folder(folder: Path) -> None:
    assert kaifang("good.csv", "--spec", "spec.yaml").exit_code == 0
    assert (folder / "quality-docs" / "index.html").is_file()


def test_a_header_only_file_fails_the_gate(folder: Path) -> None:
    (folder / "empty.csv").write_text(HEADER + "\n", encoding="utf-8")
    result = kaifang("empty.csv", "--spec", "spec.yaml")
    assert result.exit_code == 1
    assert "FAIL    critical  row count 0 is not above zero" in result.stdout


def test_json_output_and_a_raw_phone(folder: Path) -> None:
    rows = [row.replace("053188888888", "138****5678") for row in ROWS]
    rows[3] = rows[3].replace("138****5678", "13812345678")
    header = HEADER.replace("咨询电话", "联系电话")
    (folder / "leaky.csv").write_text("\n".join([header, *rows]), encoding="utf-8")
    result = kaifang("leaky.csv", "--spec", "spec.yaml", "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["passed"] is False
    assert summary["failed_critical"] == ["列 联系电话: 17% of rows hold a raw PHONE_NUMBER"]
    assert "13812345678" not in result.output


def test_an_invalid_spec_is_a_usage_error(folder: Path) -> None:
    (folder / "bad.yaml").write_text(SPEC.replace("monthly", "fortnightly"), encoding="utf-8")
    result = kaifang("good.csv", "--spec", "bad.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "update_frequency" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("args", "error"), [
    (["missing.csv", "--spec", "spec.yaml"], "no such file: missing.csv"),
    (["good.csv", "--spec", "nope.yaml"], "nope.yaml: file not found"),
])
def test_missing_files_are_usage_errors(folder: Path, args: list[str], error: str) -> None:
    result = kaifang(*args)
    assert result.exit_code == 2
    assert error in result.stderr


def test_help_teaches_the_command() -> None:
    result = CliRunner().invoke(main, ["validate", "--help"])
    assert result.exit_code == 0
    assert "--spec" in result.output and "Exit code 0" in result.output
