"""Steward approval of a change of open class (Art. 9): nobody's data becomes more open unnoticed.

A release that would make a dataset more open than it is now (its latest published class, or its
declared class before the first release) needs a decision with a name on it, which the release record
and the audit trail keep. Where that decision comes from, in order:

1. the policy's `pre_approved` list (a standing approval, recorded as the policy's);
2. `--approve-as NAME` on the command line;
3. the approval mode of the run: `wait` pauses the Prefect flow run until a steward answers in the
   Prefect UI (or through the API), with the decision record in front of them; `operator` records
   the person who ran the release by hand; `refuse` refuses the change. `auto`, the default, waits
   in a Prefect deployment (nobody is at the keyboard) and takes the operator's approval otherwise.

`policy.command_line_approval: false` withdraws 2 and the operator's approval: only the policy or a
steward in Prefect can then approve.
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from prefect.input import RunInput
from pydantic import Field

from catalog.record import Approval, ReleaseRecord, utc_now
from catalog.store import CatalogStore
from catalog.vocab import class_label
from pipelines.spec import OpenClass, Policy
from pipelines.summary import dataset_markdown

ApprovalMode = Literal["auto", "wait", "operator", "refuse"]
APPROVAL_MODES: tuple[str, ...] = ("auto", "wait", "operator", "refuse")
POLL_ENV = "KAIFANG_APPROVAL_POLL_SECONDS"
TIMED_OUT = "approval timed out"


@dataclass(frozen=True)
class ApprovalRequest:
    """How a run may obtain approval: its mode, and a steward named on the command line."""

    mode: str = "auto"
    approve_as: str | None = None
    reason: str | None = None


class StewardDecision(RunInput):
    """The form a steward fills in to resume a paused release (shown by the Prefect UI)."""

    approve: bool = Field(description="Publish the dataset in the more open class?")
    steward: str = Field(min_length=1, description="Your name: recorded in the release record and the audit trail.")
    reason: str = Field(min_length=1, description="The grounds of your decision, recorded with it.")


def class_change(current: str, new: str) -> str | None:
    """'not_open->conditional' when `new` is more open than `current`, else None (no approval needed)."""
    if OpenClass(new).openness > OpenClass(current).openness:
        return f"{current}->{new}"
    return None


def operator_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): fall back to what the shell says
        return os.environ.get("USER") or os.environ.get("LOGNAME") or "unknown"


def deployment_name() -> str | None:
    """`flow/deployment` when this flow run was started by a Prefect deployment, else None."""
    from prefect.runtime import deployment, flow_run

    try:
        if not deployment.id:
            return None
        return f"{flow_run.flow_name}/{deployment.name}"
    except Exception:
        return None


def current_actor() -> str:
    """Who started this attempt, for the record and the audit trail."""
    name = deployment_name()
    return f"deployment {name}" if name else f"{operator_name()}@{socket.gethostname()}"


def resolve_mode(mode: str) -> str:
    if mode not in APPROVAL_MODES:
        raise ValueError(f"unknown approval mode {mode!r}; expected one of {', '.join(APPROVAL_MODES)}")
    if mode == "auto":
        return "wait" if deployment_name() else "operator"
    return mode




def approval_markdown(record: ReleaseRecord, change: str, timeout_seconds: int) -> str:
    """What the steward sees: the change, the decision's checks, the run summary, the deadline."""
    current, new = change.split("->")
    decision = record.decision
    deadline = utc_now() + timedelta(seconds=timeout_seconds)
    lines = [
        f"## Steward approval needed: {record.dataset.id}",
        "",
        f"**{record.dataset.title}** ({record.dataset.publisher})",
        "",
        f"This release would change the dataset's open class from **{class_label(current)}** to **{class_label(new)}** "
        "(Art. 9 reclassification after desensitization).",
        "",
    ]
    if decision is not None:
        lines += [f"Decision: {decision.reason}", "", "| check | passed | figure | requirement |",
                  "|---|---|---|---|"]
        lines += [f"| {c.name} | {'yes' if c.passed else 'NO'} | {c.figure.replace('|', '/')} | "
                  f"{c.requirement.replace('|', '/')} |" for c in decision.checks]
        lines.append("")
    if new == "conditional" and record.dataset.conditions:
        lines += [f"Conditions shown to applicants: {record.dataset.conditions}", ""]
    lines += [
        dataset_markdown(record.model_dump(mode="json")),
        f"Spec `{record.spec_path}` (sha256 `{record.spec_sha256[:16]}…`), input sha256 "
        f"`{(record.input_sha256 or '')[:16]}…`, policy {record.policy_version}.",
        "",
        "**To decide:** resume this flow run and fill in *approve*, your name and your reason; the decision "
        "goes into the release record and the audit trail. Without a decision by "
        f"{deadline:%Y-%m-%d %H:%M} UTC the release is refused (\"{TIMED_OUT}\") and nothing is published.",
    ]
    return "\n".join(lines) + "\n"


