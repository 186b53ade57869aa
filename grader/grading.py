"""Grade one submission: run it in the sandbox, then judge what it reported."""

from __future__ import annotations

import logging
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
from grader.run import StudentRun, utils_path
from grader.sandbox import Outcome, Sandbox, SandboxError
from grader.submission import Submission, SubmissionError, read_submission

logger = logging.getLogger(__name__)

DEFAULT_SEED = 0
SEED_VARIABLE = "GRADER_SEED"
"""Environment variable that sets the seed when --seed is not given, so that
official grading can use probe points students do not know."""


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
    items = [("backward", p.request()) for p in plan.backward]
    items += [("fit", p.request()) for p in plan.one_step]
    items += [
        ("fit", p.request()) for p in (plan.replay, plan.loss_report, plan.loss_falls)
    ]
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
    # The replies come from the student's process, which may have tampered
    # with the worker: any failure to read them fails the checks that needed
    # them, and never stops the grader.
    try:
        backward_results = checks.evaluate_backward(
            plan.backward, backward_outcomes, timeout
        )
    except Exception as error:  # noqa: BLE001 - malformed replies can raise anything
        _log_unreadable(result.submission, "backward()", error)
        backward_results = _unreadable(checks.BACKWARD_CHECKS, "backward()")
    try:
        fit_results, curves = checks.evaluate_fit(plan, fit_outcomes, timeout)
    except Exception as error:  # noqa: BLE001 - malformed replies can raise anything
        _log_unreadable(result.submission, "fit()", error)
        fit_results, curves = _unreadable(checks.FIT_CHECKS, "fit()"), {}
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
    try:
        diagnosis.explain(result.checks, plan, backward_outcomes, fit_outcomes)
    except Exception as error:  # noqa: BLE001 - the diagnosis only adds hints
        _log_unreadable(result.submission, "the diagnosis", error)


def _fail_unfinished(result: GradeResult, message: Message) -> None:
    """Fail every check without a verdict yet, with ``message``."""
    decided = {check.name for check in result.checks}
    if "load" not in decided:
        result.checks.append(CheckResult("load", FAILED, [message]))
        decided.add("load")
    result.checks += [
        CheckResult(name, FAILED, [message]) for name in CHECKS if name not in decided
    ]


def _unreadable(names, method: str) -> list[CheckResult]:
    message = Message("invalid_reply", {"method": method})
    return [CheckResult(name, FAILED, [message]) for name in names]


def _log_unreadable(submission: str, what: str, error: Exception) -> None:
    logger.warning(
        "grade: the replies for %s of %s could not be read (%s: %s); the checks "
        "that need them fail",
        what,
        submission,
        type(error).__name__,
        error,
    )


_PLANS: dict[int, probes.Plan] = {}


def prepared_plan(seed: int, prepare: bool = True) -> probes.Plan:
    """Return the probes of ``seed``, drawn once per process and then reused.

    A plan depends only on the seed and the trusted utils.py, never on a
    submission, and its expected values are computed once (``prepare``).
    Batch mode calls this before it forks its grading processes, so they all
    start with the plan ready.
    """
    plan = _PLANS.get(seed)
    if plan is None:
        X_train, y_train = load_training_data()
        plan = _PLANS[seed] = probes.make_plan(seed, X_train, y_train)
    if prepare:
        checks.prepare(plan)
    return plan


def forget_plans() -> None:
    """Drop the plans drawn so far, so that the next grade draws anew."""
    _PLANS.clear()


def grade(
    path: str | Path,
    *,
    sandbox: Sandbox,
    seed: int | None = None,
    timeout: float | None = None,
    run: StudentRun | None = None,
) -> GradeResult:
    """Grade the submission at ``path``; never raises for a broken submission.

    ``run`` is a StudentRun of this submission whose load has already begun:
    the command line starts it before importing NumPy, so that the worker
    runs the student's top-level code while the grader imports.
    """
    start = time.monotonic()
    seed = resolve_seed(seed)
    timeout = timeout if timeout is not None else sandbox.limits.timeout
    result = GradeResult(submission=str(path), seed=seed)
    try:
        submission = run.submission if run else read_submission(path)
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

    if run is None:
        run = StudentRun(sandbox, submission, timeout)
        run.begin_load()
    try:
        plan = prepared_plan(seed, prepare=False)
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
        run.close()
    except SandboxError as error:
        # The zygote responds in milliseconds and runs nothing of the
        # submission's, so losing it while the submission runs means the
        # submission killed or stopped it (it runs as the same user unless the
        # grader could switch it to another one).
        sandbox.broken = True
        _fail_unfinished(result, Message("sandbox_lost", {"detail": str(error)}))
    except BaseException:
        # A fault of the grader: still stop the student's process first.
        try:
            run.close()
        except SandboxError:
            pass
        raise
    result.notes += [Message(f"note_{key}") for key in sorted(run.notes)]
    result.output = run.output()
    if run.warnings:
        result.notes.append(
            Message("stderr_written", {"lines": "\n    ".join(run.warnings)})
        )
    result.execution_time = time.monotonic() - start
    assert all(c.status in (PASSED, FAILED, NOT_RUN) for c in result.checks)
    return result
