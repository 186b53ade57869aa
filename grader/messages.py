"""The catalog of every message the grader shows, and its rendering.

Each entry maps a key to its text per language, written with ``str.format``
fields. Parameters that are floats are shown with 4 significant digits;
parameters that are messages are rendered first.
"""

from __future__ import annotations

import os

from grader.result import Message

LANGUAGES = ("en", "it")
DEFAULT_LANGUAGE = "en"

CATALOG: dict[str, dict[str, str]] = {
    # -- where a call happened
    "where_load": {"en": "while loading your file (its top-level code)"},
    "where_method": {"en": "in {method}"},
    # -- the checks
    "check_load": {"en": "The file loads and defines Layer and Perceptron"},
    "check_backward.d_weights": {"en": "backward(): d_weights = dz . inputs^T"},
    "check_backward.d_biases": {"en": "backward(): d_biases = dz"},
    "check_backward.da_prev": {"en": "backward(): returns da_prev = W^T . dz"},
    "check_backward.update": {"en": "backward(): W -= lr * d_weights, b -= lr * d_biases"},
    "check_fit.one_step": {"en": "fit(): one example moves every layer by one SGD step"},
    "check_fit.replay": {"en": "fit(): several epochs match the expected training"},
    "check_fit.loss_report": {"en": "fit(): prints the average loss of each epoch"},
    "check_fit.loss_falls": {"en": "fit(): the loss falls every epoch at learning rate 0.01"},
    # -- failures of a call
    "timeout": {
        "en": "Your code was stopped after {seconds:g} s {where}: {hint}",
    },
    "hint_load": {
        "en": "check the top-level code for a loop that never ends or a long training run.",
    },
    "hint_backward()": {"en": "check backward() for a loop that never ends."},
    "hint_fit()": {"en": "check the loop over epochs and the loop over examples."},
    "hint_other": {"en": "check it for a loop that never ends."},
    "invalid_reply": {
        "en": "Your code interfered with the grader {where}, so its results could not be read.",
    },
    "cpu_limit": {
        "en": "Your code used more CPU time than allowed {where}; look for a loop that never ends.",
    },
    "killed": {
        "en": "Your code was ended by signal {signal} {where}; it may have run out of "
        "memory or crashed inside NumPy.",
    },
    "exited": {
        "en": "Your code ended the process with exit code {code} {where}: remove calls "
        "to exit(), sys.exit() or os._exit().",
    },
    "not_implemented": {
        "en": "{method} is not written yet: it still raises NotImplementedError.",
    },
    "exit_called": {
        "en": "Your code raised {type} {where} {line_text}: remove calls to exit() or sys.exit(), "
        "and do not raise {type}.",
    },
    "out_of_memory": {
        "en": "Your code ran out of memory {where}: look for arrays or lists that grow "
        "without end.",
    },
    "recursion": {
        "en": "Your code recursed too deeply {where}: {message}",
    },
    "raised": {"en": "Your code raised {type} {where} {line_text}: {message}"},
    "at_line": {"en": "(line {line})"},
    # -- values a submission produced
    "value_none": {"en": "{what} is None; it should be an array of shape {shape}."},
    "value_not_array": {
        "en": "{what} is a {type}, not an array of numbers of shape {shape}.",
    },
    "value_wrong_shape": {
        "en": "{what} has shape {found}, but it should have shape {shape}.",
    },
    "value_not_finite": {
        "en": "{what} contains {bad}: check for a division by zero or a log of 0.",
    },
    "state_before_backward": {
        "en": "Before backward() was called, the layer was not as Layer.__init__ and "
        "forward() leave it: {detail} Keep the given __init__ and forward().",
    },
    # -- backward
    "gradient_wrong": {
        "en": "d_{what} is wrong for a {case}: at {index} expected {expected}, found "
        "{found} (relative error {error:.2g}). The grader reads your gradient from "
        "the change of self.{what} divided by the learning rate.",
    },
    "gradient_wrong_later": {
        "en": "d_{what} is right on the first call but wrong on the next call to the "
        "same layer ({case}): at {index} expected {expected}, found {found}. "
        "backward() must not keep anything from one call to the next.",
    },
    "gradient_scaled": {
        "en": "d_{what} is {factor:.4g} times the right value on every call: look for "
        "an extra factor, or a division, in its formula.",
    },
    "not_changed": {
        "en": "backward() did not change self.{what}: update it with "
        "self.{what} = self.{what} - learning_rate * d_{what}.",
    },
    "step_uphill": {
        "en": "self.{what} moves in the direction of the gradient: subtract "
        "learning_rate * d_{what} instead of adding it.",
    },
    "learning_rate_ignored": {
        "en": "The step of self.{what} does not depend on the learning rate passed to "
        "backward() (it is always {factor:.4g} times the gradient): multiply by the "
        "learning_rate argument.",
    },
    "learning_rate_twice": {
        "en": "The step of self.{what} grows with the square of the learning rate: "
        "multiply by learning_rate only once.",
    },
    "learning_rate_misused": {
        "en": "The step of self.{what} is not learning_rate * d_{what}: check how the "
        "update uses the learning rate.",
    },
    "input_mutated": {
        "en": "{method} changed the {what} array it received: compute new arrays "
        "(dz = da * ...) instead of changing it in place.",
    },
    "da_prev_wrong": {
        "en": "The da_prev that backward() returns is wrong for a {case}: at {index} "
        "expected {expected}, found {found} (relative error {error:.2g}).",
    },
    # -- fit
    "one_step_wrong": {
        "en": "After fit() on one example for one epoch, the {what} of layer {layer} "
        "(of {layers}) are not one SGD step of that example's loss: at {index} "
        "expected {expected}, found {found}.",
    },
    "replay_wrong": {
        "en": "After several epochs of fit(), the {what} of layer {layer} (of "
        "{layers}) differ from the expected training: at {index} expected "
        "{expected}, found {found}. Train on the examples in order, one SGD step "
        "per example.",
    },
    "fit_after_backward": {
        "en": "fit() relies on backward(): fix the backward() checks first.",
    },
    "loss_missing": {
        "en": "fit() printed no loss line for {epochs} epochs: after each epoch print "
        "a line like '{example}'.",
    },
    "loss_format": {
        "en": "The loss line '{line}' is not in the expected format; print it as "
        "f'Loss at epoch {{epoch + 1}}: {{average_loss:.3f}}', e.g. '{example}'.",
    },
    "loss_count": {
        "en": "fit() printed {found} loss lines for {epochs} epochs: print exactly one "
        "per epoch, after the loop over the examples.",
    },
    "loss_numbering": {
        "en": "The epochs are numbered {found}; for {epochs} epochs they must be "
        "numbered from 1: use epoch + 1.",
    },
    "loss_value_format": {
        "en": "The printed loss '{value}' is not a number with 3 decimals: format it "
        "with :.3f, and check that it is a number.",
    },
    "loss_value": {
        "en": "At epoch {epoch} you printed {found}, but the average loss of that epoch "
        "is {expected}: add up the loss of every example, reset the total at the "
        "start of each epoch and divide by the number of examples.",
    },
    "falls_no_values": {
        "en": "No loss values could be read from what fit() printed for {epochs} "
        "epochs.",
    },
    "falls_not": {
        "en": "The printed loss does not fall at epoch {epoch}: {previous:g} then "
        "{found:g}.",
    },
    # -- loading
    "depends_on_load": {"en": "Not run, because the file could not be loaded."},
    "class_missing": {"en": "The class {name} is not defined in your file."},
    "method_missing": {"en": "The method {name} is not defined."},
    "syntax_error": {
        "en": "Your file has a syntax error at {position}: {message}. {text}",
    },
    "unsupported_file": {
        "en": "{path} is neither a .py file nor a .ipynb notebook.",
    },
    "file_too_large": {
        "en": "{path} is {size} bytes, larger than any real submission; check that "
        "it is the right file.",
    },
    "file_unreadable": {"en": "{path} could not be read: {error}."},
    "not_utf8": {
        "en": "{path} is not UTF-8 text (invalid byte at position {position}); save it "
        "as UTF-8.",
    },
    "notebook_invalid_json": {
        "en": "{path} is not a valid notebook (invalid JSON: {error}); download it "
        "again from Jupyter.",
    },
    "notebook_no_cells": {
        "en": "{path} is not a Jupyter notebook: it has no list of cells.",
    },
    "notebook_no_code": {
        "en": "{path} contains no code: write the exercise in its code cells.",
    },
    # -- notes
    "self_check_skipped": {
        "en": "The self-check in cell {cell} was not run during grading.",
    },
    "magics_skipped": {
        "en": "{count} IPython magic or shell line(s) were skipped.",
    },
    "cell_raised": {
        "en": "{cell} raised {type}: {message} {line_text}; grading went on with the "
        "classes as defined.",
    },
    "note_input_called": {
        "en": "Your code called input(); grading gives it no input, so it received an "
        "empty string. Remove input() calls.",
    },
    "note_matplotlib_missing": {
        "en": "matplotlib is not installed where your code was graded, so plotting "
        "calls were skipped.",
    },
    "stderr_written": {
        "en": "Your code wrote {size} characters to standard error (warnings); they "
        "are shown below and do not cost points.",
    },
    # -- the report
    "report_title": {"en": "Grading {path} (seed {seed})"},
    "report_score": {"en": "Score: {score}/{max_score}"},
    "report_full_marks": {"en": "Full marks: every check passed."},
    "report_fix_first": {"en": "Fix this first: {name}."},
    "report_notes": {"en": "Notes"},
    "report_output": {"en": "What your code printed"},
    "report_truncated": {"en": "[... {dropped} characters not shown ...]"},
    "report_not_run": {"en": "not run"},
    "report_grader_error": {
        "en": "The submission could not be graded because of a fault in the grader: "
        "{detail}",
    },
    "grader_fault": {"en": "{detail}"},
    "report_curve": {"en": "Loss per epoch at learning rate 0.01 (expected, yours)"},
}


