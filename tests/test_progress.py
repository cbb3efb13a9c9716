"""Progress a person and a log can follow, and summaries that never say None."""

from __future__ import annotations

import io
import logging

import pandas as pd

from pipelines import progress
from pipelines.summary import dataset_text, run_markdown


def test_plain_lines_give_each_stage_its_rows_and_seconds_and_no_value():
    stream = io.StringIO()
    progress._display = progress.LineDisplay(stream)
    try:
        progress.display().dataset_started(1, 2, "roster.yaml")
        chunks = [pd.DataFrame({"身份证号": ["370114199508135589"] * 3}), pd.DataFrame({"身份证号": ["x"] * 2})]
        assert sum(len(c) for c in progress.counted("detect", iter(chunks), 5)) == 5
        progress.stage_finished("detect", 5, 1.23)
        progress.display().dataset_finished("roster: published (2.0 s)")
    finally:
        progress.use_display(None)
    lines = stream.getvalue().splitlines()
    assert lines == ["[1/2] roster.yaml …", "[1/2] detect: 5 rows in 1.2 s", "[1/2] roster: published (2.0 s)"]
    assert "370114" not in stream.getvalue()


def test_not_a_terminal_means_plain_lines(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert isinstance(progress.use_display("auto"), progress.LineDisplay)
    assert isinstance(progress.use_display(None), progress._Silent)


def test_serve_says_a_repeated_runner_line_once():
    logger = logging.getLogger("kaifang-test-runner")
    quiet = progress.QuietRepeats()
    records = [logger.makeRecord(logger.name, logging.INFO, __file__, 1, "%d scheduled runs skipped (at capacity)",
                                 (n,), None) for n in (1, 1, 1, 2, 2)]
    assert [quiet.filter(r) for r in records] == [True, False, False, True, False]


def test_a_failed_release_summary_shows_dashes_never_none():
    record = {"dataset": {"id": "roster"}, "status": "failed", "rows_in": 2000, "rows_out": None,
              "failed_stage": None, "failure": "extract: source file not found", "decision": None,
              "quality": None, "plan": [], "findings": [], "approval": None}
    text, markdown = dataset_text(record), run_markdown([record])
    assert "2000 → —" in text and "2000 → —" in markdown
    assert "None" not in text and "None" not in markdown


def test_approve_show_prints_the_decision_record_as_text():
    import json

    from pipelines.commands.ops import readable

    markdown = "## 待审批\n\n| check | passed |\n|---|---|"
    assert readable(json.dumps(markdown)) == markdown
    assert readable(json.dumps({"a": "数"})) == '{\n "a": "数"\n}'
    assert readable("not json") == "not json"
