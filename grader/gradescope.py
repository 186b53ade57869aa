"""Gradescope: build the autograder bundle, and grade inside Gradescope's container.

``grade gradescope OUT.zip`` writes a bundle in the layout that Gradescope's
autograder specification requires: setup.sh and run_autograder at the root of
the zip, which Gradescope unpacks into /autograder/source. The files are

- ``setup.sh`` runs once, as root, while Gradescope builds the image: it
  installs NumPy and creates the user that grades (``GRADER_USER``);
- ``run_autograder`` runs as root for each submission. It calls
  ``run_autograder()`` below with the bundled grader, and if that cannot run
  at all it copies ``results_failed.json``, so a results.json always exists;
- ``autograder.json`` holds the settings chosen when the bundle was built:
  the seed, the language of the feedback and the grading user;
- ``grader/`` is this package, with the trusted utils.py as
  ``grader/exercise/utils.py``, so the bundle needs nothing from the repository.

``run_autograder()`` reads the submission from ``ROOT/submission`` and writes
``ROOT/results/results.json``, where ROOT is /autograder, or
``$GRADESCOPE_ROOT`` to try the bundle on a fake tree. The submission is
graded by ``grade --json`` as ``GRADER_USER`` (see ``grader.isolated``), so
results.json is the one ``grade`` writes.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path

from grader.formats import results_json, write_atomic
from grader.grading import resolve_seed, utils_path
from grader.messages import LANGUAGES, render
from grader.result import ExitCode, GradeResult, Message

CONFIG_NAME = "autograder.json"
FAILED_RESULTS_NAME = "results_failed.json"

GRADER_USER = "grader-student"
"""The unprivileged user that runs ``grade`` and the submission."""

USER_VARIABLE = "GRADER_USER"
"""Environment variable that replaces the user from autograder.json; set it to
an empty string to grade as the caller, for a trial run without root."""

EXPECTED_NAMES = ("perceptron.py", "perceptron.ipynb")
"""Names the exercise's files have; they break a tie between several files."""

SKIPPED_NAMES = frozenset({"utils.py", "__pycache__", ".ipynb_checkpoints", "__MACOSX"})
"""Files and folders of a submission never graded; utils.py is the grader's own."""

SUBMISSION_SUFFIXES = (".py", ".ipynb")

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""Timestamp of every zip entry, so that the same sources give the same bundle."""

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
set -euo pipefail

if ! python3 -m pip --version >/dev/null 2>&1; then
  apt-get update
  apt-get install -y --no-install-recommends python3 python3-pip
fi
python3 - <<'PYTHON'
import sys
if sys.version_info < (3, 10):
    sys.exit(
        f"The grader needs Python 3.10 or later and this image has "
        f"{{sys.version.split()[0]}}: choose a newer Ubuntu base image."
    )
PYTHON

# Ubuntu 23.04 and later mark the system Python as externally managed (PEP 668),
# which the second command overrides: this image exists only to grade.
python3 -m pip install --no-cache-dir "{numpy}" \\
  || python3 -m pip install --no-cache-dir --break-system-packages "{numpy}"

# The grader and the submission run as this user, without root's rights.
id -u {user} >/dev/null 2>&1 \\
  || useradd --system --no-create-home --shell /usr/sbin/nologin {user}
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this as root for each submission, from /autograder, where it
# copies this file. GRADESCOPE_ROOT replaces /autograder and GRADER_PYTHON the
# interpreter, to try the bundle on a fake tree. Whatever the grader does,
# results/results.json exists at the end.
root="${GRADESCOPE_ROOT:-/autograder}"
source_dir="$root/source"
results="$root/results/results.json"
mkdir -p "$root/results"
rm -f "$results"

"${GRADER_PYTHON:-python3}" -I -c 'import sys
sys.path.insert(0, sys.argv[1])
from grader.gradescope import run_autograder
sys.exit(run_autograder(sys.argv[2]))' "$source_dir" "$root"
status=$?

if [ ! -s "$results" ]; then
  echo "run_autograder: the grader ended with status $status and wrote no" \\
    "results; writing a score of 0 from $FAILED" >&2
  cp "$source_dir/$FAILED" "$results"
fi
exit 0
""".replace("$FAILED", FAILED_RESULTS_NAME)


class SubmissionNotFound(Exception):
    """The submission folder has no single file to grade; ``message`` is the reason."""

    def __init__(self, message: Message):
        super().__init__(message.key)
        self.message = message


# -- inside Gradescope's container


def _candidates(folder: Path) -> list[Path]:
    found = []
    for directory, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(
            name
            for name in subfolders
            if not name.startswith(".") and name not in SKIPPED_NAMES
        )
        for name in sorted(files):
            if name.startswith(".") or name in SKIPPED_NAMES:
                continue
            if name.lower().endswith(SUBMISSION_SUFFIXES):
                found.append(Path(directory, name))
    return found


def find_submission(folder: str | Path) -> Path:
    """Find the file to grade among what the student uploaded.

    The .py and .ipynb files count, at any depth, except utils.py and hidden
    or checkpoint files. One file is graded as it is. Among several, the one
    named perceptron.py or perceptron.ipynb is graded; if there is not
    exactly one such file, nothing is graded and SubmissionNotFound gives the
    reason.
    """
    found = _candidates(Path(folder))
    expected = " / ".join(EXPECTED_NAMES)
    if not found:
        raise SubmissionNotFound(
            Message("gradescope_no_submission", {"expected": expected})
        )
    if len(found) == 1:
        return found[0]
    named = [path for path in found if path.name in EXPECTED_NAMES]
    if len(named) == 1:
        return named[0]
    listed = ", ".join(path.relative_to(folder).as_posix() for path in found)
    raise SubmissionNotFound(
        Message(
            "gradescope_several_submissions", {"files": listed, "expected": expected}
        )
    )


