"""Choosing what a pull request submits, and reading its event.

tests/test_workflow.py runs ``python -m grader.ci`` end to end.
"""

from __future__ import annotations

import json

import pytest

from grader.ci import CIError, read_event, select_submissions


def test_picks_changed_submissions():
    changed = [
        "perceptron.py",
        "notebooks/perceptron.ipynb",
        "README.md",
        "grader/checks.py",
        "tests/test_cli.py",
        ".github/workflows/grade.yml",
        "exercise/perceptron.py",
        "solution/perceptron.py",
        "utils.py",
        "lib/utils.py",
        "Scratch.PY",
    ]
    assert select_submissions(changed, []) == [
        "perceptron.py",
        "notebooks/perceptron.ipynb",
        "Scratch.PY",
    ]


def test_configured_paths_only():
    changed = ["perceptron.py", "scratch.py", "perceptron.ipynb"]
    assert select_submissions(changed, ["perceptron.ipynb"]) == ["perceptron.ipynb"]
    assert select_submissions(["scratch.py"], ["perceptron.py"]) == []


def test_protected_folder_prefix_only():
    assert select_submissions(["my_grader/perceptron.py"], []) == [
        "my_grader/perceptron.py"
    ]
    assert select_submissions(["grader/perceptron.py"], []) == []


def test_read_event(tmp_path):
    path = tmp_path / "event.json"
    path.write_text(
        json.dumps({"pull_request": {"base": {"sha": "b1"}, "head": {"sha": "h2"}}})
    )
    assert read_event(path) == ("b1", "h2")


@pytest.mark.parametrize(
    "content", ["{}", "not json", '{"pull_request": {"base": {}}}']
)
def test_read_event_rejects_other_events(tmp_path, content):
    path = tmp_path / "event.json"
    path.write_text(content)
    with pytest.raises(CIError, match="is not a pull_request event"):
        read_event(path)
