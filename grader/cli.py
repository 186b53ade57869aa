"""The ``grade`` command: parse options, grade, print, write, exit.

Only this module turns errors into messages and exit codes. For one file it
starts the sandbox before importing NumPy and the checks, so that the student
process's start-up overlaps with the grader's own.

Usage::

    grade SUBMISSION [options]          one .py or .ipynb file
    grade PATH [PATH ...] [options]     several files or folders (batch mode)
    grade gradescope OUT.zip            build a Gradescope autograder bundle
    grade release DIR                   write the files students receive
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from grader.result import ExitCode
from grader.sandbox import (
    DEFAULT_MEMORY_MIB,
    DEFAULT_TIMEOUT,
    Limits,
    Sandbox,
    SandboxError,
)

SUBMISSION_SUFFIXES = (".py", ".ipynb")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


MIN_MEMORY_MIB = 256
"""Below this, NumPy's own address space (about 150 MiB) leaves a submission
too little to run, and a correct one would fail."""

MAX_TIMEOUT = 3600


def _timeout(text: str) -> float:
    value = _positive(text)
    if value > MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"{text!r} is more than {MAX_TIMEOUT} seconds; no call needs that long"
        )
    return value


def _memory(text: str) -> int:
    value = _positive_int(text)
    if value < MIN_MEMORY_MIB:
        raise argparse.ArgumentTypeError(
            f"{text!r} is less than {MIN_MEMORY_MIB} MiB, too little for NumPy and "
            "a correct submission"
        )
    return value


def _positive_int(text: str) -> int:
    value = _positive(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade",
        description=(
            "Grade submissions of the perceptron exercise (.py files or .ipynb "
            "notebooks). Other commands: 'grade gradescope OUT.zip' builds a "
            "Gradescope bundle, 'grade release DIR' writes the student release."
        ),
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a submission file, or several files and folders (searched recursively)",
    )
    output = parser.add_argument_group("outputs")
    output.add_argument(
        "--json",
        metavar="RESULTS",
        help="write Gradescope's results.json for one submission to this path",
    )
    output.add_argument(
        "--json-dir",
        metavar="DIR",
        help="write one results.json per submission into this folder",
    )
    output.add_argument(
        "--csv",
        metavar="FILE",
        help="write a gradebook: one row per submission",
    )
    output.add_argument(
        "--junit",
        metavar="FILE",
        help="write JUnit XML, one test case per check",
    )
    output.add_argument(
        "--github",
        action="store_true",
        help="in GitHub Actions: write the job summary and annotate the file",
    )
    output.add_argument(
        "--lang",
        choices=("en", "it"),
        default=None,
        help="language of the feedback (default: from the locale, else en)",
    )
    limits = parser.add_argument_group("limits")
    limits.add_argument(
        "--timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=(
            "seconds each call into student code may take: loading the file, "
            f"each backward() probe, each fit() run (default {DEFAULT_TIMEOUT:g})"
        ),
    )
    limits.add_argument(
        "--memory",
        type=_memory,
        default=DEFAULT_MEMORY_MIB,
        metavar="MIB",
        help=(
            f"memory limit of the student process in MiB (default {DEFAULT_MEMORY_MIB})"
        ),
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the probe points (default: $GRADER_SEED, else 0)",
    )
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="submissions graded in parallel in batch mode (default: every core)",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="do not show the progress bar in batch mode",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        # The sandbox's zygote got the same interrupt and killed the student
        # processes on its way out.
        print("grade: interrupted; no results were written.", file=sys.stderr)
        return 130


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "gradescope" and not Path("gradescope").exists():
        from grader.gradescope import main as gradescope_main

        return gradescope_main(argv[1:])
    if argv and argv[0] == "release" and not Path("release").exists():
        from grader.release import main as release_main

        return release_main(argv[1:])

    parser = build_parser()
    options = parser.parse_args(argv)
    paths = [Path(p) for p in options.paths]
    for path in paths:
        if not path.exists():
            return _usage_error(
                f"{path} was not found; give .py or .ipynb files or folders."
            )
    # A gradebook or a folder of results.json is a batch output, even for one file.
    batch_output = options.csv or options.json_dir
    single = len(paths) == 1 and paths[0].is_file() and not batch_output
    if not single:
        if options.json:
            return _usage_error(
                "--json takes one submission; use --json-dir for several."
            )
        from grader.batch import BatchError, run_batch

        try:
            return run_batch(paths, options)
        except BatchError as error:
            return _usage_error(str(error))
    if paths[0].suffix.lower() not in SUBMISSION_SUFFIXES:
        return _usage_error(f"{paths[0]} is neither a .py file nor a .ipynb notebook.")
    return _grade_single(options, paths[0])


def _usage_error(text: str) -> int:
    print(f"grade: {text}", file=sys.stderr)
    return ExitCode.GRADER_ERROR


def _grade_single(options, path: Path) -> int:
    limits = Limits(timeout=options.timeout, memory_mib=options.memory)
    try:
        sandbox = Sandbox(limits, reap_orphans=True)
    except SandboxError as error:
        return _grader_failed(options, path, str(error))
    try:
        run = _begin_run(sandbox, path, options.timeout)
        from grader.grading import grade

        result = grade(path, sandbox=sandbox, seed=options.seed, run=run)
    except SandboxError as error:
        return _grader_failed(options, path, str(error))
    except Exception as error:  # noqa: BLE001 - a fault of the grader itself
        traceback.print_exc()
        return _grader_failed(options, path, f"{type(error).__name__}: {error}")
    finally:
        sandbox.close()
    return publish([result], options)


def _begin_run(sandbox: Sandbox, path: Path, timeout: float):
    """Start running the submission before NumPy and the checks are imported.

    Returns None when the file cannot be read: grade() reads it again and
    reports why.
    """
    from grader.run import StudentRun
    from grader.submission import SubmissionError, read_submission

    try:
        submission = read_submission(path)
    except SubmissionError:
        return None
    run = StudentRun(sandbox, submission, timeout)
    run.begin_load()
    return run


def publish(results, options) -> int:
    """Print the report of one submission and write the requested files."""
    from grader.formats import write_results_json
    from grader.messages import detect_language
    from grader.report import render_report

    language = detect_language(options.lang)
    if len(results) == 1:
        colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        report = render_report(results[0], language, colour=colour)
        if options.github:
            # The report quotes the student's output and exceptions, so a line
            # of it could otherwise run as a GitHub workflow command.
            from grader.github import print_without_commands

            print_without_commands(report)
        else:
            sys.stdout.write(report)
        if options.json:
            write_results_json(results[0], options.json, language)
    if options.junit:
        from grader.junit import write_junit

        write_junit(results, options.junit, language)
    if options.github:
        from grader.github import publish_github

        publish_github(results, language)
    worst = max(int(result.exit_code) for result in results)
    return ExitCode(worst)


def _grader_failed(options, path: Path, detail: str) -> int:
    """Report a fault of the grader; still write a results file that says so."""
    print(
        f"grade: could not grade {path} because of a fault in the grader: "
        f"{detail}. Run it again; if it fails again, report it with this message.",
        file=sys.stderr,
    )
    if options.json:
        from grader.formats import write_results_json
        from grader.result import GradeResult, Message

        result = GradeResult(submission=str(path), seed=options.seed or 0)
        result.error = Message("grader_fault", {"detail": detail})
        write_results_json(result, options.json)
    return ExitCode.GRADER_ERROR


if __name__ == "__main__":
    sys.exit(main())
