"""`kaifang anonymize` and `kaifang risk` as scripts use them: ARX's Adult figure, outputs, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipelines.cli import main

ADULT = Path(__file__).resolve().parent / "data" / "arx_adult"
ADULT_QI = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation",
            "salary-class"]
JSON_KEYS = {"levels", "metric", "value", "suppressed", "nodes_checked", "seconds"}


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """Six people: district and age band as quasi-identifiers, a diagnosis as the sensitive value."""
    (tmp_path / "data.csv").write_text(
        "区县,年龄,诊断\n"
        "历下区,23,流感\n历下区,27,胃炎\n历下区,25,流感\n"
        "市中区,31,肺炎\n市中区,38,流感\n"
        "长清区,45,胃炎\n",
        encoding="utf-8")
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "区县.csv").write_text(
        "历下区;主城区;*\n市中区;主城区;*\n长清区;郊区;*\n", encoding="utf-8")
    ages = "".join(f"{a};{a // 10 * 10}-{a // 10 * 10 + 9};{'<40' if a < 40 else '>=40'};*\n" for a in range(18, 90))
    (tmp_path / "h" / "data_hierarchy_年龄.csv").write_text(ages, encoding="utf-8")
    return tmp_path


# -- anonymize ------------------------------------------------------------------------------------------------
def test_adult_k5_reproduces_arx_and_writes_a_5_anonymous_table(tmp_path):
    out = tmp_path / "adult-k5.csv"
    result = invoke("anonymize", ADULT / "adult.csv", "--qi", ",".join(ADULT_QI), "--hierarchies", ADULT,
                    "--k", 5, "--suppression", 0, "--metric", "entropy", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == JSON_KEYS
    assert summary["levels"] == [1, 2, 1, 1, 3, 2, 2, 1, 1]
    assert round(summary["value"], 2) == 407289.54
    assert summary["metric"] == "entropy" and summary["suppressed"] == 0
    assert 0 < summary["nodes_checked"] < 12960 and summary["seconds"] >= 0

    released = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(released) == 30162
    assert list(released.columns) == ADULT_QI
    assert released.groupby(ADULT_QI).size().min() >= 5
    assert set(released["sex"]) == {"*"}  # level 1 of sex is full suppression
    original = pd.read_csv(ADULT / "adult.csv", sep=";", dtype=str)
    assert not set(released["age"]) & set(original["age"])  # ages became ranges


def test_text_output_names_each_level_and_the_figures(tmp_path):
    result = invoke("anonymize", ADULT / "adult.csv", "--qi", "sex,age", "--qi", "race", "--hierarchies", ADULT,
                    "--k", 5, "--out", tmp_path / "o.csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.split()[:1] == ["age"] and " of 4" in line for line in lines)
    assert any(line.startswith("levels:") for line in lines)
    assert any(line.startswith("entropy:") for line in lines)
    assert "suppressed:" in result.stdout and "nodes checked:" in result.stdout and "time:" in result.stdout
    assert "wrote " in result.stdout


def test_suppression_drops_the_rows_of_small_classes(small):
    out = small / "o.csv"
    result = invoke("anonymize", small / "data.csv", "--qi", "区县", "--hierarchies", small / "h", "--k", 2,
                    "--suppression", "20%", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["levels"] == [0] and summary["suppressed"] == 1
    released = pd.read_csv(out, dtype=str)
    assert sorted(released["区县"]) == ["历下区"] * 3 + ["市中区"] * 2
    assert list(released.columns) == ["区县", "年龄", "诊断"]


def test_l_diversity_and_t_closeness_options(small):
    out = small / "o.csv"
    result = invoke("anonymize", small / "data.csv", "--qi", "区县,年龄", "--hierarchies", small / "h",
                    "--k", 2, "--l", 2, "--sensitive", "诊断", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    released = pd.read_csv(out, dtype=str)
    assert released.groupby(["区县", "年龄"])["诊断"].nunique().min() >= 2
    assert released.groupby(["区县", "年龄"]).size().min() >= 2

    for extra in (["--l", 2, "--l-variant", "entropy"], ["--t", 0.5, "--t-distance", "equal"],
                  ["--t", 0.5, "--t-distance", "ordered"]):
        result = invoke("anonymize", small / "data.csv", "--qi", "区县,年龄", "--hierarchies", small / "h",
                        *extra, "--sensitive", "诊断", "--out", out, "--json")
        assert result.exit_code == 0, (extra, result.output)
        assert set(json.loads(result.stdout)) == JSON_KEYS


def test_every_metric_is_offered_and_runs(small):
    from anonymizers.metrics import METRICS
    from pipelines.commands.anonymize import METRIC_CHOICES

    assert set(METRIC_CHOICES) == set(METRICS)
    for metric in METRIC_CHOICES:
        result = invoke("anonymize", small / "data.csv", "--qi", "区县,年龄", "--hierarchies", small / "h",
                        "--k", 2, "--metric", metric, "--out", small / "o.csv", "--json")
        assert result.exit_code == 0, (metric, result.output)
        assert json.loads(result.stdout)["metric"] == metric


def test_a_missing_hierarchy_file_exits_1_naming_the_column(small):
    result = invoke("anonymize", small / "data.csv", "--qi", "区县,诊断", "--hierarchies", small / "h",
                    "--k", 2, "--out", small / "o.csv")
    assert result.exit_code == 1
    assert "no hierarchy for column '诊断'" in one_line_error(result)
    assert not (small / "o.csv").exists()


def test_a_value_missing_from_a_hierarchy_exits_1_without_quoting_it(small):
    (small / "h" / "区县.csv").write_text("历下区;主城区;*\n市中区;主城区;*\n", encoding="utf-8")
    result = invoke("anonymize", small / "data.csv", "--qi", "区县", "--hierarchies", small / "h",
                    "--k", 2, "--out", small / "o.csv")
    assert result.exit_code == 1
    line = one_line_error(result)
    assert "'区县'" in line and "1 value(s) not found" in line and "长清区" not in line


def test_no_solution_exits_1_and_says_which_limit_to_relax(small):
    (small / "h" / "区县.csv").write_text("历下区;主城区\n市中区;主城区\n长清区;郊区\n", encoding="utf-8")
    result = invoke("anonymize", small / "data.csv", "--qi", "区县", "--hierarchies", small / "h",
                    "--k", 2, "--out", small / "o.csv")
    assert result.exit_code == 1
    line = one_line_error(result)
    assert "raise --suppression to at least 0.1667" in line and "lower --k (now 2)" in line

    result = invoke("anonymize", small / "data.csv", "--qi", "区县", "--hierarchies", small / "h",
                    "--k", 7, "--suppression", "0.5", "--out", small / "o.csv")
    assert result.exit_code == 1
    assert "every record" in one_line_error(result) and "lower --k (now 7)" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--qi", "区县,住址", "--k", 2], "--qi: column(s) '住址' not in"),
        (["--qi", "区县,区县", "--k", 2], "--qi names a column twice"),
        (["--qi", "区县"], "give a privacy model"),
        (["--qi", "区县", "--l", 2], "--l and --t need --sensitive"),
        (["--qi", "区县", "--k", 2, "--sensitive", "诊断"], "--sensitive is only used with --l or --t"),
        (["--qi", "区县", "--l", 2, "--sensitive", "区县"], "also in --qi"),
        (["--qi", "区县", "--k", 2, "--l", 2, "--sensitive", "血型"], "--sensitive: column(s) '血型' not in"),
    ],
)
def test_bad_usage_exits_2_with_one_line(small, args, message):
    result = invoke("anonymize", small / "data.csv", "--hierarchies", small / "h", "--out", small / "o.csv", *args)
    assert result.exit_code == 2
    assert message in one_line_error(result)


def test_bad_paths_exit_2(small):
    base = ["--qi", "区县", "--k", 2]
    missing = invoke("anonymize", small / "nope.csv", "--hierarchies", small / "h", "--out", small / "o.csv", *base)
    assert missing.exit_code == 2 and "no such file" in one_line_error(missing)
    no_dir = invoke("anonymize", small / "data.csv", "--hierarchies", small / "x", "--out", small / "o.csv", *base)
    assert no_dir.exit_code == 2 and "--hierarchies: no such folder" in one_line_error(no_dir)
    onto_input = invoke("anonymize", small / "data.csv", "--hierarchies", small / "h", "--out", small / "data.csv",
                        *base)
    assert onto_input.exit_code == 2 and "--out is the input file" in one_line_error(onto_input)
    bad_share = invoke("anonymize", small / "data.csv", "--hierarchies", small / "h", "--out", small / "o.csv",
                       "--suppression", "150%", *base)
    assert bad_share.exit_code == 2


def test_help_teaches_with_examples():
    for command in ("anonymize", "risk"):
        result = invoke(command, "--help")
        assert result.exit_code == 0
        assert "Examples:" in result.output and f"kaifang {command} " in result.output


# -- risk ------------------------------------------------------------------------------------------------------
@pytest.fixture
def people(tmp_path: Path) -> Path:
    """Classes on (sex, district): (男, 历下区) x1, (女, 历下区) x2, (女, 市中区) x3."""
    path = tmp_path / "people.csv"
    path.write_text("性别;区县;收入\r\n男;历下区;1\r\n女;历下区;2\r\n女;历下区;3\r\n女;市中区;4\r\n女;市中区;5\r\n"
                    "女;市中区;6\r\n", encoding="utf-8")
    return path


def test_risk_of_a_tiny_table(people):
    result = invoke("risk", people, "--qi", "性别,区县", "--threshold", 0.4, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["records"] == 6 and report["classes"] == 3 and report["min_class_size"] == 1
    assert report["prosecutor_average"] == pytest.approx(3 / 6)
    assert report["prosecutor_highest"] == 1.0
    assert report["prosecutor_records_at_risk"] == pytest.approx(3 / 6)  # classes of 1 and 2: risk > 0.4
    assert report["journalist_average"] == pytest.approx(report["prosecutor_average"])
    assert report["marketer_average"] == pytest.approx(3 / 6)
    assert report["sample_uniques"] == 1 and report["population_given"] is False

    text = invoke("risk", people, "--qi", "性别", "--qi", "区县")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    prosecutor = next(line for line in lines if line.strip().startswith("prosecutor")).split()
    assert prosecutor[1:] == ["0.5000", "1.0000", "100.00%"]  # default threshold 0.2: every class is below 5
    assert any(line.split()[:1] == ["marketer"] for line in lines)
    assert "sample uniques:  1" in text.stdout and "smallest class:  1" in text.stdout
    assert "classes:         3" in text.stdout


def test_risk_against_a_population(people, tmp_path):
    population = tmp_path / "population.csv"
    rows = ["性别,区县"] + ["男,历下区"] * 4 + ["女,历下区"] * 8 + ["女,市中区"] * 3
    population.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = invoke("risk", people, "--qi", "性别,区县", "--population", population, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["population_given"] is True
    assert report["journalist_highest"] == pytest.approx(1 / 3)
    # 1 record at 1/4, 2 at 1/8, 3 at 1/3
    assert report["journalist_average"] == pytest.approx((1 / 4 + 2 / 8 + 3 / 3) / 6)
    assert report["journalist_records_at_risk"] == pytest.approx(4 / 6)  # risks 1/4 and 1/3 exceed 0.2
    assert report["prosecutor_highest"] == 1.0


def test_risk_errors(people, tmp_path):
    unknown = invoke("risk", people, "--qi", "性别,年龄")
    assert unknown.exit_code == 2 and "'年龄' not in" in one_line_error(unknown)
    missing = invoke("risk", tmp_path / "none.csv", "--qi", "性别")
    assert missing.exit_code == 2 and "no such file" in one_line_error(missing)
    (tmp_path / "pop.csv").write_text("性别\n男\n", encoding="utf-8")
    population = invoke("risk", people, "--qi", "性别,区县", "--population", tmp_path / "pop.csv")
    assert population.exit_code == 2 and "--population: column(s) '区县' not in" in one_line_error(population)
    (tmp_path / "empty.csv").write_text("性别,区县\n", encoding="utf-8")
    empty = invoke("risk", tmp_path / "empty.csv", "--qi", "性别")
    assert empty.exit_code == 1 and "no rows" in one_line_error(empty)
