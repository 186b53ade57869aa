"""Grade a pull request in GitHub Actions: ``python -m grader.ci``.

The workflow ``.github/workflows/grade.yml`` checks out the base commit of the
pull request, which contains the grader, ``utils.py`` and this module, and fetches
the objects of the head commit without checking them out. This module then

1. reads the base and head commits from the event (``GITHUB_EVENT_PATH``);
2. lists the files that the pull request adds or modifies, from the merge base
   of the two commits to the head;
3. picks the submissions among them (see ``select_submissions``);
4. reads each submission from the head commit as data (``git cat-file``) and
   grades it with the base commit's grader in a child process, as the
   unprivileged user named by ``GRADER_RUN_AS`` when it is set;
5. prints each report and the annotations, writes the job summary, the step
   outputs and, into ``--out``, results.json, junit.xml and report.txt;
6. exits 0 when every submission reaches ``MIN_SCORE``, 1 when one does not or
   when there is nothing to grade, and 2 when grading failed.

Nothing else from the head commit is read, and nothing from it runs except
the submissions, inside the grader's sandbox. Settings come from environment
variables, which the workflow sets: ``MIN_SCORE`` (default 100),
``SUBMISSION`` (paths separated by spaces; empty means "pick them from the
changed files"), ``GRADER_LANG`` (en or it), ``GRADER_SEED`` and
``GRADER_RUN_AS``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath

from grader.formats import results_json, write_atomic
from grader.github import (
    annotations,
    inline_code,
    print_without_commands,
    result_summary,
    workflow_command,
)
from grader.grading import DEFAULT_SEED
from grader.isolated import IsolatedRun, IsolationError, run_grade
from grader.junit import write_junit
from grader.messages import LANGUAGES, render
from grader.result import CHECKS, ExitCode, GradeResult, Message

DEFAULT_MIN_SCORE = sum(CHECKS.values())
"""Score a submission needs for the check to pass: full marks."""

SUBMISSION_SUFFIXES = (".py", ".ipynb")

PROTECTED_FOLDERS = ("grader/", "tests/", ".github/", "exercise/", "solution/", ".ci/")
"""Folders of the kit; files changed there are never graded as submissions."""

TRUSTED_NAMES = ("utils.py",)
"""File names the grader always takes from its own copy, never from a pull request."""

LISTED_IGNORED = 20
"""Ignored files named in the summary at most."""

_REGULAR_FILE_MODES = (b"100644", b"100755")


class CIError(Exception):
    """The job is set up wrongly: a missing event, commit or setting."""


@dataclasses.dataclass
class Settings:
    """The workflow's settings, from the command line and the environment."""

    workspace: Path
    event: str
    out: Path
    min_score: int
    configured: list[str]
    """Paths from SUBMISSION; empty to pick the submissions from the changes."""
    language: str
    grade_args: list[str]
    """Options passed on to ``grade``: --lang and --seed."""
    user: str | None


# -- the pull request


