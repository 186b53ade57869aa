"""Grade one submission: run it in the sandbox, then judge what it reported."""

from __future__ import annotations

import os
import time
from pathlib import Path

from grader import checks, diagnosis, probes
from grader.result import (
    CHECKS,
    FAILED,
    NOT_RUN,
    PASSED,
    CheckResult,
    GradeResult,
    Message,
)
from grader.sandbox import CappedBuffer, Outcome, Sandbox
from grader.submission import Submission, SubmissionError, read_submission

DEFAULT_SEED = 0
SEED_VARIABLE = "GRADER_SEED"
"""Environment variable that sets the seed when --seed is not given, so that
official grading can use probe points students do not know."""

UTILS_PATH = Path(__file__).resolve().parent.parent / "exercise" / "utils.py"


def utils_path() -> Path:
    """Locate the trusted utils.py: the installed copy, else the repository's."""
    packaged = Path(__file__).resolve().parent / "exercise" / "utils.py"
    for candidate in (packaged, UTILS_PATH):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"utils.py was not found at {UTILS_PATH}")


def resolve_seed(seed: int | None) -> int:
    if seed is not None:
        return seed
    value = os.environ.get(SEED_VARIABLE, "").strip()
    if value:
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{SEED_VARIABLE}={value!r} is not an integer") from None
    return DEFAULT_SEED


def load_training_data():
    """Read X_train and y_train from the trusted utils.py, in this process."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_trusted_utils", utils_path())
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.X_train, module.y_train


MAX_WARNINGS = 5
MAX_WARNING_LENGTH = 200

CALLERS = {"backward": "fit"}
"""Kinds of calls whose time-out makes the calls of another kind pointless."""


RESOURCE_ERRORS = ("MemoryError", "OutputLimitExceeded")
"""Errors that a submission would repeat, slowly, in every later call."""


def _out_of_resources(outcome: Outcome) -> bool:
    error = (outcome.reply or {}).get("error")
    return isinstance(error, dict) and error.get("type") in RESOURCE_ERRORS


class StudentRun:
    """The calls into one submission, restarting its process when needed.

    After a call of one kind times out or ends the process, later calls of
    that kind are not made again: they would fail the same way, and skipping
    them keeps grading within a few time limits.
    """

    def __init__(
        self, sandbox: Sandbox, submission: Submission, timeout: float, calls: int
    ):
        self._sandbox = sandbox
        self._submission = submission
        self._timeout = timeout
        self._calls = calls
        self._worker = None
        self._utils = utils_path().read_bytes()
        self._failed_kinds: dict[str, Outcome] = {}
        self.load_outcome: Outcome | None = None
        self.notes: set[str] = set()
        self.warnings: list[str] = []
        self._captured = {"stdout": CappedBuffer(), "stderr": CappedBuffer()}

    def _send_load(self) -> None:
        files = {
            "submission.py": self._submission.source_bytes(),
            "utils.py": self._utils,
        }
        self._worker = self._sandbox.start_worker(files, self._calls)
        self._worker.send(
            {
                "op": "load",
                "cells": [
                    {"source": c.source, "filename": c.filename, "label": c.label}
                    for c in self._submission.cells
                ],
                "stop_on_error": not self._submission.is_notebook,
            }
        )

    def _receive_load(self) -> Outcome:
        outcome = self._worker.receive(self._timeout)
        self._collect_notes(outcome, keep_output=self.load_outcome is None)
        return outcome

    def begin_load(self) -> None:
        """Start the worker and send it the submission to run."""
        self._send_load()

    def finish_load(self) -> Outcome:
        """Wait for the submission's top-level code to finish."""
        self.load_outcome = self._receive_load()
        return self.load_outcome

    def _restart(self) -> Outcome | None:
        """Start a new worker after the last one ended; None when it loaded."""
        self._send_load()
        outcome = self._receive_load()
        if outcome.kind != "reply":
            return outcome
        errors = outcome.reply.get("cell_errors")
        if errors and not self._submission.is_notebook:
            return outcome
        return None

    def call_all(self, items: list[tuple[str, dict]], prepare=None) -> list[Outcome]:
        """Send every request at once, then collect the replies in order.

        ``prepare`` runs while the worker works on the first requests. After
        a time-out or a crash, the worker is restarted for the requests left.
        """
        outcomes: list[Outcome | None] = [None] * len(items)
        pending = list(range(len(items)))
        while pending:
            todo = []
            for index in pending:
                kind = items[index][0]
                if kind in self._failed_kinds:
                    outcomes[index] = self._failed_kinds[kind]
                else:
                    todo.append(index)
            if not todo:
                break
            if not self._worker.alive:
                failure = self._restart()
                if failure is not None:
                    for index in todo:
                        self._failed_kinds.setdefault(items[index][0], failure)
                        outcomes[index] = failure
                    break
            for index in todo:
                request = items[index][1]
                if callable(request):
                    request = items[index] = (items[index][0], request())
                    request = request[1]
                self._worker.send(request)
            if prepare is not None:
                prepare()
                prepare = None
            pending = []
            for position, index in enumerate(todo):
                outcome = self._worker.receive(self._timeout)
                self._collect_notes(outcome)
                outcomes[index] = outcome
                kind = items[index][0]
                if outcome.kind != "reply" or _out_of_resources(outcome):
                    self._failed_kinds[kind] = outcome
                    if outcome.kind == "timeout" and kind in CALLERS:
                        # fit() calls backward(), so it would hang the same way.
                        skipped = Outcome("skipped", reply={"method": f"{kind}()"})
                        self._failed_kinds.setdefault(CALLERS[kind], skipped)
                    # The worker is stopped, since it would go on with the
                    # requests already sent to it; the rest are sent again.
                    self._worker.close()
                    pending = todo[position + 1 :]
                    break
        if prepare is not None:
            prepare()
        return outcomes

    def _collect_notes(self, outcome: Outcome, keep_output: bool = False) -> None:
        """Collect the notes of a reply, and its output when it is the first load.

        Only the top-level code's output is shown in the report: what the
        grader's own calls make a submission print would be noise.
        """
        if outcome.kind != "reply":
            return
        self.notes.update(str(note) for note in outcome.reply.get("notes", []))
        output = outcome.reply.get("output")
        if not isinstance(output, dict):
            return
        self._collect_warnings(output.get("stderr"))
        if not keep_output:
            return
        for stream, buffer in self._captured.items():
            part = output.get(stream)
            if isinstance(part, dict):
                buffer.add_text(
                    str(part.get("head", "")),
                    str(part.get("tail", "")),
                    part.get("total"),
                )

    def _collect_warnings(self, stderr) -> None:
        """Keep the first distinct lines a call wrote to standard error.

        Warnings (a NumPy overflow, matplotlib's non-interactive backend)
        become notes of the report; they never cost points.
        """
        if not isinstance(stderr, dict):
            return
        for line in str(stderr.get("head", "")).splitlines():
            line = line.strip()[:MAX_WARNING_LENGTH]
            if line and line not in self.warnings and len(self.warnings) < MAX_WARNINGS:
                self.warnings.append(line)

    def output(self) -> dict:
        """The student's output: what print() wrote and what reached the fds."""
        if self._worker is not None:
            for stream, buffer in self._captured.items():
                raw = getattr(self._worker, stream).text()
                buffer.add_text(raw["head"], raw["tail"], raw["total"])
        return {stream: buffer.text() for stream, buffer in self._captured.items()}

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()