def review_gate(record: ReleaseRecord, current: str, policy: Policy, store: CatalogStore) -> str | None:
    """With `review_chain.required`, why this release must wait (a conditional class, or a change of class,
    that no finished review chain settled), else None; the release is then refused like an unapproved one."""
    from catalog.reviews import approved_class

    assert record.decision is not None
    new = record.decision.published_class
    if not policy.review_chain.required or (new == current and new == "unconditional"):
        return None
    settled = approved_class(store, record.dataset.id)
    if settled == new:
        return None
    return (f"review chain incomplete: no finished review settled the {new} class of {record.dataset.id} "
            f"(kaifang review submit {record.dataset.id} {new} --note …)")


def _refused(change: str, reason: str, via: str = "command_line") -> Approval:
    return Approval(change=change, approved=False, steward=None, reason=reason, via=via)  # type: ignore[arg-type]


def seek_approval(record: ReleaseRecord, change: str, policy: Policy, request: ApprovalRequest) -> Approval:
    """The approval of `change` for this release; blocks (pauses the flow run) in `wait` mode."""
    approve_as, approve_reason = request.approve_as, request.reason
    if change in policy.pre_approved:
        return Approval(change=change, approved=True, steward=f"policy {policy.version}",
                        reason=f"pre-approved by policy {policy.version} (pre_approved: {change})", via="policy")
    mode = resolve_mode(request.mode)
    hint = ("approve it with --approve-as NAME, let a steward decide with --wait-for-approval (needs a Prefect "
            "server), or pre-approve it in the policy")
    if approve_as or mode == "operator":
        if not policy.command_line_approval:
            return _refused(change, f"steward approval required for {change}: the policy does not allow approval "
                                    "from the command line (run it with --wait-for-approval or as a deployment)")
        if approve_as:
            return Approval(change=change, approved=True, steward=approve_as.strip(),
                            reason=(approve_reason or "approved at the command line (--approve-as)").strip(),
                            via="command_line")
        return Approval(change=change, approved=True, steward=operator_name(),
                        reason=(approve_reason or "approved by the operator who ran the release by hand").strip(),
                        via="command_line")
    if mode == "refuse":
        return _refused(change, f"steward approval required for {change}: {hint}")
    return _wait_for_steward(record, change, policy)


def _wait_for_steward(record: ReleaseRecord, change: str, policy: Policy) -> Approval:
    """Pause the flow run (in the flow, never in a task) until a steward answers or time runs out."""
    from prefect import get_run_logger
    from prefect.artifacts import create_markdown_artifact
    from prefect.exceptions import FlowPauseTimeout
    from prefect.flow_runs import pause_flow_run

    timeout = policy.approval_timeout_seconds
    markdown = approval_markdown(record, change, timeout)
    slug = "".join(c if c.isalnum() else "-" for c in record.dataset.id.lower())
    create_markdown_artifact(key=f"approval-{slug}", markdown=markdown,
                             description=f"Steward approval requested for {record.dataset.id}: {change}")
    get_run_logger().warning("%s: waiting up to %s s for a steward to approve %s (resume this flow run in the "
                             "Prefect UI)", record.dataset.id, timeout, change)
    poll = max(1, int(float(os.environ.get(POLL_ENV) or 10)))
    try:
        answer = pause_flow_run(wait_for_input=StewardDecision.with_initial_data(description=markdown, approve=False),
                                timeout=timeout, poll_interval=min(poll, timeout), key="steward-approval")
    except FlowPauseTimeout:
        return _refused(change, TIMED_OUT, via="prefect")
    except Exception as exc:  # resumed without the form, or the input could not be read
        return _refused(change, f"resumed without a steward's decision ({type(exc).__name__})", via="prefect")
    return Approval(change=change, approved=bool(answer.approve), steward=answer.steward.strip(),
                    reason=answer.reason.strip(), via="prefect")