def read_event(path: str | Path) -> tuple[str, str]:
    """Return the base and head commits of the pull request in the event file."""
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
        pull_request = event["pull_request"]
        base, head = pull_request["base"]["sha"], pull_request["head"]["sha"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CIError(
            f"{path} is not a pull_request event with base.sha and head.sha "
            f"({error}); run this on pull_request or pull_request_target"
        ) from None
    return str(base), str(head)


def git(workspace: Path, *args: str) -> bytes:
    """Run git in ``workspace`` and return its output; raise CIError if it fails."""
    command = ["git", "-C", str(workspace), *args]
    completed = subprocess.run(command, capture_output=True)
    if completed.returncode != 0:
        detail = completed.stderr.decode("utf-8", "replace").strip()
        raise CIError(f"'git {' '.join(args)}' failed: {detail}")
    return completed.stdout


def changed_files(workspace: Path, base: str, head: str) -> list[str]:
    """List the files that the pull request adds or modifies since its merge base."""
    if git(workspace, "rev-parse", "HEAD").decode().strip() != base:
        raise CIError(
            f"{workspace} is not checked out at the base commit {base}; check out "
            "github.event.pull_request.base.sha"
        )
    try:
        git(workspace, "cat-file", "-e", f"{head}^{{commit}}")
    except CIError:
        raise CIError(
            f"the head commit {head} is not in {workspace}; fetch it before grading"
        ) from None
    merge_base = git(workspace, "merge-base", base, head).decode().strip()
    names = git(
        workspace,
        "diff",
        "--name-only",
        "-z",
        "--no-renames",
        "--diff-filter=AM",
        merge_base,
        head,
        "--",
    )
    # A name that is not UTF-8 keeps a U+FFFD in place of its invalid bytes, so
    # it matches no file in the commit and is listed as not graded.
    return [name.decode("utf-8", "replace") for name in names.split(b"\0") if name]


def select_submissions(changed: list[str], configured: list[str]) -> list[str]:
    """Pick the files to grade among the changed ones.

    With ``configured`` paths, the changed files among them. Otherwise every
    changed .py or .ipynb file outside ``PROTECTED_FOLDERS`` whose name is not
    in ``TRUSTED_NAMES``.
    """
    if configured:
        return [path for path in changed if path in configured]
    return [
        path
        for path in changed
        if path.lower().endswith(SUBMISSION_SUFFIXES)
        and not path.startswith(PROTECTED_FOLDERS)
        and PurePosixPath(path).name not in TRUSTED_NAMES
    ]


def is_regular_file(workspace: Path, head: str, path: str) -> bool:
    """Return whether ``path`` is a plain file at ``head``, not a link or submodule."""
    entry = git(workspace, "ls-tree", "-z", head, "--", path)
    return entry.split(b" ", 1)[0] in _REGULAR_FILE_MODES


def read_blob(workspace: Path, head: str, path: str) -> bytes:
    """Read ``path`` at ``head`` as data, without checking anything out."""
    return git(workspace, "cat-file", "blob", f"{head}:{path}")


# -- settings


def _settings_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader.ci",
        description=(
            "Grade the submission files of a pull request with the grader of its "
            "base commit. Run it in GitHub Actions; .github/workflows/grade.yml "
            "shows the steps before it."
        ),
    )
    environ = os.environ
    parser.add_argument(
        "--out",
        default=str(Path(environ.get("RUNNER_TEMP", ".")) / "grade"),
        help="folder for results.json, junit.xml and report.txt "
        "(default: $RUNNER_TEMP/grade)",
    )
    parser.add_argument(
        "--workspace",
        default=environ.get("GITHUB_WORKSPACE", "."),
        help="checkout of the base commit (default: $GITHUB_WORKSPACE)",
    )
    parser.add_argument(
        "--event",
        default=environ.get("GITHUB_EVENT_PATH"),
        help="the pull request event as JSON (default: $GITHUB_EVENT_PATH)",
    )
    return parser


def _min_score() -> int:
    text = os.environ.get("MIN_SCORE", "").strip() or str(DEFAULT_MIN_SCORE)
    try:
        value = int(text)
    except ValueError:
        raise CIError(f"MIN_SCORE={text!r} is not a whole number of points") from None
    if not 0 <= value <= DEFAULT_MIN_SCORE:
        raise CIError(f"MIN_SCORE={value} is outside 0..{DEFAULT_MIN_SCORE}")
    return value


def _grade_args() -> list[str]:
    language = os.environ.get("GRADER_LANG", "").strip() or "en"
    if language not in LANGUAGES:
        raise CIError(f"GRADER_LANG={language!r} is not one of {', '.join(LANGUAGES)}")
    args = ["--lang", language]
    seed = os.environ.get("GRADER_SEED", "").strip()
    if seed:
        if not re.fullmatch(r"-?\d+", seed):
            raise CIError(f"GRADER_SEED={seed!r} is not an integer")
        args += ["--seed", seed]
    return args


