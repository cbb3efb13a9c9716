"""The CLI as scripts use it: outputs, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from pipelines.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "configs" / "samples"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_check_accepts_the_shipped_specs():
    result = invoke("check", str(ROOT / "configs" / "datasets"), "--policy", str(ROOT / "configs" / "policy.yaml"))
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == 4  # three record releases and the DP statistics release


def test_check_names_the_bad_key_and_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "configs" / "datasets" / "cultural-venues.yaml").read_text(encoding="utf-8")
                   + "colums: {}\n", encoding="utf-8")
    result = invoke("check", str(bad), "--policy", str(ROOT / "configs" / "policy.yaml"))
    assert result.exit_code == 2
    assert f"{bad}: colums: unknown key" in result.output


def test_scan_json_is_one_object_in_the_documented_shape():
    result = invoke("scan", str(SAMPLES / "social_insurance.csv"), "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["rows"] == 2000
    columns = {c["name"]: c for c in report["columns"]}
    assert set(columns["身份证号"]) == {"name", "entities", "free_text", "quasi_identifier"}
    assert [e["type"] for e in columns["身份证号"]["entities"]] == ["CN_RESIDENT_ID"]
    assert [e["type"] for e in columns["手机号码"]["entities"]] == ["PHONE_NUMBER"]
    assert columns["性别"]["quasi_identifier"] is True


def test_scan_reads_gbk_and_xlsx(tmp_path):
    gbk = invoke("scan", str(SAMPLES / "cultural_venues_gbk.csv"), "--json")
    assert json.loads(gbk.output)["rows"] == 56
    frame = pd.read_csv(SAMPLES / "social_insurance.csv", dtype=str).head(50)
    frame.to_excel(tmp_path / "t.xlsx", index=False)
    result = invoke("scan", str(tmp_path / "t.xlsx"), "--sample", "20")
    assert result.exit_code == 0
    assert "20 rows" in result.output and "CN_RESIDENT_ID" in result.output


def test_scan_of_a_missing_file_is_one_line():
    result = CliRunner().invoke(main, ["scan", "nowhere.csv"])
    assert result.exit_code == 2  # a missing file is invalid input, as in every command
    assert result.output.strip() == "error: no such file: nowhere.csv"


def test_propose_writes_a_draft_that_check_accepts_once_filled_in(tmp_path):
    draft = tmp_path / "draft.yaml"
    result = invoke("propose", str(SAMPLES / "social_insurance.csv"), "--out", str(draft),
                    "--policy", str(ROOT / "configs" / "policy.yaml"))
    assert result.exit_code == 0
    checked = CliRunner().invoke(main, ["check", str(draft), "--policy", str(ROOT / "configs" / "policy.yaml")])
    assert checked.exit_code == 2 and checked.output.count("fill in the 待填写 placeholder") == 5, checked.output
    draft.write_text(draft.read_text(encoding="utf-8").replace("待填写：", ""), encoding="utf-8")
    checked = invoke("check", str(draft), "--policy", str(ROOT / "configs" / "policy.yaml"))
    assert checked.exit_code == 0, checked.output
    text = draft.read_text(encoding="utf-8")
    assert "身份证号" in text and "pseudonymize" in text and "quasi_identifiers" in text


def test_release_of_a_missing_target_exits_2():
    result = CliRunner().invoke(main, ["release", "no/such/specs", "--policy", str(ROOT / "configs" / "policy.yaml")])
    assert result.exit_code == 2
    assert "no such spec file or folder: no/such/specs" in result.output


def test_samples_are_reproducible(tmp_path):
    invoke("samples", "--out", str(tmp_path))
    for name in ["social_insurance.csv", "cultural_venues_gbk.csv"]:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name
    import sqlite3

    def rows(path: Path):
        with sqlite3.connect(path) as connection:
            return connection.execute("select * from enterprise_operations").fetchall()

    assert rows(tmp_path / "enterprises.sqlite") == rows(SAMPLES / "enterprises.sqlite")


def test_keygen_never_overwrites_a_key(tmp_path):
    key = tmp_path / "k"
    assert invoke("keygen", "--out", str(key)).exit_code == 0
    first = key.read_bytes()
    assert CliRunner().invoke(main, ["keygen", "--out", str(key)]).exit_code == 2
    assert invoke("keygen", "--out", str(key), "--if-missing").exit_code == 0
    assert key.read_bytes() == first and (key.stat().st_mode & 0o777) == 0o600


def test_help_lists_every_command_whole_and_the_exit_codes():
    result = invoke("--help")
    assert "Applications for conditionally open datasets (Art. 13/14)" in " ".join(result.output.split())
    assert "Objections to published data (Art. 12)" in " ".join(result.output.split())
    assert "2  usage or invalid input, including a missing file" in result.output
    for command in ("scan", "check", "release", "catalog", "access"):
        assert "Exit codes (every command)" in invoke(command, "--help").output, command


def test_a_missing_file_is_exit_2_in_every_command(tmp_path):
    missing = str(tmp_path / "nowhere.csv")
    for args in (["scan", missing], ["propose", missing, "--policy", str(ROOT / "configs" / "policy.yaml")],
                 ["check", missing], ["release", missing],
                 ["validate", missing, "--spec", str(ROOT / "configs" / "datasets" / "social-insurance.yaml")],
                 ["risk", missing, "--qi", "a"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
