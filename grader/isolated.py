"""Run ``grade`` on one submission in a child process, as another user if asked.

CI platforms grade a submission inside the job that reports its grade. The
sandbox limits the student's process, but it runs as the grader's own user:
on a GitHub-hosted runner that user has passwordless sudo, and Gradescope runs
run_autograder as root. ``run_grade`` therefore runs the whole ``grade`` command as an
unprivileged user when ``user`` is given, on copies of the grader and of the
submission in a fresh directory, so that the submission cannot change the
grader's files, the platform's files or the job that reads the results.

The outputs are trusted only when ``grade`` returned normally. It writes
them after the sandbox has ended every student process, and it replaces any
file of the same name, so whatever a submission planted there is gone. When
``grade`` crashes, times out or is killed, the caller gets no outputs and
reports that grading failed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath

from grader.grading import utils_path

CRASHED = 70
"""Exit status of the child when ``grade`` raised instead of returning."""

COMPLETED = (0, 1, 2)
"""Exit statuses of ``grade`` returning normally: full marks, below, fault."""

DEFAULT_TIMEOUT = 300.0
"""Seconds the whole child may take. Each call into student code has its own,
much shorter limit; this only stops a grader that hangs."""

_CHILD_PATH = "/usr/local/bin:/usr/bin:/bin"
_GRACE_SECONDS = 5.0

# The child imports the copied grader, not whatever is on sys.path: -I leaves
# out the working directory, the user's site-packages and PYTHON* variables.
_CHILD_CODE = (
    "import sys\n"
    "sys.path.insert(0, sys.argv.pop(1))\n"
    "from grader.isolated import child_main\n"
    "sys.exit(child_main(sys.argv[1:]))\n"
)


class IsolationError(Exception):
    """The child could not be set up: a missing user, sudo or bad path."""


@dataclasses.dataclass
class IsolatedRun:
    """What one run of ``grade`` in the child left behind."""

    exit_code: int | None
    """Exit status of the child, or None when it timed out."""
    stdout: str
    stderr: str
    results: dict | None = None
    """The results.json that ``grade`` wrote, when it returned normally."""
    junit: str | None = None
    summary: str | None = None
    """The Markdown job summary, when ``github`` was requested."""

    @property
    def completed(self) -> bool:
        """Whether ``grade`` returned normally and wrote its results."""
        return self.exit_code in COMPLETED and self.results is not None


def child_main(argv: list[str]) -> int:
    """Run ``grade`` with ``argv``; turn an exception into exit status CRASHED."""
    try:
        from grader.cli import main

        return int(main(argv))
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else CRASHED
    except BaseException:
        import traceback

        traceback.print_exc()
        return CRASHED


def _check_display_path(display_path: str) -> PurePosixPath:
    path = PurePosixPath(display_path)
    if not path.parts or path.is_absolute() or ".." in path.parts:
        raise IsolationError(
            f"{display_path!r} is not a relative path inside the repository"
        )
    return path


def _make_readable(root: Path) -> None:
    """Let every user read ``root`` and traverse its folders, but not write."""
    for folder, _, files in os.walk(root):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(Path(folder, name), 0o644)


def _copy_grader(target: Path) -> Path:
    """Copy the grader package and the trusted utils.py into ``target``."""
    package = Path(__file__).resolve().parent
    copied = target / "grader"
    shutil.copytree(
        package, copied, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    (copied / "exercise").mkdir(exist_ok=True)
    shutil.copyfile(utils_path(), copied / "exercise" / "utils.py")
    return target


def _user_ids(user: str) -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise IsolationError(
            f"the user {user!r} does not exist; create it first"
        ) from None
    if entry.pw_uid == 0:
        raise IsolationError(f"the user {user!r} is root; choose an unprivileged user")
    return entry.pw_uid, entry.pw_gid


def _launch(command: list[str], env: dict, cwd: Path, user: str | None, stdout, stderr):
    """Start the child, switching to ``user`` directly as root, else with sudo."""
    options = dict(cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
    if user is None:
        return subprocess.Popen(command, env=env, start_new_session=True, **options)
    uid, gid = _user_ids(user)
    if os.geteuid() == 0:
        return subprocess.Popen(
            command,
            env=env,
            user=uid,
            group=gid,
            extra_groups=[],
            start_new_session=True,
            **options,
        )
    if shutil.which("sudo") is None:
        raise IsolationError(
            f"running as {user!r} needs root or sudo, and sudo is not installed"
        )
    variables = [f"{key}={value}" for key, value in env.items()]
    prefix = ["sudo", "-n", "-u", user, "--", "env", "-i", *variables]
    return subprocess.Popen(prefix + command, start_new_session=True, **options)


def _private_file(path: Path):
    return os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600), "w+b")


def _wait(process: subprocess.Popen, timeout: float) -> int | None:
    """Wait for the child; after ``timeout`` seconds stop it and return None.

    SIGTERM ends ``grade``, directly or relayed by sudo, and its sandbox
    process then kills every student process when its control socket closes.
    Killing the whole group at once would kill the sandbox process first and
    leave the student's processes running, so SIGKILL to the group comes only
    if SIGTERM was not enough.
    """
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    _signal(process, signal.SIGTERM)
    try:
        process.wait(_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            _signal(process, signal.SIGKILL)
        try:
            process.wait(_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    return None


def _signal(process: subprocess.Popen, number: int) -> None:
    try:
        process.send_signal(number)
    except OSError:
        pass


def _read_outputs(run: IsolatedRun, out: Path) -> None:
    if run.exit_code not in COMPLETED:
        return
    try:
        run.results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        run.results = None
    for name, field in (("junit.xml", "junit"), ("summary.md", "summary")):
        try:
            setattr(run, field, (out / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            pass


def run_grade(
    source: str | Path,
    display_path: str,
    *,
    args: list[str] | tuple[str, ...] = (),
    user: str | None = None,
    github: bool = False,
    python: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> IsolatedRun:
    """Grade the file ``source`` in a child process and collect its outputs.

    Parameters
    ----------
    source
        The submission file. The child grades a copy named ``display_path``,
        so the report and the annotations show that path.
    display_path
        The submission's path relative to the repository, such as
        ``notebooks/perceptron.ipynb``.
    args
        More options for ``grade``, such as ``["--lang", "it", "--seed", "3"]``.
    user
        Run the child as this user: directly when the caller is root, else
        through ``sudo -n -u``. None runs it as the caller.
    github
        Pass ``--github`` and collect the job summary.
    python
        The interpreter of the child; it must import NumPy. Default: this one.
    timeout
        Seconds before the child is killed and the run counts as failed.

    Raises
    ------
    IsolationError
        When the user does not exist or cannot be switched to.
    """
    relative = _check_display_path(display_path)
    base = Path(tempfile.mkdtemp(prefix="grade-isolated-"))
    try:
        lib = _copy_grader(base / "lib")
        copy = base / "submission" / relative
        copy.parent.mkdir(parents=True)
        shutil.copyfile(source, copy)
        _make_readable(base / "lib")
        _make_readable(base / "submission")
        os.chmod(base, 0o711)
        out = base / "out"
        out.mkdir()
        if user is not None and os.geteuid() == 0:
            os.chown(out, *_user_ids(user))
        elif user is not None:
            os.chmod(out, 0o777)

        command = [
            python or sys.executable,
            "-I",
            "-X",
            "utf8",
            "-c",
            _CHILD_CODE,
            str(lib),
        ]
        command += [str(relative), "--json", str(out / "results.json")]
        command += ["--junit", str(out / "junit.xml"), *args]
        env = {
            "PATH": _CHILD_PATH,
            "HOME": str(out),
            "TMPDIR": str(out),
            "LANG": "C.UTF-8",
        }
        if github:
            command.append("--github")
            env["GITHUB_STEP_SUMMARY"] = str(out / "summary.md")

        # Capture files readable by the caller only: a submission running as
        # another user cannot reopen them through /proc to add lines.
        with (
            _private_file(base / "stdout") as stdout,
            _private_file(base / "stderr") as stderr,
        ):
            process = _launch(command, env, base / "submission", user, stdout, stderr)
            exit_code = _wait(process, timeout)
            stdout.seek(0)
            stderr.seek(0)
            run = IsolatedRun(
                exit_code,
                stdout.read().decode("utf-8", "replace"),
                stderr.read().decode("utf-8", "replace"),
            )
        _read_outputs(run, out)
        return run
    finally:
        # NOTE: files the child's user left in folders it owns can only be
        # removed by root; without root they stay in the temporary folder.
        shutil.rmtree(base, ignore_errors=True)