# -- grading and reporting


def _failed_result(path: str, run: IsolatedRun, args: list[str]) -> GradeResult:
    """Build a GradeResult that reports the failed run, for the outputs to render."""
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else DEFAULT_SEED
    result = GradeResult(submission=path, seed=seed)
    if run.exit_code is None:
        result.error = Message("ci_grader_timed_out")
    else:
        result.error = Message("ci_grader_crashed", {"status": run.exit_code})
    return result


def _print_run(run: IsolatedRun) -> None:
    """Print the child's output, keeping only its own workflow commands live.

    ``grade --github`` prints its report between ``::stop-commands::`` and the
    resume token, then the annotations. It does so after every student
    process has ended, so the child's last ``::stop-commands::`` line starts
    the part that only ``grade`` wrote. Everything before it, and stderr, is
    printed with commands stopped.
    """
    lines = run.stdout.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("::stop-commands::")]
    split = starts[-1] if starts and run.completed else len(lines)
    untrusted = "".join(lines[:split]) + run.stderr
    if untrusted.strip():
        print_without_commands(untrusted)
    sys.stdout.write("".join(lines[split:]))
    sys.stdout.flush()


def _write_outputs(
    out: Path, run: IsolatedRun, failed: GradeResult | None, language: str
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "report.txt", run.stdout)
    if failed is not None:
        text = json.dumps(results_json(failed, language), indent=2, ensure_ascii=False)
        write_atomic(out / "results.json", text + "\n")
        write_junit([failed], out / "junit.xml", language)
        return
    write_atomic(
        out / "results.json",
        json.dumps(run.results, indent=2, ensure_ascii=False) + "\n",
    )
    if run.junit is not None:
        write_atomic(out / "junit.xml", run.junit)


def _threshold_line(
    score: int, max_score: int, min_score: int, passed: bool, language: str
) -> str:
    key = "ci_threshold_passed" if passed else "ci_threshold_failed"
    params = {"score": score, "max_score": max_score, "min_score": min_score}
    return render(Message(key, params), language)


def grade_submission(settings: Settings, head: str, path: str, out: Path) -> dict:
    """Grade one submission; print its report, write its files, return its verdict."""
    language = settings.language
    with tempfile.TemporaryDirectory(prefix="grade-pr-") as folder:
        source = Path(folder) / "submission"
        source.write_bytes(read_blob(settings.workspace, head, path))
        run = run_grade(
            source, path, args=settings.grade_args, user=settings.user, github=True
        )
    _print_run(run)
    graded = run.completed and run.exit_code != ExitCode.GRADER_ERROR
    failed = None if graded else _failed_result(path, run, settings.grade_args)
    _write_outputs(out, run, failed, language)
    if failed is not None:
        for command in annotations([failed], language):
            print(command)
        summary = result_summary(failed, language)
        return {
            "path": path,
            "score": 0,
            "passed": False,
            "fault": True,
            "summary": summary,
        }
    score = int(run.results.get("score", 0))
    extra = run.results.get("extra_data") or {}
    max_score = int(extra.get("max_score", DEFAULT_MIN_SCORE))
    passed = score >= settings.min_score
    line = _threshold_line(score, max_score, settings.min_score, passed, language)
    print(line)
    summary = (run.summary or "") + f"\n{line}\n"
    return {
        "path": path,
        "score": score,
        "passed": passed,
        "fault": False,
        "summary": summary,
    }


def _ignored_note(changed: list[str], submissions: list[str], language: str) -> str:
    ignored = [path for path in changed if path not in submissions]
    if not ignored:
        return ""
    listed = ", ".join(inline_code(path) for path in ignored[:LISTED_IGNORED])
    if len(ignored) > LISTED_IGNORED:
        listed += ", …"
    message = Message("ci_ignored_changes", {"count": len(ignored), "files": listed})
    return render(message, language)


