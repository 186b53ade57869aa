"""The text report: grouping, what to fix first, the loss chart, languages."""

from __future__ import annotations

import re
import shutil
import string

import pytest

from conftest import SOLUTION, STUB, SUBMISSIONS, load_manifest, run_grade
from grader.messages import CATALOG, render
from grader.report import CHART_HEIGHT, loss_chart, render_report
from grader.result import (
    CHECKS,
    FAILED,
    NOT_RUN,
    PASSED,
    CheckResult,
    GradeResult,
    Message,
)

CORPUS = sorted(load_manifest())
EXPECTED_CURVE = [0.70, 0.66, 0.62, 0.59, 0.56, 0.54, 0.52, 0.50, 0.49, 0.48]

# The loss line format the exercise prescribes is shown literally, braces and
# all, by the loss_format message.
PRESCRIBED_FORMAT = "f'Loss at epoch {epoch + 1}: {average_loss:.3f}'"


def _result(statuses: dict[str, tuple], **fields) -> GradeResult:
    """A GradeResult whose checks have the given (status, feedback, mistake)."""
    result = GradeResult(submission="student.py", seed=0, **fields)
    for name in CHECKS:
        status, feedback, mistake = statuses.get(name, (PASSED, [], None))
        result.checks.append(CheckResult(name, status, feedback, mistake=mistake))
    return result


def _stub_like() -> GradeResult:
    backward = Message("not_implemented", {"method": "backward()", "type": "E"})
    fit = Message("not_implemented", {"method": "fit()", "type": "E"})
    statuses = {
        name: (FAILED, [backward], None) for name in CHECKS if "backward" in name
    }
    statuses.update(
        {
            name: (FAILED, [fit, Message("fit_after_backward")], None)
            for name in CHECKS
            if "fit" in name
        }
    )
    return _result(statuses)


# --------------------------------------------------------------------------
# Groups and what to fix first


def test_identical_failures_reported_once():
    report = render_report(_stub_like(), "en")
    assert report.count("backward() is not written yet") == 1
    assert report.count("fit() is not written yet") == 1
    assert (
        "backward.d_weights, backward.d_biases, backward.da_prev, backward.update"
        in report
    )


def test_shared_mistake_hint_once_details_each():
    hint = Message("mistake_derivative_missing")
    statuses = {
        "backward.d_weights": (
            FAILED,
            [hint, Message("falls_no_values", {"epochs": 1})],
            "derivative_missing",
        ),
        "backward.d_biases": (
            FAILED,
            [hint, Message("falls_no_values", {"epochs": 2})],
            "derivative_missing",
        ),
    }
    report = render_report(_result(statuses), "en")
    assert report.count("The activation derivative is missing from dz") == 1
    assert "  backward.d_weights: No loss values could be read" in report
    assert "  backward.d_biases: No loss values could be read" in report


def test_fix_first_names_reason():
    report = render_report(_stub_like(), "en")
    assert (
        "Fix this first: backward.d_weights. fit() trains the network through" in report
    )


def test_fix_first_single_check():
    statuses = {
        "fit.loss_report": (FAILED, [Message("loss_missing", {"epochs": 3})], None)
    }
    report = render_report(_result(statuses), "it")
    assert "Un solo controllo non passa: fit.loss_report." in report


def test_fix_first_one_cause():
    timeout = Message("timeout", {"method": "fit()", "seconds": 5.0})
    statuses = {
        name: (FAILED, [timeout], None) for name in CHECKS if name.startswith("fit.")
    }
    report = render_report(_result(statuses), "en")
    assert (
        "Fix this first: fit.one_step. Every failing check has the same cause" in report
    )


def test_full_marks_line():
    report = render_report(_result({}), "it")
    assert "Punteggio pieno: hai superato tutti i controlli." in report


def test_location_names_cell_in_italian():
    result = _result(
        {"load": (FAILED, [Message("class_missing", {"name": "Layer"})], None)}
    )
    result.checks[0].line, result.checks[0].cell = 5, "cell 3"
    report = render_report(result, "it")
    assert "load [cella 3, riga 5]" in report


