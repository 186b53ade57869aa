"""Batch mode: grade a whole class in parallel, write a gradebook, summarise.

A pool of grading processes, forked from this one, each start one sandbox and
grade their share of the submissions one after another in it, so a submission
costs a fork of the sandbox's zygote rather than a new interpreter. Results
travel back as pickled ``GradeResult`` objects between the grader's own
processes; student processes never send pickles. A grading process that dies
costs only the submission it was grading, which gets a grader-fault result,
and a new process takes its place.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import multiprocessing
import os
import signal
import statistics
import sys
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path

from grader import grading
from grader.cli import SUBMISSION_SUFFIXES
from grader.formats import write_atomic, write_results_json
from grader.messages import detect_language, render
from grader.result import CHECKS, FAILED, ExitCode, GradeResult, Message
from grader.sandbox import Limits, Sandbox, SandboxError

logger = logging.getLogger(__name__)

SKIPPED_FOLDERS = frozenset({"__pycache__", ".ipynb_checkpoints"})
"""Folder names never searched, besides hidden folders (names starting with '.')."""

SKIPPED_FILES = frozenset({"utils.py"})
"""File names never graded when found in a folder: the exercise ships utils.py."""

FOLDER_NAMED_FILES = frozenset({"submission.py", "perceptron.py", "perceptron.ipynb"})
"""File names whose folder, not the file, names the student."""

WATCHDOG_TIMEOUTS = 20
"""A grading process that spends more than this many time limits (plus a
minute) on one submission is killed. Time limits of the student's calls
already bound grading, so only a fault of the grader can reach this."""

REASON_WIDTH = 200
"""Characters kept of each one-line reason in the gradebook and failure list."""

TIMEOUT_KEYS = frozenset({"timeout", "cpu_limit"})
"""Feedback keys that mean the student's code was stopped for taking too long."""


class BatchError(Exception):
    """The command line names no gradable submission; the message gives the reason."""


@dataclasses.dataclass(frozen=True)
class Found:
    """A submission file found on the command line or in a folder."""

    path: Path
    root: Path | None
    """The folder given on the command line it was found in, or None for a file
    given by name."""


@dataclasses.dataclass
class BatchOutcome:
    """The results of a batch, in the order of the submissions, and its costs."""

    results: list[GradeResult]
    elapsed: float
    jobs: int
    peak_memory_kib: dict[str, int] = dataclasses.field(default_factory=dict)
    """Peak resident memory (VmHWM) of each grader process, by role and pid."""


# -- finding submissions and naming students


def find_submissions(paths: Sequence[Path]) -> list[Found]:
    """Find the .py and .ipynb files in ``paths``, sorted by path.

    Folders are searched recursively, skipping hidden folders and files,
    ``__pycache__``, ``.ipynb_checkpoints`` and files named ``utils.py``. A file
    named on the command line is graded whatever its name, and a file reached
    twice is graded once.

    Raises
    ------
    BatchError
        If a named file is not a submission, or nothing was found.
    """
    found: dict[Path, Found] = {}
    for path in paths:
        if path.is_dir():
            for file in _walk(path):
                found.setdefault(file.resolve(), Found(file, path))
        elif path.suffix.lower() in SUBMISSION_SUFFIXES:
            found.setdefault(path.resolve(), Found(path, None))
        else:
            raise BatchError(f"{path} is neither a .py file nor a .ipynb notebook.")
    if not found:
        names = ", ".join(str(path) for path in paths)
        raise BatchError(f"no .py or .ipynb files were found in {names}.")
    return sorted(found.values(), key=lambda item: item.path.parts)


def _walk(folder: Path) -> Iterable[Path]:
    for directory, subfolders, files in os.walk(folder):
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".") and name not in SKIPPED_FOLDERS
        ]
        for name in files:
            if name.startswith(".") or name in SKIPPED_FILES:
                continue
            if Path(name).suffix.lower() in SUBMISSION_SUFFIXES:
                yield Path(directory, name)


