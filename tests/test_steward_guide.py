"""docs/steward.md runs as written: its commands, in a fresh folder, give the exit codes and key lines it shows.

The guide's ```console blocks hold `$ command` lines (`# exit N` at the end when N is not 0) followed
by the output pasted from a real run; a ```yaml block right after `<!-- write: PATH -->` is a file
the steward writes. The run happens in a temporary folder standing for `~/kaifang-work`, with none of
the test session's Kaifang settings, as a new steward's shell would be. Regenerate the pasted output
with `python tests/test_steward_guide.py` (prints each command's output).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "steward.md"
WORK = "~/kaifang-work"
VOLATILE = re.compile(r"\d+\.\d+ s\b|\d{4}-\d{2}-\d{2}|\b[0-9a-f]{6,}\b|\d{8}T\d{6}Z")
BLOCK = re.compile(r"(?:<!-- write: (?P<path>\S+) -->\s*)?```(?P<kind>console|yaml)\n(?P<body>.*?)```", re.S)


@dataclass
class Step:
    command: str | None = None
    exit_code: int = 0
    output: list[str] = field(default_factory=list)
    write: tuple[str, str] | None = None


def guide_steps(text: str) -> list[Step]:
    steps: list[Step] = []
    for match in BLOCK.finditer(text):
        if match["kind"] == "yaml":
            if match["path"]:
                steps.append(Step(write=(match["path"], match["body"])))
            continue
        for line in match["body"].splitlines():
            if line.startswith("$ "):
                command, _, code = line[2:].partition("  # exit ")
                steps.append(Step(command=command.strip(), exit_code=int(code or 0)))
            elif steps and steps[-1].command is not None:
                steps[-1].output.append(line)
    return steps


def environment() -> dict[str, str]:
    """A new steward's shell: the venv's kaifang on PATH, no Kaifang settings from this session."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIFANG_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
    env["COLUMNS"] = "200"
    env["PYTHONUNBUFFERED"] = "1"  # stdout and stderr in the order a terminal shows them
    return env


def run_step(step: Step, folder: Path) -> subprocess.CompletedProcess | None:
    if step.write is not None:
        path, body = step.write
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(body, encoding="utf-8")
        return None
    return subprocess.run(["bash", "-c", step.command], cwd=folder, env=environment(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600)


def normalised(line: str) -> str:
    return VOLATILE.sub("…", line).rstrip()


def key_lines(step: Step) -> list[str]:
    """The pasted lines that must appear in a rerun (timings, dates and ids aside)."""
    return [normalised(line) for line in step.output if line.strip()]


@pytest.mark.slow
def test_the_stewards_guide_runs_as_written(tmp_path):
    steps = guide_steps(GUIDE.read_text(encoding="utf-8"))
    assert sum(s.command is not None for s in steps) >= 8 and any(s.write for s in steps)
    for step in steps:
        result = run_step(step, tmp_path)
        if result is None:
            continue
        output = result.stdout.replace(str(tmp_path), WORK)
        assert result.returncode == step.exit_code, (step.command, output[-2000:])
        produced = {normalised(line) for line in output.splitlines()}
        missing = [line for line in key_lines(step) if line not in produced]
        assert not missing, (step.command, missing[:5], output[-2000:])


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for step in guide_steps(GUIDE.read_text(encoding="utf-8")):
            result = run_step(step, folder)
            if result is not None:
                print(f"$ {step.command}" + (f"  # exit {result.returncode}" if result.returncode else ""))
                print(result.stdout.replace(str(folder), WORK), end="")
                print("-----")
