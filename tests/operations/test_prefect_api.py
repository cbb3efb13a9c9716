"""A release without a configured Prefect API starts one temporary server and leaves none behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

API_ENV = "PREFECT_API_URL"
ROOT = Path(__file__).resolve().parents[2]


def test_a_release_without_an_api_starts_one_server_and_stops_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != API_ENV}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), KAIFANG_STATE=str(tmp_path / "state"))
    kaifang = Path(sys.executable).with_name("kaifang")
    run = subprocess.run([str(kaifang), "release", str(ROOT / "configs" / "datasets" / "cultural-venues.yaml"),
                          "--catalog", str(tmp_path / "catalog"), "--policy", str(ROOT / "configs" / "policy.yaml")],
                         capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "1 of 1 datasets published" in run.stdout
    assert servers_with_home(tmp_path / "prefect") == []


def servers_with_home(home: Path) -> list[int]:
    """Prefect API server processes still running with this PREFECT_HOME (read from /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if b"prefect.server.api.server:create_app" in command and f"PREFECT_HOME={home}".encode() in environ:
            found.append(int(proc.name))
    return found
