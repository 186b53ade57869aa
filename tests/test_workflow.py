"""The pull-request workflow: actionlint, and ``python -m grader.ci`` on git history.

Each test builds a course repository from this kit, opens a pull request as a
commit on top of it, and runs the grading step as the workflow does: in a
checkout of the base commit that also holds the pull request's objects, with
GitHub's environment variables pointing at temporary files.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import ROOT, SOLUTION, STUB, SUBMISSIONS

WORKFLOW = ROOT / ".github" / "workflows" / "grade.yml"
WRONG = SUBMISSIONS / "wrong" / "loss_format_four_decimals.py"
"""A submission that fails fit.loss_report only: 90 of 100 points."""
WRONG_SCORE = 90

FORGED_CLI = '''\
import json, sys

def main(argv=None):
    """A grader that always gives full marks."""
    argv = sys.argv[1:] if argv is None else argv
    print("Score: 100/100")
    if "--json" in argv:
        with open(argv[argv.index("--json") + 1], "w") as stream:
            json.dump({"score": 100, "tests": []}, stream)
    return 0
'''


def runner_commands(log: str) -> list[str]:
    """The workflow commands GitHub's runner would run from ``log``."""
    commands, stop_token = [], None
    for line in log.splitlines():
        stripped = line.lstrip()
        if stop_token is not None:
            if stripped == f"::{stop_token}::":
                stop_token = None
            continue
        if stripped.startswith("::stop-commands::"):
            stop_token = stripped[len("::stop-commands::") :]
        elif stripped.startswith("::"):
            commands.append(stripped)
    return commands


def git(repo: Path, *args: str) -> str:
    command = [
        "git",
        "-C",
        str(repo),
        "-c",
        "user.name=Test",
        "-c",
        "user.email=t@example.com",
    ]
    return subprocess.run(
        command + list(args), check=True, capture_output=True, text=True
    ).stdout.strip()


# -- actionlint and the workflow's settings


def _actionlint() -> str:
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        found = shutil.which("actionlint", path=str(folder))
        if found:
            return found
    pytest.fail(
        "actionlint is not installed next to this Python; install the test extras"
    )


def test_actionlint_passes():
    finished = subprocess.run(
        [_actionlint(), str(WORKFLOW)], capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr


def test_workflow_settings():
    text = WORKFLOW.read_text()
    assert re.search(r"^on:\n  pull_request_target:\n", text, re.MULTILINE)
    assert re.search(r"^permissions:\n  contents: read\n\n", text, re.MULTILINE)
    assert "${{ secrets." not in text
    assert "secrets:" not in text
    assert "ref: ${{ github.event.pull_request.base.sha }}" in text
    assert "persist-credentials: false" in text
    assert "cache: pip" in text
    assert "GRADER_RUN_AS: grader-student" in text
    assert "python -m grader.ci" in text
    assert 'MIN_SCORE: "100"' in text
    # Event data reaches scripts through env, never inside a run: block.
    blocks = _run_blocks(text)
    assert len(blocks) == 4
    for block in blocks:
        assert "${{" not in block, block


def _run_blocks(text: str) -> list[str]:
    """The scripts of the workflow's run: steps."""
    lines = text.splitlines()
    blocks = []
    for index, line in enumerate(lines):
        match = re.match(r"( *)(- )?run: ?(.*)", line)
        if match is None:
            continue
        indent = len(match.group(1)) + (2 if match.group(2) else 0)
        block = [match.group(3)]
        for following in lines[index + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            block.append(following)
        blocks.append("\n".join(block))
    return blocks


# -- a course repository and its pull requests


@dataclasses.dataclass
class CIRun:
    returncode: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict
    out: Path


@pytest.fixture(scope="module")
def origin(tmp_path_factory) -> tuple[Path, str]:
    """A course repository made from this kit; returns it and its main commit."""
    repo = tmp_path_factory.mktemp("course") / "origin"
    repo.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "grader", repo / "grader", ignore=ignore)
    (repo / "exercise").mkdir()
    for name in ("utils.py", "perceptron.py"):
        shutil.copyfile(ROOT / "exercise" / name, repo / "exercise" / name)
    shutil.copytree(ROOT / ".github", repo / ".github", ignore=ignore)
    shutil.copyfile(STUB, repo / "perceptron.py")
    shutil.copyfile(ROOT / "exercise" / "utils.py", repo / "utils.py")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "uploadpack.allowAnySHA1InWant", "true")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Course release")
    return repo, git(repo, "rev-parse", "HEAD")


