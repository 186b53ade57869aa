"""GitHub Actions output: the job summary and annotations on the student's file.

``grade --github`` writes a Markdown summary to the file named by
``GITHUB_STEP_SUMMARY`` and prints one ``::error`` workflow command per failed
check, which GitHub shows as an annotation on the submission.

A submission's code runs in the same step as ``grade``, so anything it can
print or write there is untrusted:

- the report, which quotes the student's exception messages and output, is
  printed between ``::stop-commands::`` and its resume token, so that no line
  of it runs as a workflow command (see ``print_without_commands``);
- text from the submission in annotations is escaped per GitHub's rules for
  workflow-command data and properties;
- in the summary, that text only appears inside fenced code blocks;
- the summary file is replaced, not appended to, so that anything a submission
  wrote there while it ran is dropped. Write other summary content in another
  step.

Without ``GITHUB_STEP_SUMMARY`` (outside GitHub Actions), ``grade --github``
prints a note to stderr and still prints the annotations, which lets a course
check them locally.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from pathlib import Path
from typing import TextIO

from grader.formats import write_atomic
from grader.messages import cell_text, render
from grader.report import check_feedback, render_report
from grader.result import FAILED, NOT_RUN, PASSED, GradeResult, Message

SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"

SUMMARY_LIMIT = 900_000
"""Characters of summary written at most. GitHub shows no summary for a step
whose summary exceeds 1 MiB, so batch summaries leave out details past this."""

_STATUS_ICONS = {PASSED: "✅", FAILED: "❌", NOT_RUN: "➖"}
_STATUS_KEYS = {
    PASSED: "summary_passed",
    FAILED: "summary_failed",
    NOT_RUN: "report_not_run",
}


# -- workflow commands


def escape_data(text: str) -> str:
    """Escape the message of a workflow command: %, carriage return, newline."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value: as data, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(name: str, message: str, **properties: str | int | None) -> str:
    """Format ``::name key=value,...::message``, leaving out properties set to None."""
    pairs = [
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    ]
    head = f"::{name} {','.join(pairs)}" if pairs else f"::{name}"
    return f"{head}::{escape_data(message)}"


def print_without_commands(text: str, stream: TextIO | None = None) -> None:
    """Print ``text`` with GitHub's workflow commands turned off.

    A line of ``text`` that starts with ``::`` would otherwise run as a
    workflow command. The resume token is random and printed only after
    ``text``, so nothing inside ``text`` can turn commands back on.
    """
    stream = stream or sys.stdout
    token = secrets.token_hex(16)
    if text and not text.endswith("\n"):
        text += "\n"
    stream.write(f"::stop-commands::{token}\n{text}::{token}::\n")
    stream.flush()