def _publish_step_files(summary: str, outputs: dict) -> None:
    """Write the job summary and step outputs; empty GITHUB_ENV and GITHUB_PATH.

    The submission ran in this step, so these files may contain what it wrote
    there: they are replaced rather than appended to. This step sets no
    variables and no PATH entries, so any line in those two files came from
    the submission.
    """
    environ = os.environ
    if environ.get("GITHUB_STEP_SUMMARY"):
        write_atomic(environ["GITHUB_STEP_SUMMARY"], summary)
    if environ.get("GITHUB_OUTPUT"):
        lines = "".join(f"{key}={value}\n" for key, value in outputs.items())
        write_atomic(environ["GITHUB_OUTPUT"], lines)
    for name in ("GITHUB_ENV", "GITHUB_PATH"):
        if environ.get(name):
            write_atomic(environ[name], "")


def run_pull_request(settings: Settings) -> int:
    """Grade every submission of the pull request; return the exit status."""
    workspace, language = settings.workspace, settings.language
    base, head = read_event(settings.event)
    changed = changed_files(workspace, base, head)
    submissions = [
        path
        for path in select_submissions(changed, settings.configured)
        if is_regular_file(workspace, head, path)
    ]
    note = _ignored_note(changed, submissions, language)
    if not submissions:
        key = (
            "ci_no_listed_submission" if settings.configured else "ci_nothing_to_grade"
        )
        files = ", ".join(inline_code(path) for path in settings.configured)
        message = render(Message(key, {"files": files}), language)
        print(workflow_command("error", message))
        summary = message + (f"\n\n{note}\n" if note else "\n")
        _publish_step_files(summary, {"passed": "false", "graded": 0})
        return ExitCode.BELOW_FULL_MARKS

    verdicts = []
    for index, path in enumerate(submissions, start=1):
        out = settings.out
        if len(submissions) > 1:
            out = out / f"{index}-{re.sub(r'[^A-Za-z0-9._-]', '_', path)}"
        verdicts.append(grade_submission(settings, head, path, out))

    summary = "\n".join(verdict["summary"] for verdict in verdicts)
    if note:
        summary += f"\n{note}\n"
    passed = all(verdict["passed"] for verdict in verdicts)
    outputs = {
        "passed": "true" if passed else "false",
        "score": min(verdict["score"] for verdict in verdicts),
        "graded": len(verdicts),
    }
    _publish_step_files(summary, outputs)
    if any(verdict["fault"] for verdict in verdicts):
        return ExitCode.GRADER_ERROR
    return ExitCode.FULL_MARKS if passed else ExitCode.BELOW_FULL_MARKS


def main(argv: list[str] | None = None) -> int:
    """Read the settings, grade the pull request, turn setup errors into exit 2."""
    arguments = _settings_parser().parse_args(argv)
    try:
        return run_pull_request(_settings(arguments))
    except (CIError, IsolationError) as error:
        print(workflow_command("error", f"grade: {error}"))
        print(f"grade: {error}", file=sys.stderr)
        return ExitCode.GRADER_ERROR


def _settings(arguments: argparse.Namespace) -> Settings:
    if not arguments.event:
        raise CIError("no event file: set GITHUB_EVENT_PATH or pass --event")
    user = os.environ.get("GRADER_RUN_AS", "").strip() or None
    if user is None and os.environ.get("GITHUB_EVENT_NAME") == "pull_request_target":
        raise CIError(
            "on pull_request_target the submission would run next to the base "
            "repository's token and cache; set GRADER_RUN_AS to an unprivileged user"
        )
    grade_args = _grade_args()
    return Settings(
        workspace=Path(arguments.workspace),
        event=arguments.event,
        out=Path(arguments.out),
        min_score=_min_score(),
        configured=os.environ.get("SUBMISSION", "").split(),
        language=grade_args[1],
        grade_args=grade_args,
        user=user,
    )


if __name__ == "__main__":
    sys.exit(main())