def open_pull_request(
    origin: tuple[Path, str], changes: dict[str, Path | str | None]
) -> str:
    """Commit ``changes`` on top of main in a student's clone; return the head commit.

    The commit is pushed to refs/pull/N/head, as GitHub stores pull requests.
    """
    repo, base = origin
    student = repo.parent / f"student-{len(list(repo.parent.iterdir()))}"
    subprocess.run(["git", "clone", "-q", str(repo), str(student)], check=True)
    for name, content in changes.items():
        target = student / name
        if content is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_text(content)
    git(student, "add", "-A")
    git(student, "commit", "-q", "-m", "My solution")
    head = git(student, "rev-parse", "HEAD")
    number = student.name.split("-")[1]
    git(student, "push", "-q", "origin", f"HEAD:refs/pull/{number}/head")
    return head


def run_ci(
    origin, head: str, tmp_path: Path, checkout: str | None = None, **env: str
) -> CIRun:
    """Run the workflow's steps after setup: check out, fetch, grade.

    ``checkout`` is the commit of the workspace, the base commit by default.
    """
    repo, base = origin
    workspace = tmp_path / "workspace"
    subprocess.run(["git", "clone", "-q", str(repo), str(workspace)], check=True)
    git(workspace, "checkout", "-q", "--detach", base)
    git(workspace, "fetch", "-q", "--no-tags", "origin", head)
    git(workspace, "checkout", "-q", "--detach", checkout or base)
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "pull_request": {
                    "number": 1,
                    "base": {"sha": base},
                    "head": {"sha": head},
                }
            }
        )
    )
    files = {name: tmp_path / name for name in ("summary.md", "output.txt", "env.txt")}
    for path in files.values():
        path.write_text("")
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GITHUB_", "GRADER_", "RUNNER_"))
        and key not in ("MIN_SCORE", "SUBMISSION")
    }
    environment.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_STEP_SUMMARY": str(files["summary.md"]),
            "GITHUB_OUTPUT": str(files["output.txt"]),
            "GITHUB_ENV": str(files["env.txt"]),
            "RUNNER_TEMP": str(tmp_path),
        }
    )
    environment.update(env)
    finished = subprocess.run(
        [sys.executable, "-m", "grader.ci"],
        cwd=workspace,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    outputs = dict(
        line.split("=", 1) for line in files["output.txt"].read_text().splitlines()
    )
    return CIRun(
        finished.returncode,
        finished.stdout,
        finished.stderr,
        files["summary.md"].read_text(),
        outputs,
        tmp_path / "grade",
    )


def test_ci_uses_the_base_grader(origin, tmp_path):
    repo, base = origin
    finished = subprocess.run(
        [sys.executable, "-c", "import grader.ci; print(grader.ci.__file__)"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert finished.stdout.strip() == str(repo / "grader" / "ci.py")


# -- grading pull requests


@pytest.mark.slow
def test_correct_submission_passes(origin, tmp_path):
    head = open_pull_request(origin, {"perceptron.py": SOLUTION})
    run = run_ci(origin, head, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.outputs == {"passed": "true", "score": "100", "graded": "1"}
    assert "**Score: 100/100**" in run.summary
    assert "Check passed: your score 100/100 reaches the 100 points" in run.summary
    assert runner_commands(run.stdout) == []
    results = json.loads((run.out / "results.json").read_text())
    assert results["score"] == 100
    assert (run.out / "junit.xml").read_text().startswith("<?xml")
    assert "Score: 100/100" in (run.out / "report.txt").read_text()


@pytest.mark.slow
def test_wrong_submission_fails(origin, tmp_path):
    head = open_pull_request(origin, {"perceptron.py": WRONG})
    run = run_ci(origin, head, tmp_path)
    assert run.returncode == 1
    assert run.outputs == {"passed": "false", "score": str(WRONG_SCORE), "graded": "1"}
    assert (
        f"Check failed: your score {WRONG_SCORE}/100 is below the 100 points"
        in run.stdout
    )
    commands = runner_commands(run.stdout)
    assert len(commands) == 1
    assert commands[0].startswith("::error file=perceptron.py,line=")
    assert "title=fit.loss_report::" in commands[0]
    assert "| ❌ failed | `fit.loss_report` | 0/10 |" in run.summary


@pytest.mark.slow
def test_forged_grader_does_not_change_grade(origin, tmp_path):
    changes = {
        "perceptron.py": WRONG,
        "grader/cli.py": FORGED_CLI,
        "utils.py": "raise SystemExit(0)\n",
        ".github/workflows/grade.yml": "name: Grade\non: pull_request\n",
    }
    head = open_pull_request(origin, changes)

    # The pull request's own grader would give full marks ...
    checkout = tmp_path / "head"
    subprocess.run(["git", "clone", "-q", str(origin[0]), str(checkout)], check=True)
    git(checkout, "fetch", "-q", "origin", head)
    git(checkout, "checkout", "-q", "--detach", head)
    forged = subprocess.run(
        [sys.executable, "-m", "grader", "perceptron.py"],
        cwd=checkout,
        capture_output=True,
        text=True,
    )
    assert forged.returncode == 0
    assert forged.stdout == "Score: 100/100\n"

    # ... but the workflow grades with the base commit's grader.
    run = run_ci(origin, head, tmp_path)
    assert run.returncode == 1
    assert run.outputs["score"] == str(WRONG_SCORE)
    assert run.outputs["passed"] == "false"
    assert json.loads((run.out / "results.json").read_text())["score"] == WRONG_SCORE
    assert "also changes 3 file(s) that are not graded" in run.summary
    for path in ("`.github/workflows/grade.yml`", "`grader/cli.py`", "`utils.py`"):
        assert path in run.summary


@pytest.mark.slow
def test_min_score_threshold(origin, tmp_path):
    head = open_pull_request(origin, {"perceptron.py": WRONG})
    run = run_ci(origin, head, tmp_path, MIN_SCORE=str(WRONG_SCORE))
    assert run.returncode == 0
    assert run.outputs["passed"] == "true"
    assert f"reaches the {WRONG_SCORE} points" in run.summary


@pytest.mark.slow
def test_italian_feedback(origin, tmp_path):
    head = open_pull_request(origin, {"perceptron.py": WRONG})
    run = run_ci(origin, head, tmp_path, GRADER_LANG="it")
    assert run.returncode == 1
    assert f"Punteggio: {WRONG_SCORE}/100" in run.stdout
    assert "Controllo non superato" in run.summary


@pytest.mark.slow
def test_notebook_in_subfolder(origin, tmp_path):
    cell = {
        "cell_type": "code",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": SOLUTION.read_text().splitlines(keepends=True),
    }
    notebook = json.dumps(
        {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    )
    head = open_pull_request(origin, {"notebooks/perceptron.ipynb": notebook})
    run = run_ci(origin, head, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "### Grading `notebooks/perceptron.ipynb` (seed 0)" in run.summary


@pytest.mark.slow
def test_injected_commands_are_stopped(origin, tmp_path):
    source = SOLUTION.read_text()
    source += (
        "\nprint('::error file=perceptron.py::forged')\n"
        "_backward = Layer.backward\n"
        "def _raising(self, *args):\n"
        "    raise ValueError('\\n::notice::Full marks\\n::stop-commands::x')\n"
        "Layer.backward = _raising\n"
    )
    head = open_pull_request(origin, {"perceptron.py": source})
    run = run_ci(origin, head, tmp_path)
    assert run.returncode == 1
    assert "::notice::Full marks" in run.stdout
    commands = runner_commands(run.stdout)
    assert commands
    for command in commands:
        assert command.startswith("::error file=perceptron.py,line=")
        assert "forged" not in command.split("::")[1]


# -- what is graded, and set-up mistakes


def test_nothing_to_grade(origin, tmp_path):
    head = open_pull_request(
        origin, {"README.md": "notes\n", "grader/checks.py": "# changed\n"}
    )
    run = run_ci(origin, head, tmp_path)
    assert run.returncode == 1
    assert run.outputs == {"passed": "false", "graded": "0"}
    assert "nothing to grade" in run.summary
    assert "`grader/checks.py`" in run.summary
    assert runner_commands(run.stdout)[0].startswith(
        "::error::This pull request adds or changes no"
    )


def test_configured_submission_unchanged(origin, tmp_path):
    head = open_pull_request(origin, {"scratch.py": "x = 1\n"})
    run = run_ci(origin, head, tmp_path, SUBMISSION="perceptron.ipynb perceptron.py")
    assert run.returncode == 1
    assert "changes none of the files that are graded here" in run.summary
    assert "`perceptron.ipynb`, `perceptron.py`" in run.summary


@pytest.mark.slow
def test_configured_submission_only(origin, tmp_path):
    head = open_pull_request(
        origin, {"perceptron.py": SOLUTION, "scratch.py": "raise SystemExit\n"}
    )
    run = run_ci(origin, head, tmp_path, SUBMISSION="perceptron.py")
    assert run.returncode == 0
    assert run.outputs["graded"] == "1"


# Finds the step's files through the environment of the processes above it,
# and appends to them, as a submission could when grading runs as the
# runner's own user.
PLANTING = """
import os, re
def _plant():
    pid = os.getpid()
    while pid > 1:
        try:
            status = open(f"/proc/{pid}/status").read()
            pid = int(re.search(r"PPid:\\s+(\\d+)", status).group(1))
            variables = open(f"/proc/{pid}/environ", "rb").read().split(b"\\0")
        except (OSError, AttributeError):
            return
        for variable in variables:
            name, _, value = variable.decode().partition("=")
            if name in ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
                open(value, "a").write("NODE_OPTIONS=--require=/tmp/x.js\\n")
                open(value + ".planted", "w").close()
_plant()
"""


@pytest.mark.slow
def test_planted_step_files_replaced(origin, tmp_path):
    head = open_pull_request(origin, {"perceptron.py": SOLUTION.read_text() + PLANTING})
    run = run_ci(origin, head, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / "env.txt.planted").exists()
    assert (tmp_path / "env.txt").read_text() == ""
    assert "NODE_OPTIONS" not in run.summary
    assert run.outputs == {"passed": "true", "score": "100", "graded": "1"}


def test_workspace_not_at_base(origin, tmp_path):
    head = open_pull_request(origin, {"perceptron.py": SOLUTION})
    run = run_ci(origin, head, tmp_path, checkout=head)
    assert run.returncode == 2
    assert "is not checked out at the base commit" in run.stderr
    assert runner_commands(run.stdout)[0].startswith("::error::grade: ")


def test_pull_request_target_needs_user(origin, tmp_path):
    head = open_pull_request(origin, {"perceptron.py": SOLUTION})
    run = run_ci(origin, head, tmp_path, GITHUB_EVENT_NAME="pull_request_target")
    assert run.returncode == 2
    assert "set GRADER_RUN_AS" in run.stderr


def test_invalid_min_score(origin, tmp_path):
    head = open_pull_request(origin, {"perceptron.py": SOLUTION})
    run = run_ci(origin, head, tmp_path, MIN_SCORE="all")
    assert run.returncode == 2
    assert "MIN_SCORE='all' is not a whole number" in run.stderr


@pytest.mark.slow
def test_file_name_not_utf8(origin, tmp_path):
    changes = {"perceptron.py": SOLUTION, "caf\udce9.py": "x = 1\n"}
    head = open_pull_request(origin, changes)
    run = run_ci(origin, head, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.outputs["graded"] == "1"
    assert "`caf\ufffd.py`" in run.summary
