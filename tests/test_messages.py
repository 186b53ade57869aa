"""The catalog has every message in English and Italian, and renders it."""

from __future__ import annotations

import pytest

from grader.messages import (
    CATALOG,
    LANGUAGES,
    cell_text,
    detect_language,
    fields,
    render,
)
from grader.result import Message

# Entries that are the same in every language: formulas, code names and
# bare fields.
LANGUAGE_NEUTRAL = {
    "check_backward.d_weights",
    "check_backward.d_biases",
    "check_backward.update",
    "where_method",
    "position_in_cell",
    "params_weights",
    "params_biases",
    "report_status_passed",
    "report_status_not_run",
    "grader_fault",
    "self_check_file_label",
}


def test_every_entry_has_every_language():
    missing = [
        (key, language)
        for key, entry in CATALOG.items()
        for language in LANGUAGES
        if not entry.get(language)
    ]
    assert missing == []


def test_every_entry_has_same_fields():
    different = [
        key
        for key, entry in CATALOG.items()
        if len({frozenset(fields(entry.get(lang, ""))) for lang in LANGUAGES}) != 1
    ]
    assert different == []


def test_every_entry_is_translated():
    untranslated = {key for key, entry in CATALOG.items() if entry["it"] == entry["en"]}
    assert untranslated == LANGUAGE_NEUTRAL


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_renders_every_field(language):
    unformatted = []
    for key, entry in CATALOG.items():
        names = fields(entry[language])
        text = render(Message(key, {name: f"<{name}>" for name in names}), language)
        unformatted += [(key, name) for name in names if "{" + name in text]
    assert unformatted == []


def test_render_unknown_key_shows_key():
    assert render(Message("no_such_key"), "it") == "no_such_key"


def test_render_missing_field_shows_question_mark():
    text = render(Message("report_score", {"score": 7}), "en")
    assert text == "Score: 7/?"


def test_render_value_against_format_spec():
    # A text where a number is expected is shown as it is, not raised.
    text = render(Message("falls_not", {"epoch": 2, "previous": "nan", "found": 1.5}))
    assert text == "The printed loss does not fall at epoch 2: nan then 1.5."


def test_render_float_four_digits():
    text = render(Message("report_score", {"score": 1.23456789, "max_score": 100}))
    assert text == "Score: 1.235/100"


def test_render_nested_message_same_language():
    term = Message("term_layer_weights", {"layer": 2})
    message = Message("value_not_finite", {"what": term, "bad": "nan"})
    assert render(message, "it").startswith(
        "I pesi del layer 2: l'array contiene valori nan."
    )
    english = render(message, "en")
    assert english.startswith("The weights of layer 2: the array contains nan values.")


def test_render_where_and_line_in_italian():
    message = Message(
        "raised",
        {"method": "backward()", "type": "ValueError", "message": "bad", "line": 12},
    )
    assert render(message, "it") == (
        "Il tuo codice ha sollevato ValueError in backward() (riga 12): bad"
    )


def test_render_without_line_has_no_gap():
    message = Message("raised", {"method": "load", "type": "E", "message": "m"})
    text = render(message, "en")
    assert text == (
        "Your code raised E while loading your file (its top-level code): m"
    )


def test_render_timeout_hint_per_method():
    message = Message("timeout", {"method": "fit()", "seconds": 5.0})
    assert render(message, "it") == (
        "Il tuo codice è stato fermato dopo 5 s in fit(): controlla il ciclo "
        "sulle epoche e quello sugli esempi."
    )


def test_syntax_error_position_in_cell():
    params = {
        "message": "invalid syntax",
        "line": 2,
        "column": 5,
        "text": "    def f(\n",
        "cell": "cell 3",
    }
    text = render(Message("syntax_error", params), "it")
    assert text == (
        "Il tuo file ha un errore di sintassi in cella 3, riga 2, colonna 5: "
        "invalid syntax. La riga è: def f("
    )


def test_syntax_error_without_source_line():
    params = {"message": "source code cannot contain null bytes", "line": None}
    text = render(Message("syntax_error", params), "en")
    assert text == (
        "Your file has a syntax error at ?: source code cannot contain null bytes."
    )


def test_cell_label_translated():
    assert cell_text("cell 4", "it") == "cella 4"
    assert cell_text("cell 4", "en") == "cell 4"
    assert cell_text(None, "it") == ""


def test_cell_raised_note_in_italian():
    params = {"cell": "cell 2", "type": "NameError", "message": "x", "line": 3}
    text = render(Message("cell_raised", params), "it")
    assert text.startswith(
        "Nella cella 2 il tuo codice ha sollevato NameError (riga 3): x."
    )


@pytest.fixture
def clean_locale(monkeypatch):
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    "explicit, expected",
    [("it", "it"), ("en", "en"), ("IT", "it"), ("fr", "en"), (" it ", "it")],
)
def test_language_explicit(clean_locale, explicit, expected):
    clean_locale.setenv("LANG", "it_IT.UTF-8")
    assert detect_language(explicit) == expected


@pytest.mark.parametrize(
    "environment, expected",
    [
        ({}, "en"),
        ({"LANG": "it_IT.UTF-8"}, "it"),
        ({"LANG": "it"}, "it"),
        ({"LANG": "it_CH@euro"}, "it"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LC_MESSAGES": "it_IT.UTF-8", "LANG": "en_GB.UTF-8"}, "it"),
        ({"LC_ALL": "C", "LANG": "it_IT.UTF-8"}, "en"),
        ({"LC_ALL": "", "LANG": "it_IT.UTF-8"}, "it"),
        ({"LC_ALL": "it_IT.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "it"),
    ],
)
def test_language_from_locale(clean_locale, environment, expected):
    for variable, value in environment.items():
        clean_locale.setenv(variable, value)
    assert detect_language() == expected
