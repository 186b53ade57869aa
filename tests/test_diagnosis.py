"""Each known mistake is named on the check it breaks, with its hint.

Every case grades a real submission that makes the mistake, in a sandbox,
and checks three things: the owning check failed, it carries the mistake's
id, and the report shows the hint in English and in Italian.
"""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, SOLUTION, STUB, SUBMISSIONS
from grader import diagnosis
from grader.messages import CATALOG, render
from grader.report import render_report
from grader.result import FAILED, PASSED

MISTAKES = ROOT / "tests" / "files" / "mistakes"

# (mistake id, submission, the check that owns the mistake)
CASES = [
    ("derivative_missing", "wrong/derivative_missing.py", "backward.d_weights"),
    ("derivative_at_output", "wrong/derivative_at_output.py", "backward.d_weights"),
    ("derivative_at_input", "wrong/derivative_at_input.py", "backward.d_weights"),
    ("d_weights_transposed", "wrong/d_weights_transposed.py", "backward.d_weights"),
    ("d_weights_uses_output", "wrong/d_weights_uses_output.py", "backward.d_weights"),
    ("d_weights_uses_output", "d_weights_uses_activation.py", "backward.d_weights"),
    ("da_prev_after_update", "wrong/da_prev_after_update.py", "backward.da_prev"),
    ("da_prev_after_update", "da_prev_after_update_in_place.py", "backward.da_prev"),
    ("da_prev_not_returned", "wrong/da_prev_not_returned.py", "backward.da_prev"),
    ("da_prev_not_transposed", "wrong/da_prev_not_transposed.py", "backward.da_prev"),
    (
        "da_prev_skips_derivative",
        "wrong/da_prev_skips_derivative.py",
        "backward.da_prev",
    ),
    ("gradient_added", "wrong/gradient_added.py", "backward.update"),
    ("gradient_added", "gradient_added_biases.py", "backward.update"),
    ("learning_rate_ignored", "wrong/learning_rate_ignored.py", "backward.update"),
    (
        "learning_rate_ignored",
        "wrong/learning_rate_ignored_biases.py",
        "backward.update",
    ),
    ("learning_rate_twice", "wrong/learning_rate_twice.py", "backward.update"),
    ("biases_not_updated", "wrong/biases_not_updated.py", "backward.d_biases"),
    ("d_biases_summed", "wrong/d_biases_summed.py", "backward.d_biases"),
    ("gradient_accumulator", "wrong/gradient_accumulator.py", "backward.d_weights"),
    ("layers_forward", "wrong/layers_forward.py", "fit.one_step"),
    ("da_not_passed", "wrong/da_not_passed.py", "fit.one_step"),
    ("first_layer_skipped", "wrong/first_layer_skipped.py", "fit.one_step"),
    ("bce_derivative_sign", "wrong/bce_derivative_sign.py", "fit.one_step"),
    (
        "bce_derivative_difference_only",
        "wrong/bce_derivative_difference_only.py",
        "fit.one_step",
    ),
    ("loss_not_reset", "wrong/loss_not_reset.py", "fit.loss_report"),
    ("loss_wrong_count", "wrong/loss_divided_by_epochs.py", "fit.loss_report"),
    ("loss_wrong_count", "wrong/loss_divided_by_epoch_number.py", "fit.loss_report"),
    ("loss_last_example", "wrong/loss_last_example.py", "fit.loss_report"),
    ("loss_sign", "wrong/loss_sign_flipped.py", "fit.loss_report"),
    (
        "loss_printed_per_example",
        "wrong/loss_printed_per_example.py",
        "fit.loss_report",
    ),
]

# Mistakes that the check's own message already names: the diagnosis records
# the id and adds no hint.
NAMED_BY_CHECK = [
    ("gradient_scaled", "wrong/d_weights_divided_by_inputs.py", "backward.d_weights"),
    ("epoch_numbering", "wrong/epoch_numbering_from_zero.py", "fit.loss_report"),
    ("loss_format", "wrong/loss_format_words.py", "fit.loss_report"),
    ("loss_format", "wrong/loss_format_four_decimals.py", "fit.loss_report"),
]


@pytest.fixture(scope="module")
def graded(grade_file):
    """Grade each submission once per module and seed."""
    results = {}

    def run(path, seed=None):
        key = (str(path), seed)
        if key not in results:
            results[key] = grade_file(path, seed=seed)
        return results[key]

    return run


def _path(name: str):
    corpus = SUBMISSIONS / name
    return corpus if corpus.exists() else MISTAKES / name


def _flat(text: str) -> str:
    """Text with its whitespace collapsed, as the report wraps long lines."""
    return re.sub(r"\s+", " ", text).strip()


def _case_id(case) -> str:
    return case[1].split("/")[-1].removesuffix(".py")


@pytest.mark.parametrize("mistake, name, owner", CASES, ids=map(_case_id, CASES))
def test_mistake_named_on_owner(graded, mistake, name, owner):
    result = graded(_path(name))
    check = result.check(owner)
    assert check.status == FAILED
    assert check.mistake == mistake
    assert check.feedback[0].key == f"mistake_{mistake}"


