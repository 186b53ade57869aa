"""Batch mode: finding submissions, naming students, the gradebook, the summary.

The end-to-end tests run ``grade`` on a small class in a temporary folder:
correct, buggy, hanging and broken submissions, in both layouts.
"""

from __future__ import annotations

import csv
import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import SOLUTION, SUBMISSIONS, load_manifest, run_grade
from grader import batch, cli, grading
from grader.batch import BatchError, Found, find_submissions, student_ids
from grader.result import CHECKS, FAILED, PASSED, CheckResult, GradeResult, Message
from grader.sandbox import SandboxError

CHECK_NAMES = list(CHECKS)


def solution_text() -> str:
    return SOLUTION.read_text(encoding="utf-8")


def edited_solution(old: str, new: str) -> str:
    source = solution_text()
    assert source.count(old) == 1, old
    return source.replace(old, new)


def notebook_json(source: str) -> str:
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "code-1",
        "metadata": {},
        "outputs": [],
        "source": source.splitlines(keepends=True),
    }
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_class(tmp_path_factory) -> Path:
    """A class of six submissions, plus files batch mode must skip."""
    folder = tmp_path_factory.mktemp("class")
    write(folder / "alice" / "submission.py", solution_text())
    write(
        folder / "bob" / "work.py",
        edited_solution("d_biases = dz\n", "d_biases = np.sum(dz)\n"),
    )
    write(
        folder / "carol.py",
        edited_solution(
            "            total_loss = 0.0\n",
            "            total_loss = 0.0\n"
            "            while True:\n"
            "                pass\n",
        ),
    )
    write(folder / "dave.py", "class Layer:\n    def backward(self\n")
    write(folder / "erin.ipynb", '{"cells": [')
    write(folder / "frank" / "perceptron.ipynb", notebook_json(solution_text()))
    # Never graded: the shipped utils.py, hidden folders and caches.
    write(folder / "utils.py", "raise SystemExit('utils.py must not be graded')\n")
    write(folder / ".ipynb_checkpoints" / "carol-checkpoint.py", "x = 1\n")
    write(folder / "__pycache__" / "stale.py", "x = 1\n")
    write(folder / ".git" / "hook.py", "x = 1\n")
    return folder


EXPECTED_IDS = ["alice", "bob", "carol", "dave", "erin", "frank"]


@pytest.fixture(scope="module")
def graded_class(small_class, tmp_path_factory):
    """Grade the small class once with two processes; keep the outputs."""
    out = tmp_path_factory.mktemp("out")
    finished = run_grade(
        small_class,
        "--jobs", "2",
        "--timeout", "1",
        "--csv", out / "gradebook.csv",
        "--json-dir", out / "results",
        "--lang", "en",
        cwd=small_class.parent,
    )  # fmt: skip
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    return finished, rows, out


# -- finding submissions


def test_find_skips_hidden_caches_and_utils(small_class):
    found = find_submissions([small_class])
    names = [item.path.relative_to(small_class).as_posix() for item in found]
    assert names == [
        "alice/submission.py",
        "bob/work.py",
        "carol.py",
        "dave.py",
        "erin.ipynb",
        "frank/perceptron.ipynb",
    ]


def test_find_grades_each_file_once(small_class):
    found = find_submissions([small_class, small_class / "carol.py"])
    assert len(found) == 6


def test_find_named_utils_is_graded(small_class):
    found = find_submissions([small_class / "utils.py"])
    assert [item.path.name for item in found] == ["utils.py"]


def test_find_rejects_other_suffix(tmp_path):
    notes = write(tmp_path / "notes.txt", "hello")
    with pytest.raises(BatchError, match="neither a .py file"):
        find_submissions([notes])


def test_find_rejects_empty_folder(tmp_path):
    write(tmp_path / "readme.md", "nothing to grade")
    with pytest.raises(BatchError, match="no .py or .ipynb files were found"):
        find_submissions([tmp_path])


# -- student ids


def test_ids_of_small_class(small_class):
    assert student_ids(find_submissions([small_class])) == EXPECTED_IDS


def test_ids_of_files_sharing_a_folder(tmp_path):
    root = tmp_path / "class"
    write(root / "group" / "anna.py", "")
    write(root / "group" / "bruno.py", "")
    write(root / "group" / "submission.py", "")
    assert student_ids(find_submissions([root])) == ["anna", "bruno", "group"]


def test_ids_of_files_named_on_command_line(tmp_path):
    first = write(tmp_path / "downloads" / "anna.py", "")
    second = write(tmp_path / "marco" / "submission.py", "")
    assert student_ids(find_submissions([first, second])) == ["anna", "marco"]