def student_ids(submissions: Sequence[Found]) -> list[str]:
    """Name the student of each submission, adding "-2", "-3", ... to clashing names.

    The name is the folder's when the file is named submission.py,
    perceptron.py or perceptron.ipynb, or when it is the only submission in a
    folder below a folder given on the command line. Otherwise it is the file
    name without its suffix.
    """
    per_folder = Counter(item.path.parent for item in submissions)
    ids = []
    used_ids: set[str] = set()
    for item in submissions:
        name = _student_name(item, per_folder[item.path.parent])
        unique, count = name, 1
        while unique in used_ids:
            count += 1
            unique = f"{name}-{count}"
        used_ids.add(unique)
        ids.append(unique)
    return ids


def _student_name(item: Found, files_in_folder: int) -> str:
    folder = item.path.parent
    below_root = item.root is not None and folder != item.root
    named = item.path.name.lower() in FOLDER_NAMED_FILES
    if named or (below_root and files_in_folder == 1):
        name = folder.resolve().name
        if name:
            return name
    return item.path.stem


# -- the pool of grading processes


def default_jobs() -> int:
    """Return the number of CPUs this process may run on."""
    count = getattr(os, "process_cpu_count", None)
    if count is not None:
        return count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def grader_fault(path: Path | str, seed: int | None, detail: str) -> GradeResult:
    """Build the result of a submission the grader failed to grade."""
    result = GradeResult(submission=str(path), seed=seed or 0)
    result.error = Message("grader_fault", {"detail": detail})
    return result


def _peak_memory_kib(pid: int | str = "self") -> int | None:
    """Read the peak resident memory (VmHWM) of a process from /proc."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _child_pids() -> list[int]:
    pid = os.getpid()
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except (OSError, ValueError):
        return []


def _serve(
    connection: Connection,
    inherited: list[Connection],
    limits: Limits,
    seed: int | None,
) -> None:
    """Grade the paths the parent sends until it sends None, in one sandbox.

    Runs in a forked grading process. Each request is ``(index, path)`` and
    each reply ``("result", index, GradeResult)``. The last reply is
    ``("memory", {...})`` with the peak memory of this process and its sandbox.
    ``inherited`` are the parent's ends of the pipes, copied by the fork.
    """
    # Closing them lets every grading process see the end of its pipe, and
    # stop, when the parent exits.
    for end in inherited:
        end.close()
    # Own process group: Ctrl-C reaches the parent only, which stops the pool.
    os.setpgrp()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    # The parent's progress bar may have replaced the streams, so log to the real ones.
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    sandbox, failure = _open_sandbox(limits)
    try:
        while True:
            try:
                request = connection.recv()
            except EOFError:
                return
            if request is None:
                break
            index, path = request
            if sandbox is None:
                result = grader_fault(path, seed, failure)
            else:
                result, sandbox, failure = _grade_in(sandbox, path, limits, seed)
            connection.send(("result", index, result))
        connection.send(("memory", _pool_memory()))
    except BrokenPipeError:
        logger.error("the batch ended before this grading process finished")
    finally:
        if sandbox is not None:
            sandbox.close()


def _open_sandbox(limits: Limits) -> tuple[Sandbox | None, str]:
    try:
        return Sandbox(limits, reap_orphans=True), ""
    except (SandboxError, OSError) as error:
        logger.error("could not start the sandbox: %s", error)
        return None, str(error)


def _grade_in(sandbox: Sandbox, path: Path, limits: Limits, seed: int | None):
    """Grade one path, and start a new sandbox after a fault of the old one."""
    try:
        result = grading.grade(path, sandbox=sandbox, seed=seed)
        if sandbox.broken:
            # The submission killed the zygote; the next one needs a new one.
            sandbox.close()
            sandbox, failure = _open_sandbox(limits)
            return result, sandbox, failure
        return result, sandbox, ""
    except SandboxError as error:
        logger.error("could not grade %s: %s", path, error)
        sandbox.close()
        sandbox, failure = _open_sandbox(limits)
        return grader_fault(path, seed, str(error)), sandbox, failure
    except Exception as error:  # noqa: BLE001 - a grader bug costs one submission
        logger.error("could not grade %s:\n%s", path, traceback.format_exc())
        detail = f"{type(error).__name__}: {error}"
        return grader_fault(path, seed, detail), sandbox, ""


def _pool_memory() -> dict[str, int]:
    memory = {f"pool {os.getpid()}": _peak_memory_kib() or 0}
    # The only children of a grading process are its sandbox's zygotes.
    for pid in _child_pids():
        memory[f"zygote {pid}"] = _peak_memory_kib(pid) or 0
    return memory


class _PoolProcess:
    """The parent's handle on one grading process and the task it runs."""

    def __init__(self, context, limits: Limits, seed: int | None, others: list):
        self.connection, child = context.Pipe()
        inherited = [self.connection, *(other.connection for other in others)]
        self.process = context.Process(
            target=_serve, args=(child, inherited, limits, seed), daemon=True
        )
        self.process.start()
        child.close()
        self.task: int | None = None
        self.started = 0.0

    def assign(self, index: int, path: Path) -> None:
        self.connection.send((index, path))
        self.task = index
        self.started = time.monotonic()

    def stop(self, grace: float) -> None:
        """Ask the process to finish, then terminate it after ``grace`` seconds."""
        try:
            self.connection.send(None)
        except OSError:
            pass
        self.process.join(grace)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        self.connection.close()


