"""The report for a person: one line per check, what to fix first and why.

Checks that fail for the same reason (the same recognised mistake, or the
same messages, such as the untouched stub's "not written yet") are reported
once, as a group. The loss curve of the fit.loss_falls probe is drawn as a
small text chart next to the expected one. Every text comes from the catalog
in ``messages.py``, so the report reads the same in every language.
"""

from __future__ import annotations

import math
import textwrap

from grader.messages import cell_text, render
from grader.result import FAILED, NOT_RUN, PASSED, CheckResult, GradeResult, Message

_SYMBOLS = {PASSED: "✓", FAILED: "✗", NOT_RUN: "·"}
_COLOURS = {PASSED: "32", FAILED: "31", NOT_RUN: "90"}
_HINT_COLOUR = "33"
WIDTH = 88
"""Column at which the report wraps its messages."""
OUTPUT_LINES = 60
"""Lines of the student's own output shown at most."""

CHART_HEIGHT = 7
"""Rows of the loss chart. With its title and axis the chart takes 10 lines."""
_EXPECTED, _FOUND, _BOTH = "o", "x", "*"

# The reason the first failed check comes first, by the check's name.
_REASONS = {
    "load": "reason_load",
    "fit.one_step": "reason_one_step",
    "fit.replay": "reason_replay",
    "fit.loss_report": "reason_loss_report",
}


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if colour else text


def check_feedback(check: CheckResult, language: str) -> str:
    """Render the feedback of one check as plain text, one message per line."""
    return "\n".join(render(m, language) for m in check.feedback)


def format_output(output: dict, stream: str, language: str) -> str:
    """Render the head and tail of one captured stream, and what was left out."""
    part = output.get(stream) or {}
    head, tail = part.get("head", ""), part.get("tail", "")
    total = part.get("total", 0)
    if not total:
        return ""
    text = head
    dropped = total - len(head) - len(tail)
    if dropped > 0:
        notice = render(Message("report_truncated", {"dropped": dropped}), language)
        text += "\n" + notice + "\n"
    return text + tail


def render_report(
    result: GradeResult,
    language: str = "en",
    colour: bool = False,
    unicode: bool | None = None,
    chart: bool = True,
) -> str:
    """Render the whole report as text.

    ``colour`` adds ANSI colours. ``unicode`` chooses symbols (✓ ✗ ·) over
    status words (ok, FAIL, --) and defaults to ``colour``, so that output
    piped to a log, or shown under NO_COLOR, is plain ASCII apart from the
    messages themselves. ``chart`` draws the loss curve; the notebook turns
    it off because it plots the curves itself.
    """
    unicode = colour if unicode is None else unicode
    title = Message("report_title", {"path": result.submission, "seed": result.seed})
    lines = [render(title, language), ""]
    if result.error is not None:
        error = Message("report_grader_error", {"detail": result.error})
        lines.append(render(error, language))
        return "\n".join(lines) + "\n"
    lines += _check_table(result, language, colour, unicode)
    lines.append("")
    score = Message(
        "report_score", {"score": result.score, "max_score": result.max_score}
    )
    lines.append(_paint(render(score, language), "1", colour))
    lines += _wrap(_fix_first(result, language), "")
    for group in _groups(result.checks, language):
        lines.append("")
        lines += _group_lines(group, language, colour)
    if chart:
        lines += _chart_section(result.curves, language, unicode)
    lines += _notes_section(result, language)
    lines += _output_section(result, language)
    return "\n".join(lines) + "\n"


def _check_table(result: GradeResult, language: str, colour, unicode) -> list[str]:
    width = max((len(c.name) for c in result.checks), default=10)
    marks = {
        status: _SYMBOLS[status] if unicode else _status_word(status, language)
        for status in _SYMBOLS
    }
    mark_width = max(len(mark) for mark in marks.values())
    lines = []
    for check in result.checks:
        mark = _paint(
            f"{marks[check.status]:<{mark_width}}", _COLOURS[check.status], colour
        )
        points = f"{check.score:>3}/{check.max_score:<3}"
        title = render(Message(f"check_{check.name}"), language)
        lines.append(f"  {mark} {check.name:<{width}}  {points}  {title}")
    return lines


def _status_word(status: str, language: str) -> str:
    return render(Message(f"report_status_{status}"), language)


def _fix_first(result: GradeResult, language: str) -> str:
    """Say which check to fix first, and why it comes first."""
    first = result.first_to_fix()
    if first is None:
        return render(Message("report_full_marks"), language)
    failed = [c for c in result.checks if c.status == FAILED]
    if len(failed) == 1:
        return render(Message("report_fix_only", {"name": first.name}), language)
    if len(_groups(failed, language)) == 1:
        return render(Message("report_fix_one_cause", {"name": first.name}), language)
    reason = Message(_reason_key(first.name, failed))
    fix = Message("report_fix_first", {"name": first.name, "reason": reason})
    return render(fix, language)


def _reason_key(name: str, failed: list[CheckResult]) -> str:
    if name.startswith("backward."):
        fit_fails = any(c.name.startswith("fit.") for c in failed)
        return "reason_backward_fit" if fit_fails else "reason_backward"
    return _REASONS.get(name, "reason_backward")