def test_ids_clash_gets_suffix(tmp_path):
    write(tmp_path / "a" / "anna" / "submission.py", "")
    write(tmp_path / "b" / "anna" / "submission.py", "")
    write(tmp_path / "c" / "anna.py", "")
    write(tmp_path / "c" / "other.py", "")
    ids = student_ids(find_submissions([tmp_path]))
    assert ids == ["anna", "anna-2", "anna-3", "other"]


def test_ids_file_directly_in_root_keeps_stem(tmp_path):
    write(tmp_path / "only.py", "")
    found = [Found(tmp_path / "only.py", tmp_path)]
    assert student_ids(found) == ["only"]


# -- the gradebook and the summary, without grading


def make_result(failed: dict[str, Message], mistake: str | None = None):
    result = GradeResult(submission="x.py", seed=0)
    for name in CHECKS:
        if name in failed:
            result.checks.append(
                CheckResult(name, FAILED, [failed[name]], mistake=mistake)
            )
        else:
            result.checks.append(CheckResult(name, PASSED))
    return result


def test_reasons_share_one_entry_per_message():
    crash = Message(
        "raised", {"type": "ValueError", "method": "backward()", "message": "x"}
    )
    result = make_result({"backward.d_weights": crash, "backward.d_biases": crash})
    reasons = batch.lost_points_reasons(result, "en")
    assert reasons.startswith("backward.d_weights, backward.d_biases: Your code raised")
    assert " | " not in reasons


def test_reasons_join_different_messages():
    result = make_result(
        {
            "backward.d_biases": Message("class_missing", {"name": "A"}),
            "fit.replay": Message("class_missing", {"name": "B"}),
        }
    )
    reasons = batch.lost_points_reasons(result, "en").split(" | ")
    assert reasons == [
        "backward.d_biases: The class A is not defined in your file.",
        "fit.replay: The class B is not defined in your file.",
    ]


def test_gradebook_row_of_grader_fault_has_empty_scores():
    fault = batch.grader_fault("x.py", 0, "boom")
    header, row = batch.gradebook_rows(["x"], [fault], "en")
    assert header == ["id", "path", "score", *CHECK_NAMES, "reasons"]
    assert row[2:-1] == [""] * (len(CHECKS) + 1)
    assert "boom" in row[-1]


def test_histogram_bins_of_ten():
    lines = batch.score_histogram([0, 9, 10, 95, 100, 100], width=4)
    counts = {line.split("|")[0].strip(): int(line.split()[-1]) for line in lines}
    assert counts["0-9"] == 2
    assert counts["10-19"] == 1
    assert counts["90-99"] == 1
    assert counts["100"] == 2
    assert len(lines) == 11


def test_mistakes_counted_once_per_submission():
    wrong = Message("class_missing", {"name": "A"})
    results = [
        make_result({"backward.d_weights": wrong, "fit.replay": wrong}, "transposed"),
        make_result({"backward.d_weights": wrong}, "transposed"),
        make_result({}),
    ]
    mistakes, failed = batch.mistake_counts(results)
    assert mistakes == {"transposed": 2}
    assert failed == {"backward.d_weights": 2, "fit.replay": 1}


# -- end to end on the small class


def test_class_exit_status_below_full_marks(graded_class):
    finished, _, _ = graded_class
    assert finished.returncode == 1, finished.stderr


def test_class_gradebook_ids_in_path_order(graded_class):
    _, rows, _ = graded_class
    assert [row["id"] for row in rows] == EXPECTED_IDS
    paths = [row["path"] for row in rows]
    assert paths == sorted(paths)


def test_class_gradebook_columns(graded_class):
    _, rows, _ = graded_class
    assert list(rows[0]) == ["id", "path", "score", *CHECK_NAMES, "reasons"]


def test_class_correct_files_full_marks(graded_class):
    _, rows, _ = graded_class
    for row in (rows[0], rows[5]):
        assert row["score"] == "100", row
        assert row["reasons"] == ""
        for name, points in CHECKS.items():
            assert row[name] == str(points), (row["id"], name)


def test_class_buggy_file_loses_bias_points(graded_class):
    _, rows, _ = graded_class
    bob = rows[1]
    assert bob["backward.d_biases"] == "0"
    assert bob["backward.d_weights"] == "15"
    assert int(bob["score"]) < 100
    assert "backward.d_biases" in bob["reasons"]


def test_class_hanging_file_times_out_alone(graded_class):
    _, rows, _ = graded_class
    carol = rows[2]
    assert carol["backward.d_weights"] == "15"
    assert carol["fit.replay"] == "0"
    assert "stopped after 1 s in fit()" in carol["reasons"]


