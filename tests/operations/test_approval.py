"""Steward approval: a release that makes a dataset more open waits for a named decision, which is kept.

The flow pauses in Prefect (`pause_flow_run` with a form) and a steward resumes it with approve, name and
reason, as the Prefect UI does; here a thread plays the steward through the same API.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from catalog.record import Approval
from catalog.store import CatalogStore
from pipelines.approval import ApprovalRequest, class_change, seek_approval
from pipelines.spec import load_policy
from tests.catalog.helpers import make_record
from tests.operations.conftest import edit_yaml, only_specs

ENTERPRISE = "jinan-enterprise-operations"


class Steward(threading.Thread):
    """Waits for a paused flow run, reads what it asks, and answers through the Prefect API."""

    def __init__(self, api_url: str, answer: dict) -> None:
        super().__init__(daemon=True)
        self.api_url, self.answer = api_url, answer
        self.description: str | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        from prefect.client.orchestration import SyncPrefectClient
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
        from prefect.client.schemas.objects import StateType

        paused = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])))
        try:
            with SyncPrefectClient(self.api_url) as client:
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline:
                    runs = client.read_flow_runs(flow_run_filter=paused)
                    if runs:
                        keyset = runs[0].state.state_details.run_input_keyset
                        self.description = client.read_flow_run_input(runs[0].id, keyset["description"])
                        client.resume_flow_run(runs[0].id, run_input=self.answer)
                        return
                    time.sleep(0.5)
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            self.error = exc


def strict(project: Path, timeout: int = 120) -> None:
    """The project's policy with no pre-approval (the shipped default) and the given timeout."""
    edit_yaml(project / "configs" / "policy.yaml", pre_approved=[], approval_timeout_seconds=timeout)


def release(project: Path, folder: Path, **options) -> dict:
    from pipelines.flows import release_folder

    results = release_folder(str(folder), str(project / "catalog"), str(project / "configs" / "policy.yaml"),
                             **options)
    return {r["dataset"]["id"]: r for r in results}


@pytest.fixture
def fast_polling(monkeypatch):
    monkeypatch.setenv("KAIFANG_APPROVAL_POLL_SECONDS", "1")


@pytest.mark.slow
def test_a_reclassification_waits_for_the_steward_and_records_the_approval(prefect_harness, project, fast_polling):
    from prefect.settings import PREFECT_API_URL

    strict(project)
    steward = Steward(PREFECT_API_URL.value(), {"approve": True, "steward": "王敏", "reason": "数据安全小组审议同意"})
    steward.start()
    record = release(project, only_specs(project, "enterprise-operations.yaml"), approval="wait")[ENTERPRISE]
    steward.join(timeout=5)
    assert steward.error is None
    # What the steward saw: the change, the decision's checks, the deadline.
    assert "not_open (不予开放)** to **unconditional (无条件开放)" in steward.description
    assert "| trade_secrets | yes |" in steward.description and "approval timed out" in steward.description
    assert record["status"] == "published"
    assert record["approval"] | {"at": None} == {"change": "not_open->unconditional", "approved": True,
                                                 "steward": "王敏", "reason": "数据安全小组审议同意",
                                                 "at": None, "via": "prefect"}
    store = CatalogStore(project / "catalog")
    assert store.latest(ENTERPRISE).approval.steward == "王敏"
    assert store.audit_entries(ENTERPRISE)[-1].entry["approval"]["steward"] == "王敏"


@pytest.mark.slow
def test_a_steward_who_refuses_leaves_nothing_published(prefect_harness, project, fast_polling):
    from prefect.settings import PREFECT_API_URL

    strict(project)
    steward = Steward(PREFECT_API_URL.value(), {"approve": False, "steward": "李强", "reason": "营业收入区间过细"})
    steward.start()
    record = release(project, only_specs(project, "enterprise-operations.yaml"), approval="wait")[ENTERPRISE]
    steward.join(timeout=5)
    assert (record["status"], record["failed_stage"]) == ("refused", "approve")
    assert record["failure"] == "not approved by 李强: 营业收入区间过细"
    store = CatalogStore(project / "catalog")
    assert store.latest(ENTERPRISE) is None
    assert store.audit_entries(ENTERPRISE)[-1].entry["approval"]["approved"] is False


@pytest.mark.slow
def test_an_unanswered_request_times_out_and_publishes_nothing(prefect_harness, project, fast_polling):
    strict(project, timeout=2)
    record = release(project, only_specs(project, "enterprise-operations.yaml"), approval="wait")[ENTERPRISE]
    assert (record["status"], record["failure"]) == ("refused", "approval timed out")
    assert record["approval"]["approved"] is False and record["approval"]["steward"] is None
    assert CatalogStore(project / "catalog").latest(ENTERPRISE) is None


# ----- where approval comes from, without running a release --------------------------------------


def policy(project_root: Path, **changes):
    path = edit_yaml(project_root / "configs" / "policy.yaml", **changes)
    return load_policy(path)[0]


def test_only_a_more_open_class_needs_approval():
    assert class_change("not_open", "conditional") == "not_open->conditional"
    assert class_change("conditional", "unconditional") == "conditional->unconditional"
    assert class_change("conditional", "conditional") is None
    assert class_change("unconditional", "conditional") is None
    assert class_change("not_open", "not_open") is None


def test_approval_by_policy_command_line_or_operator(project):
    record = make_record()
    approval = seek_approval(record, "not_open->conditional", policy(project, pre_approved=["not_open->conditional"]),
                             ApprovalRequest())
    assert (approval.approved, approval.via, approval.steward) == (True, "policy", "policy 2026.11-1")
    strict_policy = policy(project, pre_approved=[])
    named = seek_approval(record, "not_open->conditional", strict_policy,
                          ApprovalRequest(approve_as="王敏", reason="会议纪要 2026-11"))
    assert (named.approved, named.steward, named.via) == (True, "王敏", "command_line")
    assert named.reason == "会议纪要 2026-11"
    operator = seek_approval(record, "not_open->conditional", strict_policy, ApprovalRequest(mode="operator"))
    assert operator.approved and operator.steward and operator.via == "command_line"
    refused = seek_approval(record, "not_open->conditional", strict_policy, ApprovalRequest(mode="refuse"))
    assert not refused.approved and refused.reason.startswith("steward approval required for not_open->conditional")
    locked = policy(project, command_line_approval=False)
    for request in (ApprovalRequest(mode="operator"), ApprovalRequest(approve_as="王敏")):
        answer = seek_approval(record, "not_open->conditional", locked, request)
        assert not answer.approved and "does not allow approval from the command line" in answer.reason


def test_a_release_keeping_its_published_class_needs_no_new_approval(project):
    from pipelines.flows import _approved

    published = make_record(cls="conditional")  # the catalog already has it as conditional
    again = make_record(cls="conditional")
    strict_policy = policy(project, pre_approved=[])
    assert _approved(again, published, strict_policy, ApprovalRequest(mode="refuse")) and again.approval is None
    first = make_record(cls="conditional")  # never published: declared not open → conditional is a change
    first.dataset.declared_class = "not_open"
    assert not _approved(first, None, strict_policy, ApprovalRequest(mode="refuse"))
    assert first.status == "refused" and first.failed_stage == "approve"
    assert isinstance(first.approval, Approval) and first.approval.change == "not_open->conditional"
