"""The report for a person: one line per check, then what to fix."""

from __future__ import annotations

from grader.messages import render
from grader.result import FAILED, NOT_RUN, PASSED, GradeResult, Message

_SYMBOLS = {PASSED: "✓", FAILED: "✗", NOT_RUN: "·"}
_PLAIN = {PASSED: "ok", FAILED: "FAIL", NOT_RUN: "--"}
_COLOURS = {PASSED: "32", FAILED: "31", NOT_RUN: "90"}


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if colour else text


def check_feedback(check, language: str) -> str:
    """The feedback of one check as plain text, one message per line."""
    return "\n".join(render(m, language) for m in check.feedback)


def _location(check, result: GradeResult) -> str:
    if check.line is None:
        return ""
    where = f"{check.cell}, line {check.line}" if check.cell else f"line {check.line}"
    return f" [{where}]"


def format_output(output: dict, stream: str, language: str) -> str:
    """The head and tail of one captured stream, with what was left out."""
    part = output.get(stream) or {}
    head, tail, total = part.get("head", ""), part.get("tail", ""), part.get("total", 0)
    if not total:
        return ""
    text = head
    dropped = total - len(head) - len(tail)
    if dropped > 0:
        text += "\n" + render(Message("report_truncated", {"dropped": dropped}), language) + "\n"
    return text + tail


def render_report(result: GradeResult, language: str = "en", colour: bool = False, unicode: bool = True) -> str:
    """Render the whole report as text."""
    lines = [render(Message("report_title", {"path": result.submission, "seed": result.seed}), language), ""]
    if result.error is not None:
        lines.append(render(Message("report_grader_error", {"detail": result.error}), language))
        return "\n".join(lines) + "\n"
    symbols = _SYMBOLS if unicode else _PLAIN
    width = max(len(c.name) for c in result.checks) if result.checks else 10
    for check in result.checks:
        symbol = _paint(symbols[check.status], _COLOURS[check.status], colour)
        points = f"{check.score:>3}/{check.max_score:<3}"
        title = render(Message(f"check_{check.name}"), language)
        lines.append(f"  {symbol} {check.name:<{width}}  {points}  {title}")
    lines.append("")
    score_line = render(Message("report_score", {"score": result.score, "max_score": result.max_score}), language)
    lines.append(_paint(score_line, "1", colour))
    first = result.first_to_fix()
    if first is None:
        lines.append(render(Message("report_full_marks"), language))
    else:
        lines.append(render(Message("report_fix_first", {"name": first.name}), language))
    for check in result.checks:
        if check.status != FAILED or not check.feedback:
            continue
        lines.append("")
        lines.append(_paint(f"{check.name}{_location(check, result)}", _COLOURS[FAILED], colour))
        for message in check.feedback:
            lines.append("  " + render(message, language))
    if result.notes:
        lines.append("")
        lines.append(render(Message("report_notes"), language))
        for note in result.notes:
            lines.append("  - " + render(note, language))
    output = format_output(result.output, "stdout", language)
    errors = format_output(result.output, "stderr", language)
    if output or errors:
        lines.append("")
        lines.append(render(Message("report_output"), language))
        for text in (output, errors):
            for line in text.rstrip("\n").split("\n")[:60]:
                lines.append("  | " + line)
    return "\n".join(lines) + "\n"
