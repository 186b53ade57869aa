"""The calls into one submission's worker, restarted when needed.

This module imports only the standard library and the grader's light
modules, so the command line can start a submission's worker before it
imports NumPy and the checks.
"""

from __future__ import annotations

import time
from pathlib import Path

from grader.sandbox import CappedBuffer, Outcome, Sandbox
from grader.submission import Submission

UTILS_PATH = Path(__file__).resolve().parent.parent / "exercise" / "utils.py"


def utils_path() -> Path:
    """Locate the trusted utils.py: the installed copy, else the repository's."""
    packaged = Path(__file__).resolve().parent / "exercise" / "utils.py"
    for candidate in (packaged, UTILS_PATH):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"utils.py was not found at {UTILS_PATH}")


CALLS = 1 + 3 + 2 + 3
"""Calls one grading run makes: loading the file, three backward() probes,
then five fit() probes. The CPU-time limit of a worker is sized by it."""

BUDGET_CALLS = 3
"""Time limits a whole submission may use: loading it, the backward()
probes and the fit() probes may each take up to one, but no more in all."""

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
        self,
        sandbox: Sandbox,
        submission: Submission,
        timeout: float,
        calls: int = CALLS,
    ):
        self._sandbox = sandbox
        self.submission = submission
        self._timeout = timeout
        self._calls = calls
        self._worker = None
        self._utils = utils_path().read_bytes()
        self._failed_kinds: dict[str, Outcome] = {}
        self._not_after: float | None = None
        self.load_outcome: Outcome | None = None
        self.notes: set[str] = set()
        self.warnings: list[str] = []
        self._captured = {"stdout": CappedBuffer(), "stderr": CappedBuffer()}

    def _send_load(self) -> None:
        files = {
            "submission.py": self.submission.source_bytes(),
            "utils.py": self._utils,
        }
        self._worker = self._sandbox.start_worker(files, self._calls)
        self._worker.send(
            {
                "op": "load",
                "cells": [
                    {"source": c.source, "filename": c.filename, "label": c.label}
                    for c in self.submission.cells
                ],
                "stop_on_error": not self.submission.is_notebook,
            }
        )

    def _receive_load(self) -> Outcome:
        outcome = self._worker.receive(self._timeout, self._not_after)
        self._collect_notes(outcome, keep_output=self.load_outcome is None)
        return outcome

    def begin_load(self) -> None:
        """Start the worker and send it the submission to run."""
        self._not_after = time.monotonic() + BUDGET_CALLS * self._timeout
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
        if errors and not self.submission.is_notebook:
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
            if time.monotonic() >= self._not_after:
                for index in todo:
                    outcomes[index] = Outcome("over_budget")
                break
            if not self._worker.alive:
                failure = self._restart()
                if failure is not None:
                    for index in todo:
                        self._failed_kinds.setdefault(items[index][0], failure)
                        outcomes[index] = failure
                    break
            for index in todo:
                self._worker.send(items[index][1])
            if prepare is not None:
                prepare()
                prepare = None
            pending = []
            for position, index in enumerate(todo):
                outcome = self._worker.receive(self._timeout, self._not_after)
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
        """Return the student's output: what print() wrote and what reached the fds."""
        if self._worker is not None:
            for stream, buffer in self._captured.items():
                raw = getattr(self._worker, stream).text()
                buffer.add_text(raw["head"], raw["tail"], raw["total"])
        return {stream: buffer.text() for stream, buffer in self._captured.items()}

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