def _load_check(
    outcome: Outcome, submission: Submission, timeout: float
) -> tuple[CheckResult, list[Message]]:
    notes = []
    failure = checks.call_failure(outcome, "load", timeout)
    if failure is not None:
        return CheckResult("load", FAILED, [failure]), notes
    reply = outcome.reply
    errors = reply.get("cell_errors") or []
    classes = reply.get("classes") or {}
    missing = []
    for class_name, methods in (
        ("Layer", ("__init__", "forward", "backward")),
        ("Perceptron", ("__init__", "forward", "fit")),
    ):
        entry = classes.get(class_name) or {}
        if not entry.get("found") or not entry.get("is_class"):
            missing.append(Message("class_missing", {"name": class_name}))
            continue
        for method in methods:
            info = (entry.get("methods") or {}).get(method) or {}
            if not info.get("found"):
                missing.append(
                    Message("method_missing", {"name": f"{class_name}.{method}"})
                )
    if errors and (not submission.is_notebook or missing):
        error = errors[0]
        message = checks.exception_message(error, "load")
        return CheckResult(
            "load", FAILED, [message], line=error.get("line"), cell=error.get("cell")
        ), notes
    for error in errors:
        notes.append(
            Message(
                "cell_raised",
                {
                    "cell": error.get("cell"),
                    "type": error.get("type"),
                    "message": error.get("message"),
                    "line": error.get("line"),
                },
            )
        )
    if missing:
        # A class missing from a notebook is often in a cell left out for a
        # syntax error: show that error first.
        return CheckResult("load", FAILED, submission.syntax_errors + missing), notes
    return CheckResult("load", PASSED), notes