def _failure_results(path: str, seed: int, error: Message, language: str) -> dict:
    result = GradeResult(submission=path, seed=seed)
    result.error = error
    return results_json(result, language)


def _not_graded_results(message: Message, language: str) -> dict:
    """Results for a submission that has nothing to grade: score 0 and why."""
    return {
        "score": 0,
        "execution_time": 0,
        "output": render(message, language),
        "tests": [],
        "extra_data": {"graded": False},
    }


def _grade(submission: Path, display: str, config: dict) -> dict:
    """Grade one file with ``grade --json`` as the grading user; return results.json."""
    from grader.isolated import IsolationError, run_grade

    language, seed = config["language"], config["seed"]
    user = os.environ.get(USER_VARIABLE, config["user"]).strip() or None
    args = ["--lang", language, "--seed", str(seed)]
    try:
        run = run_grade(submission, display, args=args, user=user)
    except IsolationError as error:
        print(f"run_autograder: {error}")
        return _failure_results(
            display, seed, Message("grader_fault", {"detail": str(error)}), language
        )
    ending = "timed out" if run.exit_code is None else f"exit status {run.exit_code}"
    print(f"run_autograder: grade ended with {ending}")
    print(run.stdout, end="")
    print(run.stderr, end="")
    if run.completed:
        return run.results
    if run.exit_code is None:
        error = Message("isolated_timed_out")
    else:
        error = Message("isolated_crashed", {"status": run.exit_code})
    return _failure_results(display, seed, error, language)


def run_autograder(root: str | Path) -> int:
    """Grade the submission under ``root`` and write ``root/results/results.json``.

    Gradescope shows what this prints to instructors only; students see
    results.json. Returns 0 once results.json is written.
    """
    root = Path(root)
    config = json.loads((root / "source" / CONFIG_NAME).read_text(encoding="utf-8"))
    folder = root / "submission"
    try:
        submission = find_submission(folder)
    except SubmissionNotFound as missing:
        results = _not_graded_results(missing.message, config["language"])
    else:
        display = submission.relative_to(folder).as_posix()
        results = _grade(submission, display, config)
    text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    write_atomic(root / "results" / "results.json", text)
    return 0


# -- building the bundle


def _numpy_requirement() -> str:
    """NumPy's requirement as pyproject.toml states it, read from the metadata."""
    try:
        requirements = importlib.metadata.requires("perceptron-grader") or []
    except importlib.metadata.PackageNotFoundError:
        requirements = []
    for requirement in requirements:
        name = re.match(r"[A-Za-z0-9._-]*", requirement).group()
        if name.lower() == "numpy":
            return requirement.split(";")[0].strip()
    return "numpy"


def bundle_files(seed: int, language: str) -> dict[str, tuple[bytes, int]]:
    """Collect the bundle's files: each path in the zip, with its content and mode."""
    config = {"seed": seed, "language": language, "user": GRADER_USER}
    failed = _not_graded_results(Message("gradescope_failed"), language)
    setup = SETUP_SH.format(numpy=_numpy_requirement(), user=GRADER_USER)
    files = {
        "setup.sh": (setup.encode(), 0o755),
        "run_autograder": (RUN_AUTOGRADER.encode(), 0o755),
        CONFIG_NAME: (json.dumps(config, indent=2).encode() + b"\n", 0o644),
        FAILED_RESULTS_NAME: (
            json.dumps(failed, indent=2, ensure_ascii=False).encode() + b"\n",
            0o644,
        ),
    }
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if (
            path.is_file()
            and "__pycache__" not in relative.parts
            and path.suffix != ".pyc"
        ):
            files[f"grader/{relative.as_posix()}"] = (path.read_bytes(), 0o644)
    files["grader/exercise/utils.py"] = (utils_path().read_bytes(), 0o644)
    return files


def write_bundle(path: str | Path, files: dict[str, tuple[bytes, int]]) -> None:
    """Write ``files`` as a zip at ``path``, through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name, (content, mode) in sorted(files.items()):
                entry = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                entry.external_attr = (0o100000 | mode) << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
                bundle.writestr(entry, content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade gradescope",
        description=(
            "Build a Gradescope autograder bundle: upload OUT.zip in the settings "
            "of a programming assignment. Students then submit perceptron.py or "
            "perceptron.ipynb."
        ),
    )
    parser.add_argument("out", metavar="OUT.zip", help="path of the bundle to write")
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the probe points used for every submission "
        "(default: $GRADER_SEED, else 0)",
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="en",
        help="language of the feedback students see (default: en)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Build the bundle: ``grade gradescope OUT.zip [--seed N] [--lang en|it]``."""
    options = _parser().parse_args(argv)
    out = Path(options.out)
    if out.is_dir():
        print(
            f"grade: {out} is a folder; give the path of the zip to write.",
            file=sys.stderr,
        )
        return ExitCode.GRADER_ERROR
    try:
        seed = resolve_seed(options.seed)
    except ValueError as error:
        print(f"grade: {error}; set it to a whole number.", file=sys.stderr)
        return ExitCode.GRADER_ERROR

    files = bundle_files(seed, options.lang)
    write_bundle(out, files)
    print(f"Wrote {out} ({len(files)} files, seed {seed}, feedback in {options.lang}).")
    return ExitCode.FULL_MARKS