def test_class_broken_files_score_zero(graded_class):
    _, rows, _ = graded_class
    dave, erin = rows[3], rows[4]
    assert dave["score"] == "0"
    assert "syntax error" in dave["reasons"]
    assert erin["score"] == "0"
    assert "not a valid notebook" in erin["reasons"]


def test_class_summary_lines(graded_class):
    finished, _, _ = graded_class
    lines = finished.stdout.splitlines()
    assert lines[0].startswith("Graded 6 submissions in ")
    assert "Full marks: 2 of 6." in lines
    assert any(line.split() == ["100", "|", "#" * 40, "2"] for line in lines)
    assert any(line.startswith("Mean ") for line in lines)
    assert "Submissions per failed check, most common first:" in lines


def test_class_failures_listed(graded_class):
    finished, _, _ = graded_class
    lines = finished.stdout.splitlines()
    start = lines.index("Not fully graded (3):")
    listed = lines[start + 1 :]
    assert "carol.py: timed out: " in listed[0]
    assert "dave.py: could not be loaded: " in listed[1]
    assert "erin.ipynb: could not be loaded: " in listed[2]


def test_class_json_dir_one_file_per_student(graded_class):
    _, rows, out = graded_class
    files = sorted(path.stem for path in (out / "results").iterdir())
    assert files == sorted(EXPECTED_IDS)
    for row in rows:
        data = json.loads((out / "results" / f"{row['id']}.json").read_text())
        assert data["score"] == int(row["score"]), row["id"]
        assert len(data["tests"]) == len(CHECKS)


def test_class_no_progress_bar_without_terminal(graded_class):
    finished, _, _ = graded_class
    assert finished.stderr == ""


def run_in_terminal(*args) -> bytes:
    """Run ``grade`` with stdout and stderr on a pseudo-terminal; return its output."""
    main, child = pty.openpty()
    command = [sys.executable, "-m", "grader", *map(str, args)]
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=child, stderr=child
    )
    os.close(child)
    output = b""
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # Linux raises EIO once the child side is closed.
            break
        if not data:
            break
        output += data
    os.close(main)
    assert process.wait(timeout=120) == 0
    return output


def test_progress_bar_on_terminal(tmp_path):
    write(tmp_path / "anna.py", solution_text())
    write(tmp_path / "marco.py", solution_text())
    output = run_in_terminal(tmp_path, "--jobs", "2")
    assert b"grading" in output
    assert b"2/2" in output


def test_no_progress_option_on_terminal(tmp_path):
    write(tmp_path / "anna.py", solution_text())
    write(tmp_path / "marco.py", solution_text())
    output = run_in_terminal(tmp_path, "--jobs", "2", "--no-progress")
    assert b"grading" not in output
    assert b"Full marks: 2 of 2." in output


def test_class_same_gradebook_with_one_process(graded_class, small_class, tmp_path):
    _, rows, _ = graded_class
    gradebook = tmp_path / "one.csv"
    finished = run_grade(
        small_class, "--jobs", "1", "--timeout", "1", "--csv", gradebook,
        cwd=small_class.parent,
    )  # fmt: skip
    assert finished.returncode == 1
    with open(gradebook, newline="", encoding="utf-8") as stream:
        assert list(csv.DictReader(stream)) == rows


def test_full_class_exits_zero(tmp_path):
    write(tmp_path / "anna" / "submission.py", solution_text())
    write(tmp_path / "marco" / "submission.py", solution_text())
    finished = run_grade(tmp_path, "--jobs", "2")
    assert finished.returncode == 0
    assert "Full marks: 2 of 2." in finished.stdout.splitlines()


def test_csv_with_one_file_uses_batch_mode(tmp_path):
    gradebook = tmp_path / "one.csv"
    finished = run_grade(SOLUTION, "--csv", gradebook)
    assert finished.returncode == 0
    assert finished.stdout.startswith("Graded 1 submissions")
    rows = gradebook.read_text().splitlines()
    assert rows[1].startswith("solution,")


def test_junit_one_suite_per_submission(tmp_path):
    write(tmp_path / "class" / "anna.py", solution_text())
    write(tmp_path / "class" / "marco.py", "syntax error here\n")
    report = tmp_path / "junit.xml"
    finished = run_grade(tmp_path / "class", "--junit", report)
    assert finished.returncode == 1
    suites = ElementTree.parse(report).getroot().findall("testsuite")
    assert len(suites) == 2
    assert [len(suite.findall("testcase")) for suite in suites] == [len(CHECKS)] * 2