@pytest.mark.parametrize("mistake, name, owner", CASES, ids=map(_case_id, CASES))
@pytest.mark.parametrize("language", ["en", "it"])
def test_mistake_hint_in_report(graded, mistake, name, owner, language):
    result = graded(_path(name))
    hint = render(result.check(owner).feedback[0], language)
    report = _flat(render_report(result, language))
    assert _flat(hint) in report
    assert "?" not in _flat(hint).replace("?)", "")


@pytest.mark.parametrize(
    "mistake, name, owner", NAMED_BY_CHECK, ids=map(_case_id, NAMED_BY_CHECK)
)
def test_mistake_named_by_check_message(graded, mistake, name, owner):
    result = graded(_path(name))
    check = result.check(owner)
    assert check.status == FAILED
    assert check.mistake == mistake
    assert not any(m.key.startswith("mistake_") for m in check.feedback)


def test_every_hint_has_a_case():
    hints = {
        key.removeprefix("mistake_") for key in CATALOG if key.startswith("mistake_")
    }
    assert hints == {mistake for mistake, _, _ in CASES}


def test_required_mistakes_all_covered():
    # The mistakes every release of the grader must recognise.
    required = {
        "derivative_missing",
        "derivative_at_output",
        "d_weights_transposed",
        "d_weights_uses_output",
        "da_prev_after_update",
        "da_prev_not_returned",
        "gradient_added",
        "learning_rate_ignored",
        "learning_rate_twice",
        "biases_not_updated",
        "d_biases_summed",
        "layers_forward",
        "da_not_passed",
        "bce_derivative_sign",
        "bce_derivative_difference_only",
        "loss_not_reset",
        "loss_wrong_count",
        "loss_last_example",
    }
    assert required <= {mistake for mistake, _, _ in CASES}


def test_derivative_missing_explains_three_checks(graded):
    result = graded(SUBMISSIONS / "wrong" / "derivative_missing.py")
    named = {c.name for c in result.checks if c.mistake == "derivative_missing"}
    assert named == {"backward.d_weights", "backward.d_biases", "backward.da_prev"}


def test_hint_keeps_numeric_evidence(graded):
    result = graded(SUBMISSIONS / "wrong" / "derivative_missing.py")
    keys = [m.key for m in result.check("backward.d_weights").feedback]
    assert keys == ["mistake_derivative_missing", "gradient_wrong"]


def test_hint_replaces_redundant_message(graded):
    result = graded(SUBMISSIONS / "wrong" / "gradient_added.py")
    keys = [m.key for m in result.check("backward.update").feedback]
    assert keys == ["mistake_gradient_added"]


def test_gradient_added_names_only_biases(graded):
    result = graded(MISTAKES / "gradient_added_biases.py")
    hint = result.check("backward.update").feedback[0]
    assert hint.params["what"].key == "params_biases"


def test_two_mistakes_gradient_found_despite_update(graded):
    # The step ignores the learning rate, so it is not lr * gradient. The
    # gradient is still recognised because the step is parallel to it.
    result = graded(MISTAKES / "derivative_missing_lr_ignored.py")
    assert result.check("backward.d_weights").mistake == "derivative_missing"
    assert result.check("backward.d_biases").mistake == "derivative_missing"


def test_unknown_mistake_keeps_numeric_report(graded):
    result = graded(SUBMISSIONS / "wrong" / "examples_shuffled.py")
    check = result.check("fit.replay")
    assert check.status == FAILED
    assert check.mistake is None
    assert [m.key for m in check.feedback] == ["replay_wrong"]


def test_diverging_training_not_misnamed(graded):
    # bce_derivative_sign and da_not_passed both drive the replay probe to
    # nan, so the nan alone must not name the other mistake.
    result = graded(SUBMISSIONS / "wrong" / "bce_derivative_sign.py")
    mistakes = {c.mistake for c in result.checks if c.mistake}
    assert mistakes == {"bce_derivative_sign"}


@pytest.mark.parametrize("path", [SOLUTION, STUB], ids=["solution", "stub"])
def test_no_mistake_without_evidence(graded, path):
    result = graded(path)
    assert [c.mistake for c in result.checks if c.mistake] == []


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (SUBMISSIONS / "correct").glob("*.py"))
)
def test_correct_submission_has_no_mistake(graded, name):
    result = graded(SUBMISSIONS / "correct" / name)
    assert all(c.status == PASSED for c in result.checks)
    assert all(c.mistake is None for c in result.checks)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_mistakes_named_for_other_seeds(graded, seed):
    wrong = []
    for mistake, name, owner in CASES + NAMED_BY_CHECK:
        found = graded(_path(name), seed=seed).check(owner).mistake
        if found != mistake:
            wrong.append((name, mistake, found))
    assert wrong == []


def test_shapes_read_from_numpy_errors():
    text = "operands could not be broadcast together with shapes (5,3) (3,5) "
    assert diagnosis._shapes_in(text) == {(5, 3), (3, 5)}
    assert diagnosis._shapes_in("shapes (5,3) and (5,1) not aligned") == {
        (5, 3),
        (5, 1),
    }
    assert diagnosis._shapes_in("no shapes here") == set()