def test_grader_error_report():
    result = GradeResult(submission="s.py", seed=0)
    result.error = Message("grader_fault", {"detail": "zygote died"})
    report = render_report(result, "it")
    assert "errore del correttore: zygote died" in report


# --------------------------------------------------------------------------
# Symbols, words and colour


def test_plain_report_uses_words():
    report = render_report(_stub_like(), "en")
    assert "  FAIL backward.d_weights" in report
    assert "  ok   load" in report
    assert "\033[" not in report
    assert report.isascii()


def test_plain_report_words_in_italian():
    report = render_report(_stub_like(), "it")
    assert "  KO backward.d_weights" in report


def test_colour_report_uses_symbols():
    report = render_report(_stub_like(), "en", colour=True)
    assert "\033[31m✗" in report
    assert "\033[32m✓" in report


def test_symbols_without_colour():
    report = render_report(_stub_like(), "en", colour=False, unicode=True)
    assert "  ✗ backward.d_weights" in report
    assert "\033[" not in report


def test_not_run_status():
    result = _result(
        {"backward.d_weights": (NOT_RUN, [Message("depends_on_load")], None)}
    )
    assert "  --   backward.d_weights" in render_report(result, "en")


# --------------------------------------------------------------------------
# The loss chart


def test_chart_compact():
    lines = loss_chart(EXPECTED_CURVE, EXPECTED_CURVE, "en")
    assert len(lines) == CHART_HEIGHT + 3
    assert lines[0].startswith("Loss per epoch at learning rate 0.01")


def test_chart_marks_both_where_equal():
    lines = loss_chart(EXPECTED_CURVE, EXPECTED_CURVE, "en")
    plotted = "".join(lines[1 : CHART_HEIGHT + 1])
    assert plotted.count("*") == len(EXPECTED_CURVE)
    assert "o" not in plotted.replace("o expected", "")


def test_chart_top_and_bottom_labels():
    found = [0.70, 0.90, 1.10]
    lines = loss_chart(EXPECTED_CURVE[:3], found, "en")
    assert lines[1].strip().startswith("1.100")
    assert lines[CHART_HEIGHT].strip().startswith("0.620")


def test_chart_rising_curve_above_expected():
    found = [0.70, 0.90, 1.10]
    lines = loss_chart(EXPECTED_CURVE[:3], found, "en")
    top_row = lines[1]
    assert top_row.rstrip().endswith("x")


def test_chart_lists_non_finite_values():
    found = [0.70, float("nan"), None]
    lines = loss_chart(EXPECTED_CURVE[:3], found, "it")
    assert (
        lines[-1]
        == "  Valori stampati che non sono numeri finiti, non disegnati: epoche 2, 3."
    )


def test_chart_ascii_when_plain():
    lines = loss_chart(EXPECTED_CURVE, EXPECTED_CURVE[::-1], "en", unicode=False)
    assert all(line.isascii() for line in lines)


def test_chart_in_report_only_with_values():
    with_values = _result(
        {}, curves={"expected": EXPECTED_CURVE, "found": EXPECTED_CURVE}
    )
    without = _result({}, curves={"expected": EXPECTED_CURVE, "found": []})
    assert "Loss per epoch" in render_report(with_values, "en")
    assert "Loss per epoch" not in render_report(without, "en")
    assert "Loss per epoch" not in render_report(with_values, "en", chart=False)


# --------------------------------------------------------------------------
# Reports of the whole corpus, in both languages


@pytest.fixture(scope="module")
def corpus_results(grade_file):
    return {name: grade_file(SUBMISSIONS / name) for name in CORPUS}


def _keys(messages) -> set[str]:
    keys = set()
    for message in messages:
        keys.add(message.key)
        nested = [v for v in message.params.values() if isinstance(v, Message)]
        keys |= _keys(nested)
    return keys


