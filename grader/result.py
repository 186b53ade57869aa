"""The outcome of grading one submission, as plain data.

Feedback is kept as message keys with parameters, not as text, so that every
output (terminal, results.json, JUnit, job summary, notebook) renders the same
content in the reader's language.
"""

from __future__ import annotations

import dataclasses
import enum


class ExitCode(enum.IntEnum):
    """Exit status of ``grade``."""

    FULL_MARKS = 0
    BELOW_FULL_MARKS = 1
    """Graded below full marks, a crash or time-out of the submission included."""
    GRADER_ERROR = 2
    """A usage error or a fault of the grader itself."""


@dataclasses.dataclass(frozen=True)
class Message:
    """A message from the catalog in ``messages.py``, with its parameters."""

    key: str
    params: dict = dataclasses.field(default_factory=dict)


# Stable check names and their points; the README lists them too.
CHECKS: dict[str, int] = {
    "load": 0,
    "backward.d_weights": 15,
    "backward.d_biases": 10,
    "backward.da_prev": 15,
    "backward.update": 10,
    "fit.one_step": 15,
    "fit.replay": 15,
    "fit.loss_report": 10,
    "fit.loss_falls": 10,
}

PASSED = "passed"
FAILED = "failed"
NOT_RUN = "not_run"


@dataclasses.dataclass
class CheckResult:
    """The verdict of one check."""

    name: str
    status: str
    feedback: list[Message] = dataclasses.field(default_factory=list)
    line: int | None = None
    """Line of the student's code the feedback points at, when known."""
    cell: str | None = None
    """Notebook cell of that line, for notebook submissions."""
    mistake: str | None = None
    """Id of a known misconception the grader recognised, if any."""

    @property
    def max_score(self) -> int:
        return CHECKS[self.name]

    @property
    def score(self) -> int:
        return self.max_score if self.status == PASSED else 0


@dataclasses.dataclass
class GradeResult:
    """Everything the grader found about one submission."""

    submission: str
    seed: int
    checks: list[CheckResult] = dataclasses.field(default_factory=list)
    notes: list[Message] = dataclasses.field(default_factory=list)
    output: dict = dataclasses.field(default_factory=dict)
    """The student's captured output: {"stdout": {...}, "stderr": {...}}, each
    with "head", "tail" and "total" (characters written)."""
    execution_time: float = 0.0
    error: Message | None = None
    """Set when the grader itself failed and could not grade."""
    curves: dict = dataclasses.field(default_factory=dict)
    """Loss per epoch, "expected" and "found", for the loss curve display."""

    @property
    def score(self) -> int:
        return sum(check.score for check in self.checks)

    @property
    def max_score(self) -> int:
        return sum(CHECKS.values())

    @property
    def full_marks(self) -> bool:
        return self.error is None and self.score == self.max_score

    @property
    def exit_code(self) -> ExitCode:
        if self.error is not None:
            return ExitCode.GRADER_ERROR
        return ExitCode.FULL_MARKS if self.full_marks else ExitCode.BELOW_FULL_MARKS

    def check(self, name: str) -> CheckResult:
        return next(check for check in self.checks if check.name == name)

    def first_to_fix(self) -> CheckResult | None:
        """The earliest failed check in the chain load, backward, fit."""
        return next((c for c in self.checks if c.status == FAILED), None)
