"""A release talks to one Prefect API: the configured one, or one temporary server it starts and stops."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines.prefect_api import API_ENV, TemporaryApi, _healthy, prefect_api

ROOT = Path(__file__).resolve().parents[2]


def test_a_configured_api_is_used_and_no_server_is_started(monkeypatch):
    monkeypatch.setenv(API_ENV, "http://127.0.0.1:9/api")
    with prefect_api() as api:
        assert api is None
        assert os.environ[API_ENV] == "http://127.0.0.1:9/api"


def test_the_temporary_api_answers_and_is_gone_after_stop(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    api = TemporaryApi()
    try:
        api.wait()
        assert _healthy(api.url)
    finally:
        api.stop()
    assert api.process.poll() is not None
    assert not _healthy(api.url)


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
