"""Machine-readable outputs: Gradescope's results.json, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from grader.messages import render
from grader.report import check_feedback, format_output
from grader.result import PASSED, GradeResult, Message


def results_json(result: GradeResult, language: str = "en") -> dict:
    """The results in Gradescope's results.json shape.

    Top level: score, execution_time, output and tests; each test has name,
    score, max_score, status ("passed" or "failed") and output.
    """
    if result.error is not None:
        detail = render(
            Message("report_grader_error", {"detail": result.error}), language
        )
        return {
            "score": 0,
            "execution_time": round(result.execution_time, 3),
            "output": detail,
            "tests": [],
            "extra_data": {"graded": False, "seed": result.seed, "error": detail},
        }
    tests = []
    for check in result.checks:
        tests.append(
            {
                "name": check.name,
                "score": check.score,
                "max_score": check.max_score,
                "status": "passed" if check.status == PASSED else "failed",
                "output": check_feedback(check, language),
            }
        )
    notes = "\n".join("- " + render(note, language) for note in result.notes)
    printed = format_output(result.output, "stdout", language)
    output = render(
        Message("report_score", {"score": result.score, "max_score": result.max_score}),
        language,
    )
    if notes:
        output += "\n\n" + render(Message("report_notes"), language) + "\n" + notes
    if printed:
        output += (
            "\n\n" + render(Message("report_output"), language) + "\n" + printed[:4000]
        )
    return {
        "score": result.score,
        "execution_time": round(result.execution_time, 3),
        "output": output,
        "tests": tests,
        "extra_data": {
            "graded": True,
            "seed": result.seed,
            "max_score": result.max_score,
            # One mistake can explain several checks; list each once.
            "mistakes": list(
                dict.fromkeys(c.mistake for c in result.checks if c.mistake)
            ),
            "status": {c.name: c.status for c in result.checks},
        },
    }


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def write_results_json(
    result: GradeResult, path: str | Path, language: str = "en"
) -> None:
    write_atomic(
        path,
        json.dumps(results_json(result, language), indent=2, ensure_ascii=False) + "\n",
    )