def detect_language(explicit: str | None = None) -> str:
    """Choose the language: explicit choice, else the locale, else English."""
    if explicit:
        return explicit
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(variable, "")
        if value:
            code = value.split(".")[0].split("_")[0].lower()
            return code if code in LANGUAGES else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def _format_value(value, language: str):
    if isinstance(value, Message):
        return render(value, language)
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if value is None:
        return "?"
    return value


def render(message: Message, language: str = DEFAULT_LANGUAGE) -> str:
    """Render a catalog message in ``language``, falling back to English."""
    entry = CATALOG.get(message.key)
    if entry is None:
        return message.key
    template = entry.get(language) or entry[DEFAULT_LANGUAGE]
    params = {k: _format_value(v, language) for k, v in message.params.items()}
    params.update(_derived(message, language))
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def _derived(message: Message, language: str) -> dict:
    """Fields computed from the parameters: where a call happened, hints."""
    params = message.params
    derived = {}
    method = params.get("method")
    if message.key.startswith("where_") or message.key == "at_line":
        return derived
    if method == "load":
        derived["where"] = render(Message("where_load"), language)
    elif method:
        derived["where"] = render(Message("where_method", {"method": method}), language)
    if message.key == "timeout":
        key = f"hint_{method}" if f"hint_{method}" in CATALOG else "hint_other"
        derived["hint"] = render(Message(key), language)
    line = params.get("line")
    derived["line_text"] = render(Message("at_line", {"line": line}), language) if line else ""
    if message.key == "syntax_error":
        where = f"line {line}" if line else "?"
        if params.get("column"):
            where += f", column {params['column']}"
        if params.get("cell"):
            where = f"{params['cell']}, {where}"
        derived["position"] = where
    return derived