def _method_lines(outcome: Outcome | None) -> dict[str, tuple[int | None, str | None]]:
    if outcome is None or outcome.kind != "reply":
        return {}
    lines = {}
    for class_name, entry in (outcome.reply.get("classes") or {}).items():
        for method, info in (entry.get("methods") or {}).items():
            lines[f"{class_name}.{method}"] = (info.get("line"), info.get("file"))
    return lines


def _run_checks(result, run, plan, timeout, load_outcome) -> None:
    def falls_request() -> dict:
        X_train, y_train = load_training_data()
        plan.loss_falls = probes.make_falls_probe(plan.seed, X_train, y_train)
        return plan.loss_falls.request()

    items = [("backward", p.request()) for p in plan.backward]
    items += [("fit", p.request()) for p in plan.one_step]
    items += [("fit", p.request()) for p in (plan.replay, plan.loss_report)]
    items.append(("fit", falls_request))
    outcomes = run.call_all(items, prepare=lambda: checks.prepare(plan))
    count = len(plan.backward)
    steps = len(plan.one_step)
    backward_outcomes = outcomes[:count]
    fit_outcomes = {
        "one_step": outcomes[count : count + steps],
        "replay": [outcomes[count + steps]],
        "loss_report": [outcomes[count + steps + 1]],
        "loss_falls": [outcomes[count + steps + 2]],
    }
    backward_results = checks.evaluate_backward(
        plan.backward, backward_outcomes, timeout
    )
    fit_results, curves = checks.evaluate_fit(plan, fit_outcomes, timeout)
    result.checks += backward_results + fit_results
    result.curves = curves
    lines = _method_lines(load_outcome)
    for check in result.checks:
        method = (
            "Layer.backward" if check.name.startswith("backward") else "Perceptron.fit"
        )
        if check.status == FAILED and check.line is None and method in lines:
            check.line, check.cell = lines[method]
    if any(c.status == FAILED for c in backward_results):
        for check in fit_results:
            if check.status == FAILED:
                check.feedback.append(Message("fit_after_backward"))
    diagnosis.explain(result.checks, plan, backward_outcomes, fit_outcomes)


def grade(
    path: str | Path,
    *,
    sandbox: Sandbox,
    seed: int | None = None,
    timeout: float | None = None,
) -> GradeResult:
    """Grade the submission at ``path``; never raises for a broken submission."""
    start = time.monotonic()
    seed = resolve_seed(seed)
    timeout = timeout if timeout is not None else sandbox.limits.timeout
    result = GradeResult(submission=str(path), seed=seed)
    try:
        submission = read_submission(path)
    except SubmissionError as error:
        result.checks.append(
            CheckResult(
                "load", FAILED, [error.message], line=error.line, cell=error.cell
            )
        )
        result.checks += checks.not_run(
            [n for n in CHECKS if n != "load"], Message("depends_on_load")
        )
        result.execution_time = time.monotonic() - start
        return result
    result.notes += submission.notes
    result.notes += [
        Message("cell_left_out", {"detail": m}) for m in submission.syntax_errors
    ]

    requests = 1 + probes.REQUESTS
    run = StudentRun(sandbox, submission, timeout, requests)
    try:
        run.begin_load()
        X_train, y_train = load_training_data()
        plan = probes.make_plan(seed, X_train, y_train, falls=False)
        load_outcome = run.finish_load()
        load_check, load_notes = _load_check(load_outcome, submission, timeout)
        result.checks.append(load_check)
        result.notes += load_notes
        if load_check.status != PASSED:
            result.checks += checks.not_run(
                [n for n in CHECKS if n != "load"], Message("depends_on_load")
            )
        else:
            _run_checks(result, run, plan, timeout, load_outcome)
    finally:
        run.close()
    result.notes += [Message(f"note_{key}") for key in sorted(run.notes)]
    result.output = run.output()
    if run.warnings:
        result.notes.append(
            Message("stderr_written", {"lines": "\n    ".join(run.warnings)})
        )
    result.execution_time = time.monotonic() - start
    assert all(c.status in (PASSED, FAILED, NOT_RUN) for c in result.checks)
    return result
