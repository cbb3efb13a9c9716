"""Names found during detection are handed to Dask workers through the run folder, so a worker that
desensitizes a part does not find them again; what a worker takes is exactly what was found."""

from __future__ import annotations

import pytest

from detectors import persons
from pipelines import stages

REMARKS = ["委托徐雪梅代为办理参保登记。", "经张伟同意，由李娜负责核实。", "单位统一办理参保登记。"]


@pytest.fixture
def empty_memory(monkeypatch):
    monkeypatch.setattr(persons, "_NAMES", persons._NameMemory(1000))


def test_a_worker_takes_the_names_the_release_process_found(tmp_path, empty_memory, monkeypatch):
    found = {text: persons.canonical_person_spans(persons.digit_canonical(text)) for text in REMARKS}
    assert any(found.values())  # the remarks hold names, and one holds none
    files = stages.WorkFiles(tmp_path)
    assert stages.share_names(files) == len(REMARKS)

    monkeypatch.setattr(persons, "_NAMES", persons._NameMemory(1000))  # a fresh worker process

    def never(_text):
        raise AssertionError("a shared text was scanned again")

    assert stages.take_shared_names(files) == len(REMARKS)
    monkeypatch.setattr(persons, "person_spans", never)
    assert {text: persons.canonical_person_spans(persons.digit_canonical(text)) for text in REMARKS} == found


def test_no_shared_file_means_nothing_taken(tmp_path, empty_memory):
    assert stages.take_shared_names(stages.WorkFiles(tmp_path)) == 0
    assert persons.remembered_names() == []


def test_the_memory_keeps_the_newest_half_when_full():
    memory = persons._NameMemory(4)
    for i in range(5):
        memory.put(f"t{i}", ())
    assert list(memory.found) == ["t2", "t3", "t4"]
