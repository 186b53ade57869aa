"""Student code runs as nobody when the grader is root and Python is public.

This machine's own Python may live in a private home (pyenv under /root),
where the grader keeps its user. So the test builds a virtual environment
from the system's Python in a world-readable folder, installs the kit there
and grades with it, as a container or Gradescope would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT, SUBMISSIONS

SYSTEM_PYTHON = Path("/usr/bin/python3")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch users"),
    pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="no /usr/bin/python3"),
]


@pytest.fixture(scope="module")
def public_grade():
    folder = Path(tempfile.mkdtemp(prefix="grade-public-", dir="/opt"))
    try:
        folder.chmod(0o755)
        venv = folder / "venv"
        subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", str(venv)], check=True)
        if not (venv / "bin" / "pip").exists():
            pytest.skip("the system's Python has no pip in its venvs")
        source = folder / "kit"
        for name in ("grader", "exercise"):
            shutil.copytree(ROOT / name, source / name)
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, source / name)
        pip = [str(venv / "bin" / "pip"), "install", "--quiet"]
        subprocess.run([*pip, "numpy"], check=True, timeout=600)
        subprocess.run([*pip, "--no-deps", str(source)], check=True, timeout=600)
        subprocess.run(["chmod", "-R", "o+rX", str(folder)], check=True)
        yield venv / "bin" / "grade"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _grade(grade: Path, *args, **kwargs):
    return subprocess.run(
        [str(grade), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/tmp",
        **kwargs,
    )


def test_student_runs_as_nobody(public_grade, tmp_path):
    probe = Path(tempfile.mkdtemp(dir="/tmp")) / "probe.py"
    probe.parent.chmod(0o755)
    source = (SUBMISSIONS / "correct" / "reference_style.py").read_text()
    probe.write_text('import os\nprint("UID", os.getuid())\n' + source)
    finished = _grade(public_grade, probe)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "UID 65534" in finished.stdout
    shutil.rmtree(probe.parent)


def test_nobody_cannot_forge_results(public_grade, tmp_path):
    results = tmp_path / "results.json"
    finished = _grade(
        public_grade,
        SUBMISSIONS / "hostile" / "forge_kill_sandbox_daemon.py",
        "--json",
        results,
    )
    assert finished.returncode == 1, finished.stderr
    assert '"score": 0' in results.read_text()