def _report_text(report: str) -> str:
    """The report without the student's own output, which is quoted as is."""
    return "\n".join(line for line in report.split("\n") if not line.startswith("  | "))


def _flat(text: str) -> str:
    """Text with its whitespace collapsed, as the report wraps long lines."""
    return re.sub(r"\s+", " ", text)


def _english_fragments() -> set[str]:
    """Literal English phrases of the catalog that Italian never uses."""
    italian = " ".join(entry["it"] for entry in CATALOG.values())
    fragments = set()
    for entry in CATALOG.values():
        if entry["en"] == entry["it"]:
            continue
        for literal, *_ in string.Formatter().parse(entry["en"]):
            for part in re.split(r"[.:;()'\[\]]", literal):
                part = part.strip()
                if len(part.split()) >= 3 and part not in italian:
                    fragments.add(part)
    return fragments


def test_corpus_messages_all_in_catalog(corpus_results):
    used = set()
    for result in corpus_results.values():
        for check in result.checks:
            used |= _keys(check.feedback)
        used |= _keys(result.notes)
    assert used - set(CATALOG) == set()


@pytest.mark.parametrize("language", ["en", "it"])
def test_corpus_reports_fully_formatted(corpus_results, language):
    unformatted = []
    for name, result in corpus_results.items():
        text = _flat(_report_text(render_report(result, language)))
        text = text.replace(PRESCRIBED_FORMAT, "")
        unformatted += [
            (name, field) for field in re.findall(r"\{\w+(?::[^}]*)?\}", text)
        ]
    assert unformatted == []


def test_corpus_reports_italian_has_no_english(corpus_results):
    fragments = _english_fragments()
    leaks = []
    for name, result in corpus_results.items():
        text = _flat(_report_text(render_report(result, "it")))
        leaks += [(name, fragment) for fragment in fragments if fragment in text]
    assert leaks == []


def test_english_fragments_found():
    # Guards the test above: the fragment list is not empty by accident.
    assert "is not written yet" in _english_fragments()


def test_corpus_mistakes_reported_once(corpus_results):
    repeated = []
    for name, result in corpus_results.items():
        report = render_report(result, "en")
        for check in result.checks:
            if check.mistake and check.feedback[0].key.startswith("mistake_"):
                hint = _flat(render(check.feedback[0], "en"))
                if _flat(report).count(hint) != 1:
                    repeated.append((name, check.mistake))
    assert repeated == []


# --------------------------------------------------------------------------
# End to end: the grade command on real files


def test_grade_italian_stub(tmp_path):
    submission = tmp_path / "perceptron.py"
    shutil.copy(STUB, submission)
    finished = run_grade(submission, "--lang", "it", cwd=tmp_path)
    assert finished.returncode == 1
    lines = finished.stdout.splitlines()
    assert "Punteggio: 0/100" in lines
    assert any(line.startswith("  KO backward.d_weights") for line in lines)
    assert (
        "  backward() non è ancora scritto: solleva ancora NotImplementedError."
        in lines
    )
    assert finished.stdout.count("non è ancora scritto") == 2


def test_grade_language_from_locale(tmp_path):
    submission = tmp_path / "perceptron.py"
    shutil.copy(SOLUTION, submission)
    finished = run_grade(
        submission, cwd=tmp_path, env={"LANG": "it_IT.UTF-8", "LC_ALL": ""}
    )
    assert finished.returncode == 0
    assert (
        "Punteggio pieno: hai superato tutti i controlli."
        in finished.stdout.splitlines()
    )


def test_grade_names_mistake(tmp_path):
    submission = tmp_path / "perceptron.py"
    shutil.copy(SUBMISSIONS / "wrong" / "da_not_passed.py", submission)
    finished = run_grade(submission, "--lang", "en", cwd=tmp_path)
    assert finished.returncode == 1
    assert "fit.one_step, fit.replay" in finished.stdout
    assert "fit() does not pass on the value that backward() returns" in finished.stdout
    assert "Loss per epoch at learning rate 0.01" in finished.stdout
    assert "\033[" not in finished.stdout