def test_github_summary_without_commands(tmp_path):
    write(tmp_path / "class" / "anna.py", solution_text())
    write(tmp_path / "class" / "marco.py", "raise ValueError('::error::forged')\n")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    finished = run_grade(tmp_path / "class", "--github", env=env)
    assert finished.returncode == 1
    lines = finished.stdout.splitlines()
    stop = next(
        i for i, line in enumerate(lines) if line.startswith("::stop-commands::")
    )
    token = lines[stop].split("::")[2]
    summary_lines = lines[stop + 1 : lines.index(f"::{token}::")]
    assert summary_lines[0].startswith("Graded 2 submissions in ")
    assert any("forged" in line for line in summary_lines)


def test_summary_in_italian(tmp_path):
    write(tmp_path / "anna.py", solution_text())
    write(tmp_path / "marco.py", solution_text())
    finished = run_grade(tmp_path, "--lang", "it")
    assert finished.stdout.startswith("Valutate 2 consegne in ")
    assert "Punteggio pieno: 2 su 2." in finished.stdout.splitlines()


def test_folder_without_submissions_is_usage_error(tmp_path):
    write(tmp_path / "readme.md", "")
    finished = run_grade(tmp_path)
    assert finished.returncode == 2
    assert finished.stderr.startswith("grade: no .py or .ipynb files were found in ")


def test_other_suffix_in_batch_is_usage_error(tmp_path):
    notes = write(tmp_path / "notes.txt", "")
    finished = run_grade(SOLUTION, notes)
    assert finished.returncode == 2
    assert "neither a .py file nor a .ipynb notebook" in finished.stderr


# -- faults of the grader: the batch goes on


def batch_options(*args: str):
    return cli.build_parser().parse_args([*args, "--no-progress", "--lang", "en"])


@pytest.fixture
def three_files(tmp_path) -> list[Path]:
    return [write(tmp_path / f"{name}.py", solution_text()) for name in "abc"]


def test_dead_grading_process_costs_one_result(
    three_files, monkeypatch, capsys, caplog
):
    real_grade = grading.grade

    def grade_or_die(path, **options):
        if Path(path).name == "b.py":
            os._exit(7)
        return real_grade(path, **options)

    # The grading processes are forked, so they inherit the patched function.
    monkeypatch.setattr(grading, "grade", grade_or_die)
    folder = three_files[0].parent
    code = batch.run_batch([folder], batch_options(str(folder), "--jobs", "2"))
    out = capsys.readouterr().out
    assert code == 2
    assert "Full marks: 2 of 3." in out.splitlines()
    assert "b.py: grader fault: " in out
    assert "exit code 7" in out
    assert "could not grade" in caplog.text


def test_sandbox_error_costs_one_result(three_files, monkeypatch, capsys):
    real_grade = grading.grade

    def grade_or_fail(path, **options):
        if Path(path).name == "a.py":
            raise SandboxError("the sandbox process ended unexpectedly")
        return real_grade(path, **options)

    monkeypatch.setattr(grading, "grade", grade_or_fail)
    folder = three_files[0].parent
    code = batch.run_batch([folder], batch_options(str(folder), "--jobs", "1"))
    out = capsys.readouterr().out
    assert code == 2
    assert "Full marks: 2 of 3." in out.splitlines()
    assert "a.py: grader fault: " in out


def test_grade_submissions_keeps_order(three_files):
    limits = batch.Limits(timeout=3)
    outcome = batch.grade_submissions(three_files[::-1], limits=limits, jobs=2)
    assert [r.submission for r in outcome.results] == [
        str(p) for p in three_files[::-1]
    ]
    assert outcome.jobs == 2
    assert all(result.score == 100 for result in outcome.results)
    assert any(name.startswith("pool ") for name in outcome.peak_memory_kib)
    assert any(name.startswith("zygote ") for name in outcome.peak_memory_kib)


# -- the corpus, graded as one class


@pytest.mark.slow
def test_corpus_as_batch(tmp_path):
    gradebook = tmp_path / "corpus.csv"
    folders = [SUBMISSIONS / kind for kind in ("correct", "wrong", "hostile")]
    finished = run_grade(
        *folders, "--jobs", "2", "--timeout", "1", "--csv", gradebook, timeout=600
    )
    assert finished.returncode == 1, finished.stdout[-3000:] + finished.stderr
    with open(gradebook, newline="", encoding="utf-8") as stream:
        scores = {
            Path(row["path"]).resolve(): row["score"] for row in csv.DictReader(stream)
        }
    for name, entry in load_manifest().items():
        score = scores.get((SUBMISSIONS / name).resolve())
        assert score not in (None, ""), f"{name} was not graded"
        if entry["kind"] == "correct":
            assert score == "100", name
        elif entry["kind"] == "wrong":
            assert int(score) < 100, name
