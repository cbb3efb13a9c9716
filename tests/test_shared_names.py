"""Names found during detection are handed to Dask workers through the run folder, so a worker that
desensitizes a part does not find them again; what a worker takes is exactly what was found, for
this dataset only, and only from the file the release process wrote."""

from __future__ import annotations

import pandas as pd
import pytest

from detectors import persons
from pipelines import stages

REMARKS = ["委托徐雪梅代为办理参保登记。", "经张伟同意，由李娜负责核实。", "单位统一办理参保登记。"]


@pytest.fixture
def empty_memory(monkeypatch):
    monkeypatch.setattr(persons, "_NAMES", persons._NameMemory(1000))


def _found(texts):
    return {text: persons.canonical_person_spans(persons.digit_canonical(text)) for text in texts}


def _fresh_worker(monkeypatch):
    monkeypatch.setattr(persons, "_NAMES", persons._NameMemory(1000))


def test_a_worker_takes_the_names_the_release_process_found(tmp_path, empty_memory, monkeypatch):
    found = _found(REMARKS)
    assert any(found.values())  # the remarks hold names, and one holds none
    files = stages.WorkFiles(tmp_path)
    digest = stages.share_names(files)
    _fresh_worker(monkeypatch)

    def never(_text):
        raise AssertionError("a shared text was scanned again")

    assert stages.take_shared_names(files, digest) == len(REMARKS)
    monkeypatch.setattr(persons, "person_spans", never)
    assert _found(REMARKS) == found


def test_a_file_changed_after_it_was_shared_is_not_taken(tmp_path, empty_memory, monkeypatch):
    """A names file swapped in the run folder (every text "holds no name") would leave names unmasked."""
    _found(REMARKS)
    files = stages.WorkFiles(tmp_path)
    digest = stages.share_names(files)
    persons.forget_names()
    persons.remember_names([(persons.digit_canonical(text), ()) for text in REMARKS])
    stages.share_names(files)  # the same path, other contents
    _fresh_worker(monkeypatch)
    assert stages.take_shared_names(files, digest) == 0
    assert stages.take_shared_names(files, None) == 0
    files.names.write_bytes(b"not parquet")
    assert stages.take_shared_names(files, digest) == 0  # unreadable: the worker finds the names itself
    assert persons.remembered_names() == []


def test_detection_shares_only_its_own_datasets_texts(tmp_path, empty_memory):
    """A process that released another dataset before does not hand that dataset's remarks on."""
    _found(["另一数据集：经王秀英同意办理。"])
    raw = tmp_path / "raw.parquet"
    pd.DataFrame({"备注": pd.array(REMARKS * 10, dtype="string")}).to_parquet(raw)
    stages.detect(raw)
    texts = {text for text, _ in persons.remembered_names()}
    assert not any("王秀英" in text for text in texts)


def test_no_shared_file_means_nothing_taken(tmp_path, empty_memory):
    assert stages.take_shared_names(stages.WorkFiles(tmp_path), "0" * 64) == 0
    assert persons.remembered_names() == []


def test_the_memory_keeps_the_newest_half_when_full():
    memory = persons._NameMemory(4)
    for i in range(5):
        memory.put(f"t{i}", ())
    assert list(memory.found) == ["t2", "t3", "t4"]
