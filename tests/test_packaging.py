"""Packaging and the Makefile: current metadata, and a Prefect home the user has set is kept."""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_licence_is_an_spdx_expression_with_a_backend_that_reads_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "Apache-2.0"
    assert "setuptools>=77" in project["build-system"]["requires"]


def test_the_makefile_keeps_a_prefect_home_already_set(tmp_path):
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "mine")}
    printed = subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "--eval",
                              "show:\n\t@echo $$PREFECT_HOME", "show"],
                             capture_output=True, text=True, env=env, cwd=ROOT, check=True).stdout.strip()
    assert printed == str(tmp_path / "mine")
    env.pop("PREFECT_HOME")
    printed = subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "--eval",
                              "show:\n\t@echo $$PREFECT_HOME", "show"],
                             capture_output=True, text=True, env=env, cwd=ROOT, check=True).stdout.strip()
    assert printed == str(ROOT / ".kaifang" / "prefect")
