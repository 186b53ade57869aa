"""The ``grade`` command end to end: exit codes, report, results.json."""

from __future__ import annotations

import json

import pytest

from conftest import SOLUTION, STUB, SUBMISSIONS, run_grade
from grader.result import CHECKS


def test_solution_full_marks():
    finished = run_grade(SOLUTION)
    assert finished.returncode == 0
    assert "Score: 100/100" in finished.stdout.splitlines()
    assert finished.stderr == ""


def test_stub_scores_zero_without_traceback():
    finished = run_grade(STUB)
    assert finished.returncode == 1
    assert "Score: 0/100" in finished.stdout.splitlines()
    assert "not written yet" in finished.stdout
    assert "Traceback" not in finished.stdout + finished.stderr


def test_report_lists_every_check():
    report = run_grade(SOLUTION).stdout
    for name, points in CHECKS.items():
        line = next(line for line in report.splitlines() if f" {name} " in line)
        assert f"{points}/{points}" in line


def test_results_json_gradescope_shape(tmp_path):
    results = tmp_path / "nested" / "results.json"
    finished = run_grade(
        SUBMISSIONS / "wrong" / "biases_not_updated.py", "--json", results
    )
    assert finished.returncode == 1
    data = json.loads(results.read_text())
    assert set(data) >= {"score", "execution_time", "output", "tests"}
    assert data["score"] == sum(test["score"] for test in data["tests"])
    assert [test["name"] for test in data["tests"]] == list(CHECKS)
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output"}
        assert test["status"] in ("passed", "failed")
    failed = {
        test["name"]: test for test in data["tests"] if test["status"] == "failed"
    }
    assert "biases" in failed["backward.d_biases"]["output"]
    assert list(tmp_path.joinpath("nested").iterdir()) == [results]


def test_syntax_error_shows_line_and_column():
    finished = run_grade(SUBMISSIONS / "hostile" / "syntax_error.py")
    assert finished.returncode == 1
    assert "syntax error at line 49, column 42" in finished.stdout


def test_missing_file_is_usage_error(tmp_path):
    finished = run_grade(tmp_path / "absent.py")
    assert finished.returncode == 2
    assert "absent.py was not found" in finished.stderr


def test_unsupported_suffix_is_usage_error(tmp_path):
    text = tmp_path / "submission.txt"
    text.write_text("print('hi')\n")
    finished = run_grade(text)
    assert finished.returncode == 2
    assert "neither a .py file nor a .ipynb notebook" in finished.stderr


@pytest.mark.parametrize(
    "option", [["--timeout", "0"], ["--timeout", "abc"], ["--memory", "-5"]]
)
def test_invalid_option_is_usage_error(option):
    finished = run_grade(SOLUTION, *option)
    assert finished.returncode == 2
    assert "grade: error:" in finished.stderr


def test_json_with_several_files_is_usage_error(tmp_path):
    finished = run_grade(SOLUTION, STUB, "--json", tmp_path / "r.json")
    assert finished.returncode == 2
    assert "--json-dir" in finished.stderr


def test_not_utf8_file_is_explained(tmp_path):
    broken = tmp_path / "latin1.py"
    broken.write_bytes("# caf\xe9\n".encode("latin-1"))
    finished = run_grade(broken)
    assert finished.returncode == 1
    assert "not UTF-8" in finished.stdout


def test_top_level_code_runs_but_main_block_does_not(tmp_path):
    submission = tmp_path / "submission.py"
    source = (SUBMISSIONS / "correct" / "reference_style.py").read_text()
    submission.write_text(
        source
        + "\nprint('top-level ran')\n"
        + "if __name__ == '__main__':\n    raise SystemExit('main block ran')\n"
    )
    finished = run_grade(submission)
    assert finished.returncode == 0
    assert "top-level ran" in finished.stdout
    assert "main block ran" not in finished.stdout


def test_input_call_gets_note(tmp_path):
    submission = tmp_path / "submission.py"
    source = (SUBMISSIONS / "correct" / "reference_style.py").read_text()
    submission.write_text("name = input('Your name: ')\n" + source)
    finished = run_grade(submission)
    assert finished.returncode == 0
    assert "input()" in finished.stdout
