"""``run_grade``: grade in a child; trust its outputs only when it returned."""

from __future__ import annotations

import pwd

import pytest

from conftest import SOLUTION, SUBMISSIONS
from grader.isolated import CRASHED, IsolationError, child_main, run_grade


@pytest.mark.slow
def test_outputs_of_a_normal_run():
    run = run_grade(SOLUTION, "sub/perceptron.py", github=True)
    assert run.exit_code == 0
    assert run.completed
    assert run.results["score"] == 100
    assert run.junit.startswith("<?xml")
    assert "### Grading `sub/perceptron.py` (seed 0)" in run.summary
    assert "Grading sub/perceptron.py (seed 0)" in run.stdout


@pytest.mark.slow
def test_forged_results_are_replaced():
    run = run_grade(
        SUBMISSIONS / "hostile" / "forge_results_json_argv.py", "perceptron.py"
    )
    assert run.exit_code == 1
    assert run.results["score"] == 0


def test_timeout_gives_no_outputs():
    run = run_grade(
        SUBMISSIONS / "hostile" / "infinite_loop_at_import.py",
        "perceptron.py",
        timeout=1,
    )
    assert run.exit_code is None
    assert not run.completed
    assert run.results is None


def test_usage_error_gives_no_outputs():
    run = run_grade(SOLUTION, "perceptron.py", args=["--lang", "xx"])
    assert run.exit_code == 2
    assert not run.completed
    assert "invalid choice" in run.stderr


@pytest.mark.parametrize(
    "path", ["/etc/perceptron.py", "../perceptron.py", "a/../../b.py", ""]
)
def test_display_path_must_stay_inside(path):
    with pytest.raises(IsolationError):
        run_grade(SOLUTION, path)


def test_unknown_user():
    name = "grader-test-no-such-user"
    with pytest.raises(KeyError):
        pwd.getpwnam(name)
    with pytest.raises(IsolationError, match="does not exist"):
        run_grade(SOLUTION, "perceptron.py", user=name)


def test_root_user_rejected():
    with pytest.raises(IsolationError, match="is root"):
        run_grade(SOLUTION, "perceptron.py", user="root")


def test_child_main_turns_exception_into_crashed(monkeypatch):
    import grader.cli

    def broken(argv):
        raise RuntimeError("broken grader")

    monkeypatch.setattr(grader.cli, "main", broken)
    assert child_main(["perceptron.py"]) == CRASHED