class _Pool:
    """Grading processes fed one submission at a time, replaced when they die.

    NOTE: the processes are forked after NumPy is imported, while OpenBLAS's
    idle worker threads exist. This process runs no NumPy computation, so no
    BLAS lock is held at a fork, but Python 3.12 and later warn about forking
    a process with threads (a DeprecationWarning, hidden by default).
    """

    def __init__(self, jobs: int, limits: Limits, seed: int | None, size: int):
        self._context = multiprocessing.get_context("fork")
        self._restarts = 0
        self._max_restarts = size
        self._limits = limits
        self._seed = seed
        self._watchdog = limits.timeout * WATCHDOG_TIMEOUTS + 60
        self.processes: list[_PoolProcess] = []
        for _ in range(jobs):
            self.processes.append(self._start())
        self.memory: dict[str, int] = {}

    def _start(self) -> _PoolProcess:
        return _PoolProcess(self._context, self._limits, self._seed, self.processes)

    def run(self, paths: Sequence[Path], on_progress: Callable[[int], None]):
        """Grade ``paths`` and return their results in the same order.

        ``on_progress`` receives the number of results so far, about ten
        times a second and after each result.
        """
        results: list[GradeResult | None] = [None] * len(paths)
        queue = deque(range(len(paths)))
        done = 0
        while queue or any(p.task is not None for p in self.processes):
            if not self.processes:
                self._fail_all(queue, paths, results)
                break
            for process in self.processes:
                if process.task is None and queue:
                    index = queue.popleft()
                    process.assign(index, paths[index])
            ready = wait([p.connection for p in self.processes], timeout=0.1)
            for process in list(self.processes):
                if process.connection in ready:
                    done += self._receive(process, paths, results)
                elif self._overdue(process):
                    done += self._replace(process, paths, results, overdue=True)
            on_progress(done)
        return results

    def _fail_all(self, queue: deque, paths, results) -> None:
        detail = "every grading process ended; see the errors logged above"
        while queue:
            index = queue.popleft()
            results[index] = grader_fault(paths[index], self._seed, detail)

    def _receive(self, process: _PoolProcess, paths, results) -> bool:
        try:
            _, index, result = process.connection.recv()
        except (EOFError, OSError):
            return self._replace(process, paths, results, overdue=False)
        results[index] = result
        process.task = None
        return True

    def _overdue(self, process: _PoolProcess) -> bool:
        if process.task is None:
            return False
        return time.monotonic() - process.started > self._watchdog

    def _replace(self, process: _PoolProcess, paths, results, overdue: bool) -> bool:
        """Record a fault for the process's submission and start a new process.

        Returns whether a submission got its result. After as many restarts
        as there are submissions, a process that ends is not replaced, so a
        machine that cannot run grading processes ends the batch.
        """
        index = process.task
        process.stop(grace=0)
        code = process.process.exitcode
        position = self.processes.index(process)
        if self._restarts < self._max_restarts:
            self._restarts += 1
            self.processes[position] = self._start()
        else:
            del self.processes[position]
        if index is None:
            logger.error("a grading process ended with exit code %s", code)
            return False
        if overdue:
            detail = f"grading took more than {self._watchdog:g} s and was stopped"
        else:
            detail = f"the grading process ended unexpectedly (exit code {code})"
        logger.error("could not grade %s: %s", paths[index], detail)
        results[index] = grader_fault(paths[index], self._seed, detail)
        return True

    def close(self) -> None:
        """Stop every process, collecting the peak memory each reports."""
        for process in self.processes:
            try:
                process.connection.send(None)
            except OSError:
                continue
        for process in self.processes:
            self._collect_memory(process)
            process.stop(grace=10)

    def _collect_memory(self, process: _PoolProcess) -> None:
        try:
            if process.connection.poll(10):
                kind, memory = process.connection.recv()
                if kind == "memory":
                    self.memory.update(memory)
        except (EOFError, OSError, ValueError):
            pass

    def terminate(self) -> None:
        for process in self.processes:
            process.process.terminate()
        for process in self.processes:
            process.stop(grace=5)


