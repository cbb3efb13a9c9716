"""Canaries: distinctive values planted in failing cells must not reach results, Data Docs or logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from quality import validate_release
from quality.model import Check
from quality.run import WITHHELD, run_checks
from tests.quality.conftest import NOW

CANARIES = ("11010519491231002X", "13812345678", "欧阳娜娜", "泉城路188号3单元502室")


def _forms(canary: str) -> list[bytes]:
    """The canary as it could appear in a file: UTF-8, JSON with ASCII escapes, HTML numeric entities."""
    escaped = json.dumps(canary)[1:-1]
    entities = "".join(f"&#{ord(ch)};" for ch in canary)
    return [canary.encode(), escaped.encode(), entities.encode(), canary.encode("gbk")]


def leaks(text_or_bytes: str | bytes) -> list[str]:
    data = text_or_bytes.encode() if isinstance(text_or_bytes, str) else text_or_bytes
    return [c for c in CANARIES if any(form in data for form in _forms(c))]


def leaking_files(folder: Path) -> dict[str, list[str]]:
    found = {str(p.relative_to(folder)): leaks(p.read_bytes()) for p in folder.rglob("*") if p.is_file()}
    return {name: canaries for name, canaries in found.items() if canaries}


def planted() -> pd.DataFrame:
    """Ten released rows where the canaries sit in cells that fail checks."""
    frame = pd.DataFrame({
        "编号": [f"A{i:03d}" for i in range(10)],
        "姓名": ["张*"] * 10,
        "身份证号": ["110105********1234"] * 10,
        "手机号码": ["138****5678"] * 10,
        "住址": ["历下区"] * 10,
        "备注": ["无"] * 10,
    }).astype("string")
    frame.loc[[2, 7], "姓名"] = "欧阳娜娜"
    frame.loc[[3, 4], "身份证号"] = "11010519491231002X"
    frame.loc[[5, 6], "手机号码"] = "13812345678"
    frame.loc[8, "住址"] = "泉城路188号3单元502室"
    frame.loc[9, "备注"] = "请联系 13812345678 欧阳娜娜"
    frame.loc[1, "编号"] = "11010519491231002X"  # a key that is too long and fails its pattern
    return frame


# pandas quotes the offending cell when asked for the mean of an object column of text.
MEAN = Check("expect_column_mean_to_be_between", {"column": "手机号码", "min_value": 0, "max_value": 1},
             "critical", "mean of the phone column")


def quoting_frame() -> pd.DataFrame:
    frame = planted().astype(object)
    frame.loc[0, "手机号码"] = "13812345678"
    return frame


EXPECTATIONS = [
    {"expect": "in_set", "column": "姓名", "values": ["张*"]},
    {"expect": "unique", "column": "身份证号"},
    {"expect": "match_regex", "column": "手机号码", "regex": r"^\d{3}\*{4}\d{4}$"},
    {"expect": "length_between", "column": "编号", "min": 4, "max": 4},
    {"expect": "match_regex", "column": "编号", "regex": "^A", "severity": "warning"},
    {"expect": "in_set", "column": "住址", "values": ["历下区"]},
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One gate run with Data Docs, plus a run where GX raises on text, with every log line captured."""
    root = tmp_path_factory.mktemp("canary")
    handler = _Capture()
    logging.getLogger().addHandler(handler)
    previous_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        summary = validate_release(
            planted(), dataset_id="canary", key=["编号"], expectations=EXPECTATIONS, now=NOW,
            quasi_identifiers=["姓名", "住址"], k=2, published_as_is=["身份证号"],
            sensitive_entities=["CN_RESIDENT_ID", "PERSON"], docs_dir=root / "release" / "quality",
        )
        raised = run_checks(quoting_frame(), [MEAN], suite_name="raises", run_time=NOW,
                            docs_dir=root / "raised")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(previous_level)
    (root / "input.csv").write_text(planted().to_csv(index=False), encoding="utf-8")
    return {"root": root, "summary": summary, "raised": raised, "logs": handler.text()}


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))
        if record.exc_info:
            self.records.append(logging.Formatter().formatException(record.exc_info))

    def text(self) -> str:
        return "\n".join(self.records)


def test_the_canaries_fail_checks(run: dict) -> None:
    summary = run["summary"]
    assert not summary.passed
    failed = {o.expectation for o in summary.outcomes if not o.success}
    assert {"expect_column_values_to_be_in_set", "expect_column_values_to_be_unique",
            "expect_column_values_to_match_regex", "expect_column_value_lengths_to_be_between",
            "expect_column_to_hold_no_raw_identifier", "expect_compound_columns_to_be_k_anonymous",
            "expect_column_published_as_is_to_hold_no_sensitive_entity"} <= failed
    assert run["raised"][0]["exception_info"]  # GX did raise on the text column


def test_the_search_finds_canaries_where_they_are(run: dict) -> None:
    assert leaking_files(run["root"]).get("input.csv") == list(CANARIES)


def test_without_the_safeguards_gx_would_leak(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The controls: GX's default result format and its exception texts do carry cell values."""
    import quality.run

    monkeypatch.setattr(quality.run, "scrub", lambda result: None)
    raised = run_checks(quoting_frame(), [MEAN], suite_name="raw", run_time=NOW)
    assert "13812345678" in json.dumps(raised, ensure_ascii=False, default=str)
    monkeypatch.setattr(quality.run, "RESULT_FORMAT", {"result_format": "SUMMARY"})
    in_set = Check("expect_column_values_to_be_in_set", {"column": "姓名", "value_set": ["张*"]},
                   "critical", "names are masked")
    run_checks(planted(), [in_set], suite_name="raw", run_time=NOW, docs_dir=tmp_path)
    assert "欧阳娜娜" in str(leaking_files(tmp_path))


def test_no_canary_in_data_docs(run: dict) -> None:
    root: Path = run["root"]
    pages = list((root / "release" / "quality").rglob("*.html"))
    assert (root / "release" / "quality" / "index.html").is_file() and len(pages) >= 3
    assert {k: v for k, v in leaking_files(root).items() if k != "input.csv"} == {}


def test_no_canary_in_the_summary_or_results(run: dict) -> None:
    assert leaks(run["summary"].model_dump_json()) == []
    assert leaks(json.dumps(run["raised"], ensure_ascii=False, default=str)) == []


def test_exception_text_is_withheld(run: dict) -> None:
    info = run["raised"][0]["exception_info"]
    messages = [v["exception_message"] for v in info.values()] if "raised_exception" not in info \
        else [info["exception_message"]]
    assert messages and all(m == WITHHELD for m in messages)


def test_no_canary_in_logs(run: dict) -> None:
    assert run["logs"]  # GX did log (at DEBUG), and none of it quotes a cell
    assert leaks(run["logs"]) == []


def test_no_canary_on_the_console(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    summary = validate_release(planted(), dataset_id="console", expectations=EXPECTATIONS, now=NOW,
                               docs_dir=tmp_path / "docs")
    out, err = capfd.readouterr()
    assert not summary.passed
    assert leaks(out + err) == []
    assert "Calculating Metrics" not in err  # progress bars are off


def test_a_gx_crash_is_reported_without_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    import quality.run
    from quality.run import QualityError

    def crash(*args: object, **kwargs: object) -> None:
        raise ValueError("could not convert '13812345678' to float")

    monkeypatch.setattr(quality.run, "_run", crash)
    with pytest.raises(QualityError) as caught:
        validate_release(planted(), dataset_id="crash", now=NOW)
    assert str(caught.value) == (
        "GX could not validate crash: ValueError (details withheld: they may quote data)"
    )
    assert caught.value.__suppress_context__
