"""Hostile submissions through the ``grade`` command: the verdict stays ours."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from conftest import SUBMISSIONS, run_grade
from grader import cli
from grader.result import CHECKS
from grader.sandbox import SandboxError

HOSTILE = SUBMISSIONS / "hostile"
FORGERIES = sorted(path.name for path in HOSTILE.glob("forge_*.py"))


def _processes_using(folder: Path) -> set[int]:
    """Process ids whose environment names ``folder``.

    The tests point TMPDIR at a folder of their own, so the sandbox's home,
    and with it HOME and TMPDIR of every student process, lie inside it.
    """
    marker = str(folder).encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environment:
            found.add(int(entry.name))
    return found


@pytest.mark.parametrize("name", FORGERIES)
def test_forgery_gets_grader_results(tmp_path, name):
    results = tmp_path / "out" / "results.json"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    finished = run_grade(
        HOSTILE / name,
        "--json",
        results,
        "--timeout",
        "3",
        cwd=tmp_path,
        env={"TMPDIR": str(scratch)},
    )
    assert finished.returncode == 1, finished.stderr
    data = json.loads(results.read_text())
    assert data["score"] == 0
    assert [test["name"] for test in data["tests"]] == list(CHECKS)
    assert data["extra_data"]["graded"] is True
    assert "Score: 0/100" in finished.stdout.splitlines()
    assert not (tmp_path / "results.json").exists()
    time.sleep(0.5)
    assert _processes_using(scratch) == set()
    assert list(scratch.iterdir()) == []


def test_fake_report_stays_in_output(tmp_path):
    finished = run_grade(HOSTILE / "forge_fake_report.py", cwd=tmp_path)
    lines = finished.stdout.splitlines()
    assert "Score: 0/100" in lines
    assert "Score: 100/100" not in lines


@pytest.mark.parametrize(
    "name, expected",
    [
        ("syntax_error.py", "syntax error at line"),
        ("missing_module_import.py", "No module named"),
        ("missing_perceptron_class.py", "The class Perceptron is not defined"),
        ("missing_backward_method.py", "Layer.backward is not defined"),
        ("infinite_loop_at_import.py", "stopped after 3 s while loading your file"),
        ("infinite_loop_in_backward.py", "stopped after 3 s in backward()"),
        ("infinite_loop_in_fit.py", "stopped after 3 s in fit()"),
        ("sys_exit_at_import.py", "raised SystemExit while loading"),
        ("os_exit_at_import.py", "ended the process with exit code 0"),
        ("os_exit_in_backward.py", "ended the process with exit code 0 in backward()"),
        ("keyboard_interrupt_in_backward.py", "raised KeyboardInterrupt in backward()"),
        ("base_exception_at_import.py", "raised BaseException while loading"),
        ("print_flood_in_fit.py", "printed more than 5 MB in fit()"),
        ("memory_hog_numpy_in_backward.py", "ran out of memory in backward()"),
        ("recursion_bomb_segfault.py", "ended by signal 11 in backward()"),
        ("backward_returns_none.py", "is None"),
        ("backward_returns_nan.py", "contains nan"),
        ("fit_prints_nothing.py", "printed no loss line"),
        ("fit_prints_text.py", "'abc' is not a number"),
    ],
)
def test_hostile_report_names_problem(tmp_path, name, expected):
    results = tmp_path / "results.json"
    start = time.monotonic()
    finished = run_grade(HOSTILE / name, "--timeout", "3", "--json", results)
    elapsed = time.monotonic() - start
    assert finished.returncode == 1, finished.stderr
    assert expected in finished.stdout
    assert "Traceback" not in finished.stdout + finished.stderr
    assert json.loads(results.read_text())["score"] < 100
    # Two time limits at most: one hang, then the calls that depend on it are
    # skipped. The rest is the margin for start-up and the checks.
    assert elapsed < 2 * 3 + 10


def test_sandbox_failure_still_writes_results(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise SandboxError("the sandbox process failed to start")

    monkeypatch.setattr(cli, "Sandbox", broken)
    results = tmp_path / "results.json"
    code = cli.main(
        [str(SUBMISSIONS / "correct" / "reference_style.py"), "--json", str(results)]
    )
    assert code == 2
    data = json.loads(results.read_text())
    assert data["score"] == 0
    assert data["extra_data"]["graded"] is False
    assert "could not be graded" in data["output"]
    assert "fault in the grader" in capsys.readouterr().err


def test_grader_bug_still_writes_results(tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("simulated fault")

    monkeypatch.setattr("grader.grading.grade", crash)
    results = tmp_path / "results.json"
    code = cli.main(
        [str(SUBMISSIONS / "correct" / "reference_style.py"), "--json", str(results)]
    )
    assert code == 2
    assert json.loads(results.read_text())["extra_data"]["graded"] is False


def test_secrets_not_visible_to_submission(tmp_path):
    probe = tmp_path / "leak.py"
    stub = (SUBMISSIONS.parent.parent.parent / "exercise" / "perceptron.py").read_text()
    probe.write_text(
        "import os, sys\n"
        "print('TOKEN=' + os.environ.get('GITHUB_TOKEN', 'absent'))\n"
        "print('ISOLATED=' + str(sys.flags.isolated))\n"
        "print('CWD_FILES=' + ','.join(sorted(os.listdir('.'))))\n" + stub
    )
    finished = run_grade(probe, env={"GITHUB_TOKEN": "secret-value", "CI": "true"})
    assert "TOKEN=absent" in finished.stdout
    assert "ISOLATED=1" in finished.stdout
    assert "CWD_FILES=submission.py,utils.py" in finished.stdout
    assert "secret-value" not in finished.stdout


def test_student_utils_is_ignored(tmp_path):
    submission = tmp_path / "perceptron.py"
    submission.write_text((SUBMISSIONS / "correct" / "reference_style.py").read_text())
    (tmp_path / "utils.py").write_text(
        "raise SystemExit('student utils was imported')\n"
    )
    finished = run_grade(submission)
    assert finished.returncode == 0, finished.stdout


def test_same_seed_same_report():
    path = SUBMISSIONS / "wrong" / "derivative_at_output.py"
    first = run_grade(path, "--seed", "7")
    second = run_grade(path, "--seed", "7")
    assert first.stdout == second.stdout


def test_seed_from_environment():
    finished = run_grade(
        SUBMISSIONS / "correct" / "reference_style.py", env={"GRADER_SEED": "12345"}
    )
    assert "(seed 12345)" in finished.stdout
    assert finished.returncode == 0


@pytest.mark.parametrize("seed", ["1", "99", "2024"])
def test_correct_solution_any_seed(seed):
    finished = run_grade(
        SUBMISSIONS.parent.parent.parent / "solution" / "perceptron.py", "--seed", seed
    )
    assert finished.returncode == 0, finished.stdout


def test_interrupt_stops_student_processes(tmp_path):
    import signal
    import subprocess
    import sys

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    environment = dict(os.environ, TMPDIR=str(scratch))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grader",
            "--timeout",
            "20",
            str(HOSTILE / "infinite_loop_in_backward.py"),
        ],
        start_new_session=True,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.5)
    os.killpg(process.pid, signal.SIGINT)
    _, errors = process.communicate(timeout=10)
    assert process.returncode == 130
    assert "interrupted" in errors
    assert "Traceback" not in errors
    time.sleep(0.5)
    assert _processes_using(scratch) == set()


def test_time_budget_bounds_slow_submission(tmp_path):
    source = (SUBMISSIONS / "correct" / "reference_style.py").read_text()
    slow = "import time\n" + source.replace(
        "    def fit(self, training_data, labels, epochs, learning_rate):\n",
        "    def fit(self, training_data, labels, epochs, learning_rate):\n"
        "        time.sleep(2.5)\n",
        1,
    )
    assert slow.count("time.sleep") == 1
    submission = tmp_path / "slow.py"
    submission.write_text(slow)
    start = time.monotonic()
    finished = run_grade(submission, "--timeout", "3")
    elapsed = time.monotonic() - start
    assert finished.returncode == 1
    assert "used up the 9 s allowed for the whole" in finished.stdout
    # Three time limits of 3 s, plus start-up and the checks.
    assert elapsed < 3 * 3 + 5


def test_killed_sandbox_is_not_a_grader_fault(tmp_path):
    results = tmp_path / "results.json"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    finished = run_grade(
        HOSTILE / "forge_kill_sandbox_daemon.py",
        "--json",
        results,
        env={"TMPDIR": str(scratch)},
    )
    assert finished.returncode == 1, finished.stderr
    data = json.loads(results.read_text())
    assert data["score"] == 0
    assert data["extra_data"]["graded"] is True
    time.sleep(1)
    assert _processes_using(scratch) == set()
    assert json.loads(results.read_text())["score"] == 0
