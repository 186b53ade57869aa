"""Shared fixtures: one sandbox per test module, and paths of the kit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.grading import grade
from grader.sandbox import Limits, Sandbox

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "files" / "submissions"
SOLUTION = ROOT / "solution" / "perceptron.py"
STUB = ROOT / "exercise" / "perceptron.py"

TEST_TIMEOUT = 3.0
"""Per-call time limit in tests: long enough for any correct submission."""


def load_manifest() -> dict:
    return json.loads((SUBMISSIONS / "manifest.json").read_text())


@pytest.fixture(scope="module")
def grade_file():
    """Grade a file in a sandbox shared by the module's tests.

    A hostile submission may kill the sandbox's zygote; the next file then
    gets a new sandbox, as batch mode does.
    """
    boxes = [Sandbox(Limits(timeout=TEST_TIMEOUT))]

    def run(path, **options):
        if boxes[0].broken:
            boxes[0].close()
            boxes[0] = Sandbox(Limits(timeout=TEST_TIMEOUT))
        options.setdefault("timeout", TEST_TIMEOUT)
        return grade(path, sandbox=boxes[0], **options)

    yield run
    boxes[0].close()


def run_grade(
    *args: str, cwd: Path | None = None, env: dict | None = None, timeout=120
):
    """Run the ``grade`` command as a user would; return the finished process."""
    command = [sys.executable, "-m", "grader", *map(str, args)]
    environment = dict(os.environ)
    environment.pop("GRADER_SEED", None)
    environment.update(env or {})
    return subprocess.run(
        command,
        cwd=cwd or ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