def _groups(checks: list[CheckResult], language: str) -> list[list[CheckResult]]:
    """Group the failed checks that fail for the same reason, in check order."""
    groups: dict[tuple, list[CheckResult]] = {}
    for check in checks:
        if check.status != FAILED or not check.feedback:
            continue
        if check.mistake:
            key = ("mistake", check.mistake)
        else:
            key = ("text",) + tuple(render(m, language) for m in check.feedback)
        groups.setdefault(key, []).append(check)
    return list(groups.values())


def _group_lines(group: list[CheckResult], language: str, colour: bool) -> list[str]:
    names = ", ".join(check.name for check in group)
    header = names + _location(group, language)
    lines = [_paint(header, _COLOURS[FAILED], colour)]
    rendered = [[(m, render(m, language)) for m in check.feedback] for check in group]
    texts = [{text for _, text in messages} for messages in rendered]
    common = [text for _, text in rendered[0] if all(text in t for t in texts)]
    for message, text in rendered[0]:
        if text in common:
            lines += _message_lines(message, text, "", colour)
    for check, messages in zip(group, rendered, strict=True):
        prefix = f"{check.name}: " if len(group) > 1 else ""
        for message, text in messages:
            if text not in common:
                lines += _message_lines(message, text, prefix, colour)
    return lines


def _message_lines(message: Message, text: str, prefix: str, colour: bool) -> list[str]:
    wrapped = _wrap(prefix + text, "  ")
    if message.key.startswith("mistake_"):
        wrapped = [_paint(line, _HINT_COLOUR, colour) for line in wrapped]
    return wrapped


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent]


def _location(group: list[CheckResult], language: str) -> str:
    """Name the line the group's feedback points at, when all its checks agree."""
    places = {(check.cell, check.line) for check in group}
    if len(places) != 1:
        return ""
    cell, line = places.pop()
    if line is None:
        return ""
    where = render(Message("report_line", {"line": line}), language)
    if cell:
        where = f"{cell_text(cell, language)}, {where}"
    return f" [{where}]"


# --------------------------------------------------------------------------
# The loss chart


def _chart_section(curves: dict, language: str, unicode: bool) -> list[str]:
    expected = [float(v) for v in (curves or {}).get("expected") or []]
    found = list((curves or {}).get("found") or [])[: len(expected)]
    if not expected or not found:
        return []
    return [""] + loss_chart(expected, found, language, unicode)


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def loss_chart(
    expected: list[float], found: list, language: str, unicode: bool = True
) -> list[str]:
    """Draw the expected and the printed loss per epoch as a text chart.

    The chart has one column per epoch and ``CHART_HEIGHT`` rows between the
    smallest and the largest finite value of both curves. "o" marks the
    expected loss, "x" the printed one and "*" both in the same cell. Printed
    values that are missing or not finite are listed under the chart instead.
    """
    values = [v for v in expected + found if _finite(v)]
    low, high = min(values), max(values)
    span = high - low if high > low else 1.0
    columns = len(expected)
    grid = [[" "] * (3 * columns) for _ in range(CHART_HEIGHT)]
    for epoch in range(columns):
        for series, mark in ((expected, _EXPECTED), (found, _FOUND)):
            value = series[epoch] if epoch < len(series) else None
            if not _finite(value):
                continue
            row = round((high - value) / span * (CHART_HEIGHT - 1))
            cell = grid[row][3 * epoch + 1]
            grid[row][3 * epoch + 1] = mark if cell == " " else _BOTH
    vertical, corner, horizontal = ("│", "└", "─") if unicode else ("|", "+", "-")
    title = render(Message("report_curve"), language)
    legend = render(Message("report_curve_legend"), language)
    lines = [f"{title}   {legend}"]
    for row, cells in enumerate(grid):
        label = (
            f"{high:.3f}"
            if row == 0
            else f"{low:.3f}"
            if row == CHART_HEIGHT - 1
            else ""
        )
        lines.append(f"  {label:>7} {vertical}{''.join(cells).rstrip()}")
    lines.append(f"  {'':>7} {corner}{horizontal * (3 * columns)}")
    epochs = "".join(f"{epoch + 1:^3}" for epoch in range(columns))
    axis = render(Message("report_curve_epoch"), language)
    lines.append(f"  {axis:>7}  {epochs.rstrip()}")
    missing = [str(e + 1) for e in range(len(found)) if not _finite(found[e])]
    if missing:
        note = Message("report_curve_off_chart", {"epochs": ", ".join(missing)})
        lines.append("  " + render(note, language))
    return lines


# --------------------------------------------------------------------------
# Notes and the student's output


def _notes_section(result: GradeResult, language: str) -> list[str]:
    if not result.notes:
        return []
    lines = ["", render(Message("report_notes"), language)]
    for note in result.notes:
        lines += _wrap("- " + render(note, language), "  ")
    return lines


def _output_section(result: GradeResult, language: str) -> list[str]:
    output = format_output(result.output, "stdout", language)
    errors = format_output(result.output, "stderr", language)
    if not (output or errors):
        return []
    lines = ["", render(Message("report_output"), language)]
    for text in (output, errors):
        if text:
            for line in text.rstrip("\n").split("\n")[:OUTPUT_LINES]:
                lines.append("  | " + line)
    return lines
