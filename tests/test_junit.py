"""JUnit XML: one test case per check, failures carrying the feedback."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from conftest import SOLUTION, SUBMISSIONS, run_grade
from grader.junit import junit_tree, suite_names, write_junit
from grader.messages import render
from grader.result import (
    CHECKS,
    FAILED,
    NOT_RUN,
    PASSED,
    CheckResult,
    GradeResult,
    Message,
)


def _result(path: str = "perceptron.py") -> GradeResult:
    """A graded result with one check of each status."""
    result = GradeResult(submission=path, seed=7, execution_time=1.5)
    result.checks = [CheckResult("load", PASSED)]
    result.checks.append(
        CheckResult(
            "backward.d_weights",
            FAILED,
            [Message("not_implemented", {"method": "backward()"})],
            line=12,
        )
    )
    for name in list(CHECKS)[2:]:
        result.checks.append(CheckResult(name, NOT_RUN, [Message("depends_on_load")]))
    return result


def _cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name"): case for case in suite.iter("testcase")}


def _properties(suite: ET.Element) -> dict[str, str]:
    return {prop.get("name"): prop.get("value") for prop in suite.iter("property")}


def test_one_testcase_per_check():
    suite = junit_tree([_result()])[0]
    assert list(_cases(suite)) == list(CHECKS)
    assert {case.get("classname") for case in suite.iter("testcase")} == {"perceptron"}


def test_failure_carries_feedback():
    case = _cases(junit_tree([_result()])[0])["backward.d_weights"]
    failure = case.find("failure")
    expected = render(Message("not_implemented", {"method": "backward()"}))
    assert failure is not None
    assert failure.text == expected
    assert failure.get("message") == expected
    assert case.get("line") == "12"
    assert case.get("file") == "perceptron.py"


def test_passed_and_not_run_cases():
    cases = _cases(junit_tree([_result()])[0])
    assert list(cases["load"]) == []
    skipped = cases["fit.replay"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == render(Message("depends_on_load"))


def test_suite_counts_and_properties():
    root = junit_tree([_result()])
    suite = root[0]
    assert suite.get("tests") == str(len(CHECKS))
    assert suite.get("failures") == "1"
    assert suite.get("skipped") == str(len(CHECKS) - 2)
    assert suite.get("errors") == "0"
    assert suite.get("time") == "1.500"
    assert _properties(suite) == {
        "submission": "perceptron.py",
        "score": "0",
        "max_score": "100",
        "seed": "7",
    }
    assert root.get("tests") == suite.get("tests")


def test_grader_fault_becomes_errors():
    result = GradeResult(submission="alice.py", seed=0)
    result.error = Message("grader_fault", {"detail": "the sandbox did not start"})
    suite = junit_tree([result])[0]
    cases = _cases(suite)
    assert list(cases) == list(CHECKS)
    for case in cases.values():
        error = case.find("error")
        assert error is not None
        assert "the sandbox did not start" in error.text
    assert suite.get("errors") == str(len(CHECKS))
    assert _properties(suite)["score"] == "0"


def test_notebook_cases_have_no_line():
    result = _result("work/perceptron.ipynb")
    result.checks[1].cell = "cell 4"
    case = _cases(junit_tree([result])[0])["backward.d_weights"]
    assert case.get("line") is None
    assert case.get("file") == "work/perceptron.ipynb"


def test_control_characters_stay_valid_xml(tmp_path):
    result = _result()
    message = Message(
        "raised",
        {
            "type": "ValueError",
            "method": "backward()",
            "message": "bad \x1b[31mred\x00 \ufffe",
        },
    )
    result.checks[1].feedback = [message]
    result.output = {"stdout": {"head": "tick\x07\n", "tail": "", "total": 6}}
    path = tmp_path / "junit.xml"
    write_junit([result], path)
    suite = ET.parse(path).getroot()[0]
    failure = _cases(suite)["backward.d_weights"].find("failure")
    assert "bad \\x1b[31mred\\x00 \\xfffe" in failure.text
    assert suite.find("system-out").text == "tick\\x07\n"


def test_repeated_stems_get_their_folder():
    results = [
        _result("alice/perceptron.py"),
        _result("bob/perceptron.py"),
        _result("carol.py"),
    ]
    assert suite_names(results) == ["alice/perceptron", "bob/perceptron", "carol"]
    root = junit_tree(results)
    assert [suite.get("name") for suite in root] == suite_names(results)
    assert root.get("tests") == str(3 * len(CHECKS))


def test_names_given_by_caller():
    root = junit_tree([_result(), _result()], names=["s1", "s2"])
    assert [suite.get("name") for suite in root] == ["s1", "s2"]
    assert {case.get("classname") for case in root[1].iter("testcase")} == {"s2"}


def test_write_replaces_file(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text("stale")
    write_junit([_result()], path)
    assert path.read_text().startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert [p.name for p in tmp_path.iterdir()] == ["junit.xml"]


def test_grade_junit_end_to_end(tmp_path):
    path = tmp_path / "reports" / "junit.xml"
    finished = run_grade(SOLUTION, "--junit", path)
    assert finished.returncode == 0
    suite = ET.parse(path).getroot()[0]
    assert suite.get("failures") == "0"
    assert _properties(suite)["score"] == "100"


def test_grade_junit_matches_results_json(tmp_path):
    junit, results = tmp_path / "junit.xml", tmp_path / "results.json"
    wrong = SUBMISSIONS / "wrong" / "biases_not_updated.py"
    finished = run_grade(wrong, "--junit", junit, "--json", results, "--lang", "it")
    assert finished.returncode == 1
    suite = ET.parse(junit).getroot()[0]
    assert suite.get("name") == "biases_not_updated"
    tests = {test["name"]: test for test in json.loads(results.read_text())["tests"]}
    for name, case in _cases(suite).items():
        failure = case.find("failure")
        assert (failure is not None) == (tests[name]["status"] == "failed"), name
        if failure is not None:
            assert failure.text == tests[name]["output"]
    assert _properties(suite)["score"] == str(json.loads(results.read_text())["score"])