def annotation_path(submission: str) -> str:
    """Return the submission's path relative to the workspace, as GitHub expects."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    path = Path(submission)
    if workspace and path.is_absolute():
        try:
            return path.relative_to(workspace).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def annotations(results: list[GradeResult], language: str) -> list[str]:
    """One ``::error`` command per failed check, or per grader fault.

    Checks that fail with the same feedback at the same place share one
    annotation, whose title lists them. A notebook is annotated without a line
    number, because its line numbers count from the top of each cell. The
    title names the cell instead.
    """
    commands = []
    for result in results:
        file = annotation_path(result.submission)
        if result.error is not None:
            detail = render(
                Message("report_grader_error", {"detail": result.error}), language
            )
            commands.append(workflow_command("error", detail, file=file))
            continue
        is_notebook = file.lower().endswith(".ipynb")
        groups: dict[tuple, list[str]] = {}
        for check in result.checks:
            if check.status != FAILED:
                continue
            key = (check.line, check.cell, check_feedback(check, language))
            groups.setdefault(key, []).append(check.name)
        for (line, cell, feedback), names in groups.items():
            title = ", ".join(names)
            if is_notebook and cell:
                title += f" ({cell_text(cell, language)})"
            commands.append(
                workflow_command(
                    "error",
                    feedback,
                    file=file,
                    line=None if is_notebook else line,
                    title=title,
                )
            )
    return commands


# -- the job summary


def _code_block(text: str) -> str:
    """Wrap ``text`` in a fenced code block that no backtick run in it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def inline_code(text: str) -> str:
    """Format ``text`` as inline code that shows it literally, backticks and all."""
    text = text.replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def _table_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _check_table(result: GradeResult, language: str) -> list[str]:
    header = [
        render(Message(key), language)
        for key in ("summary_result", "summary_check", "summary_points", "summary_what")
    ]
    lines = ["| " + " | ".join(header) + " |", "| --- | --- | ---: | --- |"]
    for check in result.checks:
        word = render(Message(_STATUS_KEYS[check.status]), language)
        status = f"{_STATUS_ICONS[check.status]} {word}"
        title = render(Message(f"check_{check.name}"), language)
        cells = [
            status,
            f"`{check.name}`",
            f"{check.score}/{check.max_score}",
            _table_cell(title),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def result_summary(result: GradeResult, language: str) -> str:
    """Render the Markdown summary of one submission: the checks, then the report.

    The report is the plain-text one that ``grade`` prints, in a code block,
    so the summary gives the same feedback in the same words.
    """
    path = inline_code(result.submission)
    title = render(
        Message("report_title", {"path": path, "seed": result.seed}), language
    )
    lines = [f"### {title}", ""]
    if result.error is not None:
        detail = render(
            Message("report_grader_error", {"detail": result.error}), language
        )
        return "\n".join(lines + [_code_block(detail)]) + "\n"
    score = Message(
        "report_score", {"score": result.score, "max_score": result.max_score}
    )
    lines += [f"**{render(score, language)}**", ""] + _check_table(result, language)
    report = render_report(result, language)
    lines += [
        "",
        "<details open>",
        f"<summary>{render(Message('summary_report'), language)}</summary>",
        "",
        _code_block(report),
        "",
        "</details>",
    ]
    return "\n".join(lines) + "\n"


def _overview(results: list[GradeResult], language: str) -> list[str]:
    header = [
        render(Message(key), language)
        for key in ("summary_submission", "summary_points")
    ]
    lines = ["| " + " | ".join(header) + " |", "| --- | ---: |"]
    for result in results:
        points = (
            "—" if result.error is not None else f"{result.score}/{result.max_score}"
        )
        lines.append(f"| {_table_cell(inline_code(result.submission))} | {points} |")
    return lines + [""]


def summary_markdown(results: list[GradeResult], language: str) -> str:
    """Render the Markdown job summary, one section per submission.

    With several submissions an overview table comes first, and sections that
    would take the summary past ``SUMMARY_LIMIT`` characters are left out.
    """
    if len(results) == 1:
        return result_summary(results[0], language)
    text = "\n".join(_overview(results, language)) + "\n"
    for index, result in enumerate(results):
        section = result_summary(result, language)
        if len(text) + len(section) > SUMMARY_LIMIT:
            left_out = len(results) - index
            note = render(Message("summary_left_out", {"count": left_out}), language)
            return text + f"\n{note}\n"
        text += "\n" + section
    return text


def publish_github(results: list[GradeResult], language: str) -> None:
    """Write the job summary and print the annotations.

    The summary replaces the file named by ``GITHUB_STEP_SUMMARY``; when that
    variable is unset, a note goes to stderr. Raises OSError when the summary
    file cannot be written.
    """
    summary_path = os.environ.get(SUMMARY_VARIABLE)
    if summary_path:
        write_atomic(summary_path, summary_markdown(results, language))
    else:
        print(
            f"grade: {SUMMARY_VARIABLE} is not set, so no job summary was written "
            "(it is set inside GitHub Actions); the annotations follow.",
            file=sys.stderr,
        )
    for command in annotations(results, language):
        print(command)
    sys.stdout.flush()
