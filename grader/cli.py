"""The ``grade`` command: parse options, grade, print, write, exit.

Only this module turns errors into messages and exit codes. It starts the
sandbox before importing NumPy and the checks, so that the student process's
start-up overlaps with the grader's own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.result import ExitCode
from grader.sandbox import DEFAULT_MEMORY_MIB, DEFAULT_TIMEOUT, Limits, Sandbox, SandboxError


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade",
        description="Grade submissions of the perceptron exercise (.py or .ipynb).",
    )
    parser.add_argument("submission", help="the student's .py file or .ipynb notebook")
    parser.add_argument("--json", metavar="RESULTS", help="write Gradescope's results.json to this path")
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT,
        help=f"seconds each call into student code may take (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--memory",
        type=_positive,
        default=DEFAULT_MEMORY_MIB,
        metavar="MIB",
        help=f"memory limit of the student process in MiB (default {DEFAULT_MEMORY_MIB})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the probe points (default: $GRADER_SEED, else 0)",
    )
    parser.add_argument("--lang", choices=("en", "it"), default=None, help="language of the report (default: from the locale)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    path = Path(options.submission)
    if not path.exists():
        print(f"grade: {path} was not found; give the path of a .py or .ipynb file.", file=sys.stderr)
        return ExitCode.GRADER_ERROR
    if path.is_dir():
        print(f"grade: {path} is a directory; give the path of a .py or .ipynb file.", file=sys.stderr)
        return ExitCode.GRADER_ERROR

    limits = Limits(timeout=options.timeout, memory_mib=int(options.memory))
    try:
        sandbox = Sandbox(limits)
    except SandboxError as error:
        return _grader_failed(options, path, str(error))
    try:
        return _grade_one(options, path, sandbox)
    except SandboxError as error:
        return _grader_failed(options, path, str(error))
    finally:
        sandbox.close()


def _grade_one(options, path: Path, sandbox: Sandbox) -> int:
    from grader.formats import write_results_json
    from grader.grading import grade
    from grader.messages import detect_language
    from grader.report import render_report

    language = detect_language(options.lang)
    result = grade(path, sandbox=sandbox, seed=options.seed, timeout=options.timeout)
    colour = sys.stdout.isatty() and not _no_colour()
    sys.stdout.write(render_report(result, language, colour=colour))
    if options.json:
        write_results_json(result, options.json, language)
    return result.exit_code


def _no_colour() -> bool:
    import os

    return "NO_COLOR" in os.environ


def _grader_failed(options, path: Path, detail: str) -> int:
    """Report a fault of the grader; still write a results file that says so."""
    print(f"grade: could not grade {path}: {detail}", file=sys.stderr)
    if options.json:
        from grader.formats import write_results_json
        from grader.result import GradeResult, Message

        result = GradeResult(submission=str(path), seed=options.seed or 0)
        result.error = Message("raised", {"type": "SandboxError", "message": detail, "method": "load"})
        write_results_json(result, options.json)
    return ExitCode.GRADER_ERROR


if __name__ == "__main__":
    sys.exit(main())