def grade_submissions(
    paths: Sequence[Path],
    *,
    limits: Limits,
    seed: int | None = None,
    jobs: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> BatchOutcome:
    """Grade ``paths`` on ``jobs`` processes; results keep the order of ``paths``.

    ``on_progress`` is called in this process with the number of submissions
    graded so far, about ten times a second. A broken submission, or a fault
    of the grader while grading it, becomes a result: one whose ``error`` is
    set for a fault. Only a failure to start the pool raises, such as OSError
    from fork.
    """
    if not paths:
        return BatchOutcome([], 0.0, 0)
    jobs = min(jobs or default_jobs(), len(paths))
    start = time.monotonic()
    # The grading processes are forked from this one, so each starts with the
    # probes drawn and their expected values computed.
    from grader.grading import prepared_plan, resolve_seed

    prepared_plan(resolve_seed(seed))
    pool = _Pool(jobs, limits, seed, len(paths))
    try:
        results = pool.run(paths, on_progress or (lambda done: None))
    except BaseException:
        pool.terminate()
        raise
    pool.close()
    memory = {f"parent {os.getpid()}": _peak_memory_kib() or 0, **pool.memory}
    elapsed = time.monotonic() - start
    return BatchOutcome(results, elapsed, jobs, memory)


# -- the gradebook and the summary


def one_line(text: str, width: int = REASON_WIDTH) -> str:
    """Collapse whitespace to single spaces and cut the text to ``width``."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def lost_points_reasons(result: GradeResult, language: str) -> str:
    """Give the first feedback message of each failed check, on one line.

    Checks that failed with the same message share one entry, so a crash that
    fails every check is named once. Entries are joined with " | ".
    """
    if result.error is not None:
        detail = render(
            Message("report_grader_error", {"detail": result.error}), language
        )
        return one_line(detail)
    checks_by_reason: dict[str, list[str]] = {}
    for check in result.checks:
        if check.status == FAILED and check.feedback:
            reason = one_line(render(check.feedback[0], language))
            checks_by_reason.setdefault(reason, []).append(check.name)
    entries = [
        f"{', '.join(names)}: {reason}" for reason, names in checks_by_reason.items()
    ]
    return " | ".join(entries)


def gradebook_rows(
    ids: Sequence[str], results: Sequence[GradeResult], language: str
) -> list[list]:
    """Build the gradebook's rows: a header, then one row per submission.

    A submission the grader failed on has empty score cells, not zeros.
    """
    header = ["id", "path", "score", *CHECKS, "reasons"]
    rows = [header]
    for student, result in zip(ids, results, strict=True):
        reasons = lost_points_reasons(result, language)
        if result.error is not None:
            points = [""] * (len(CHECKS) + 1)
        else:
            scores = {check.name: check.score for check in result.checks}
            points = [result.score, *(scores.get(name, 0) for name in CHECKS)]
        rows.append([student, result.submission, *points, reasons])
    return rows


def write_gradebook(
    ids: Sequence[str], results: Sequence[GradeResult], path: Path | str, language: str
) -> None:
    """Write the gradebook as CSV, atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(gradebook_rows(ids, results, language))
    write_atomic(path, buffer.getvalue())


def write_json_dir(
    ids: Sequence[str],
    results: Sequence[GradeResult],
    folder: Path | str,
    language: str,
) -> None:
    """Write one Gradescope results.json per submission, named by student id."""
    for student, result in zip(ids, results, strict=True):
        write_results_json(result, Path(folder, f"{student}.json"), language)


def failures(outcome: BatchOutcome, language: str) -> list[tuple[str, str, str]]:
    """List the submissions that were not fully graded: (kind, path, reason).

    The kind is "grader_fault" (the grader failed), "timed_out" (the
    student's code was stopped for taking too long in some call, loading
    included) or "not_loaded" (the file could not be read or its top-level
    code failed otherwise).
    """
    found = []
    for result in outcome.results:
        kind, message = _failure(result)
        if kind is not None:
            found.append((kind, result.submission, one_line(render(message, language))))
    return found


def _failure(result: GradeResult) -> tuple[str | None, Message | None]:
    if result.error is not None:
        return "grader_fault", Message("report_grader_error", {"detail": result.error})
    for check in result.checks:
        for message in check.feedback:
            if message.key in TIMEOUT_KEYS:
                return "timed_out", message
    first = result.first_to_fix()
    if first is not None and first.name == "load":
        return "not_loaded", first.feedback[0] if first.feedback else Message(
            "check_load"
        )
    return None, None


def score_histogram(scores: Sequence[int], width: int = 40) -> list[str]:
    """Draw the score distribution in bins of 10 points, 100 on its own row."""
    bins = Counter(min(score // 10, 10) for score in scores)
    largest = max(bins.values(), default=0)
    lines = []
    for bin_index in range(11):
        label = "100" if bin_index == 10 else f"{bin_index * 10}-{bin_index * 10 + 9}"
        count = bins.get(bin_index, 0)
        bar = "#" * round(width * count / largest) if largest else ""
        if count and not bar:
            bar = "#"
        lines.append(f"  {label:>6} | {bar:<{width}} {count}")
    return lines


def mistake_counts(results: Iterable[GradeResult]) -> tuple[Counter, Counter]:
    """Count submissions per diagnosed mistake id and per failed check name."""
    mistakes: Counter = Counter()
    failed: Counter = Counter()
    for result in results:
        mistakes.update({c.mistake for c in result.checks if c.mistake})
        failed.update({c.name for c in result.checks if c.status == FAILED})
    return mistakes, failed


def render_summary(outcome: BatchOutcome, language: str) -> str:
    """Render the class summary: counts, scores, common mistakes, failures."""

    def text(key: str, **params) -> str:
        return render(Message(key, params), language)

    graded = [r for r in outcome.results if r.error is None]
    scores = [r.score for r in graded]
    rate = len(outcome.results) / outcome.elapsed if outcome.elapsed else 0.0
    lines = [
        text(
            "batch_graded",
            count=len(outcome.results),
            seconds=round(outcome.elapsed, 1),
            rate=round(rate, 1),
            jobs=outcome.jobs,
        ),
        "",
        text("batch_scores"),
        *score_histogram(scores),
    ]
    if scores:
        mean = round(statistics.fmean(scores), 1)
        median = statistics.median(scores)
        lines.append(text("batch_mean_median", mean=mean, median=median))
    full = sum(r.full_marks for r in outcome.results)
    lines.append(text("batch_full_marks", count=full, total=len(outcome.results)))
    mistakes, failed_checks = mistake_counts(graded)
    lines += _count_section(text("batch_mistakes"), mistakes)
    lines += _count_section(text("batch_failed_checks"), failed_checks)
    lines += _failure_section(outcome, language)
    return "\n".join(lines) + "\n"


def _count_section(title: str, counts: Counter) -> list[str]:
    if not counts:
        return []
    lines = ["", title]
    for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"  {count:>5}  {name}")
    return lines


def _failure_section(outcome: BatchOutcome, language: str) -> list[str]:
    found = failures(outcome, language)
    if not found:
        return []
    title = render(Message("batch_failures", {"count": len(found)}), language)
    lines = ["", title]
    for kind, path, reason in found:
        label = render(Message(f"batch_{kind}"), language)
        lines.append(f"  {path}: {label}: {reason}")
    return lines


# -- the command


def _progress(total: int, enabled: bool):
    """Return a rich progress bar on standard error, or None when disabled.

    The bar is refreshed by the caller rather than by rich's own thread, so
    no thread runs when a grading process is forked.
    """
    if not enabled or not (sys.stdout.isatty() and sys.stderr.isatty()):
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        auto_refresh=False,
        transient=True,
    )
    progress.add_task("grading", total=total)
    return progress


def run_batch(paths: Sequence[Path], options) -> int:
    """Grade every submission in ``paths``, print the summary, write the files.

    ``options`` are the parsed options of the ``grade`` command. Returns the
    exit status: 0 when every submission got full marks, 1 when any is below
    full marks, 2 when the grader failed on any.

    Raises
    ------
    BatchError
        If the paths contain no submission, or $GRADER_SEED is invalid.
    """
    found = find_submissions(paths)
    try:
        seed = grading.resolve_seed(options.seed)
    except ValueError as error:
        raise BatchError(str(error)) from None
    language = detect_language(options.lang)
    limits = Limits(timeout=options.timeout, memory_mib=options.memory)
    progress = _progress(len(found), not options.no_progress)

    def show(done: int) -> None:
        if progress is not None:
            progress.update(progress.task_ids[0], completed=done)
            progress.refresh()

    if progress is not None:
        progress.start()
    try:
        outcome = grade_submissions(
            [item.path for item in found],
            limits=limits,
            seed=seed,
            jobs=options.jobs,
            on_progress=show,
        )
    finally:
        if progress is not None:
            progress.stop()
    return publish_batch(outcome, student_ids(found), options, language)


def publish_batch(
    outcome: BatchOutcome, ids: Sequence[str], options, language: str
) -> int:
    """Print the summary, write the requested files, return the exit status."""
    summary = render_summary(outcome, language)
    if options.github:
        # The summary quotes file names and exception messages of students, so
        # a line of it could otherwise run as a GitHub workflow command.
        from grader.github import print_without_commands

        print_without_commands(summary)
    else:
        sys.stdout.write(summary)
    if options.csv:
        write_gradebook(ids, outcome.results, options.csv, language)
    if options.json_dir:
        write_json_dir(ids, outcome.results, options.json_dir, language)
    if options.junit:
        from grader.junit import write_junit

        write_junit(outcome.results, options.junit, language)
    if options.github:
        from grader.github import publish_github

        publish_github(outcome.results, language)
    worst = max(int(result.exit_code) for result in outcome.results)
    return ExitCode(worst)
