"""Every corpus submission gets the verdict its manifest states."""

from __future__ import annotations

import pytest

from conftest import SUBMISSIONS, load_manifest
from grader.result import CHECKS, FAILED, PASSED

MANIFEST = load_manifest()


def _cases(kind: str) -> list[str]:
    return sorted(name for name, entry in MANIFEST.items() if entry["kind"] == kind)


def test_manifest_covers_every_file():
    files = {
        str(path.relative_to(SUBMISSIONS))
        for path in SUBMISSIONS.rglob("*.py")
        if path.parent != SUBMISSIONS
    }
    assert files == set(MANIFEST)


def test_manifest_names_real_checks():
    for name, entry in MANIFEST.items():
        unknown = set(entry["fails"]) - set(CHECKS)
        assert not unknown, f"{name} names unknown checks {unknown}"


@pytest.mark.parametrize("name", _cases("correct"))
def test_correct_submission_full_marks(grade_file, name):
    result = grade_file(SUBMISSIONS / name)
    failed = {c.name: c.feedback for c in result.checks if c.status != PASSED}
    assert failed == {}
    assert result.score == 100


@pytest.mark.parametrize("name", _cases("wrong") + _cases("hostile"))
def test_wrong_submission_loses_owner_check(grade_file, name):
    result = grade_file(SUBMISSIONS / name)
    status = {check.name: check.status for check in result.checks}
    for check in MANIFEST[name]["fails"]:
        assert status[check] != PASSED, f"{check} passed"
    assert result.score < 100
    assert result.error is None


@pytest.mark.parametrize("name", _cases("wrong") + _cases("hostile"))
def test_failed_checks_explain_themselves(grade_file, name):
    result = grade_file(SUBMISSIONS / name)
    for check in result.checks:
        if check.status == FAILED:
            assert check.feedback, f"{check.name} failed without feedback"
