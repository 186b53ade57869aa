"""The checks: turn what a submission reported into verdicts.

Everything here runs in the grader's process. The worker only reports
numbers, and each one is validated (present, expected shape, finite) before
it is compared with finite differences of the trusted forward pass or with
the trusted training in ``reference.py``.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from grader import numeric, reference
from grader.probes import FALLS_MIN_DROP, BackwardProbe, FitProbe, Plan
from grader.result import FAILED, NOT_RUN, PASSED, CheckResult, Message
from grader.sandbox import Outcome

PARALLEL = 1e-3
"""Residual below which a step counts as parallel to the true gradient."""

LOSS_LINE = re.compile(r"^Loss at epoch (\S+): (\S+)$")
THREE_DECIMALS = re.compile(r"^-?\d+\.\d{3}$")
PRINT_TOLERANCE = 0.0005 + 1e-6
"""A printed value with 3 decimals is within half a unit of the last digit."""


class _Invalid(Exception):
    """A reported value is missing, of the wrong shape or not finite."""

    def __init__(self, message: Message):
        super().__init__(message.key)
        self.message = message


def decode(encoded, what: str | Message, shapes: list[tuple]) -> np.ndarray:
    """Turn an encoded value from the worker into a validated float64 array.

    ``shapes`` lists the accepted shapes; the first one is the expected one.
    """
    expected = _shape_text(shapes[0])
    if not isinstance(encoded, dict) or encoded.get("type") == "NoneType":
        raise _Invalid(Message("value_none", {"what": what, "shape": expected}))
    if "shape" not in encoded or encoded.get("not_numeric"):
        raise _Invalid(
            Message(
                "value_not_array",
                {"what": what, "type": str(encoded.get("type")), "shape": expected},
            )
        )
    try:
        shape = tuple(int(n) for n in encoded["shape"])
    except (TypeError, ValueError):
        shape = None
    if shape is None:
        raise _Invalid(
            Message("value_not_array", {"what": what, "type": "?", "shape": expected})
        )
    if shape not in shapes:
        raise _Invalid(
            Message(
                "value_wrong_shape",
                {"what": what, "found": _shape_text(shape), "shape": expected},
            )
        )
    data = encoded.get("data")
    if not isinstance(data, list) or len(data) != int(np.prod(shape)):
        raise _Invalid(
            Message("value_not_array", {"what": what, "type": "?", "shape": expected})
        )
    array = np.array(data, dtype=np.float64).reshape(shape)
    if not np.all(np.isfinite(array)):
        bad = "nan" if np.any(np.isnan(array)) else "inf"
        raise _Invalid(Message("value_not_finite", {"what": what, "bad": bad}))
    return array.reshape(shapes[0])


def _shape_text(shape: tuple) -> str:
    return (
        "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
    )


def _index_text(index: tuple) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


# --------------------------------------------------------------------------
# Failures of the call itself


def call_failure(outcome: Outcome, method: str, timeout: float) -> Message | None:
    """Describe a call that did not return a usable reply, or None."""
    if outcome.kind == "timeout":
        return Message("timeout", {"method": method, "seconds": timeout})
    if outcome.kind == "invalid":
        return Message("invalid_reply", {"method": method})
    if outcome.kind == "over_budget":
        return Message("over_budget", {"method": method, "seconds": 3 * timeout})
    if outcome.kind == "skipped":
        return Message("skipped_after_timeout", {"method": outcome.reply["method"]})
    if outcome.kind == "died":
        status = outcome.status or {}
        if status.get("signal") == 24:
            return Message("cpu_limit", {"method": method})
        if status.get("signal") is not None:
            return Message("killed", {"method": method, "signal": status["signal"]})
        return Message("exited", {"method": method, "code": status.get("code")})
    reply = outcome.reply or {}
    if "worker_error" in reply:
        return Message("invalid_reply", {"method": method})
    return None


def _where(error: dict) -> tuple:
    """Return the (line, cell) of student code an exception came from, if known."""
    return error.get("line"), error.get("cell")


def exception_message(error: dict, method: str) -> Message:
    """Describe an exception the student's code raised in ``method``."""
    kind = error.get("type", "Exception")
    params = {
        "method": method,
        "type": kind,
        "message": error.get("message", ""),
        "line": error.get("line"),
    }
    if kind == "NotImplementedError":
        return Message("not_implemented", params)
    if kind in ("SystemExit", "KeyboardInterrupt"):
        return Message("exit_called", params)
    if kind == "OutputLimitExceeded":
        return Message("output_limit", {"method": method, "size": 5})
    if kind == "MemoryError":
        return Message("out_of_memory", params)
    if kind == "RecursionError":
        return Message("recursion", params)
    return Message("raised", params)


# --------------------------------------------------------------------------
# backward


@dataclasses.dataclass
class _Step:
    """One call of backward: the parameter change against the true gradient."""

    label: Message
    """The probe layer and call, as the feedback names them."""
    lr: float
    found: np.ndarray  # the change of the parameter, before minus after
    expected: np.ndarray  # the true gradient
    first_of_sequence: bool


@dataclasses.dataclass
class _BackwardFindings:
    weights: list[_Step] = dataclasses.field(default_factory=list)
    biases: list[_Step] = dataclasses.field(default_factory=list)
    failures: dict = dataclasses.field(default_factory=dict)
    lines: dict = dataclasses.field(default_factory=dict)
    mutated: list[Message] = dataclasses.field(default_factory=list)
    fatal: Message | None = None

    def fail(self, check: str, message: Message) -> None:
        self.failures.setdefault(check, [])
        if message not in self.failures[check]:
            self.failures[check].append(message)


FIT_CHECKS = ("fit.one_step", "fit.replay", "fit.loss_report", "fit.loss_falls")

BACKWARD_CHECKS = (
    "backward.d_weights",
    "backward.d_biases",
    "backward.da_prev",
    "backward.update",
)


def _true_gradients(probe: BackwardProbe, W, b, x, da):
    name = probe.activation
    G_W = numeric.central_difference(
        lambda w: reference.layer_probe(name, w, b, x, da), W
    )
    G_b = numeric.central_difference(
        lambda v: reference.layer_probe(name, W, v, x, da), b
    )
    G_x = numeric.central_difference(
        lambda v: reference.layer_probe(name, W, b, v, da), x
    )
    return G_W, G_b, G_x


def _examine_call(probe, call, result, label, findings, first, state):
    """Check one backward() call; return the (W, b) it left, or None.

    ``state`` is the (W, b) the layer must hold when backward() starts: what
    the grader set, or what the previous call on the same layer left. The
    gradients are computed there, never at values the worker reports, so a
    submission cannot move the probe point somewhere easier.
    """
    n_out, n_in = probe.n_neurons, probe.n_inputs
    weight_shape, bias_shape = (n_out, n_in), (n_out, 1)
    try:
        W_before = decode(result["before"]["weights"], "self.weights", [weight_shape])
        b_before = decode(result["before"]["biases"], "self.biases", [bias_shape])
    except (_Invalid, KeyError, TypeError) as invalid:
        message = getattr(
            invalid, "message", Message("invalid_reply", {"method": "backward()"})
        )
        findings.fatal = Message("state_before_backward", {"detail": message})
        return None
    W, b = state
    if not (np.array_equal(W_before, W) and np.array_equal(b_before, b)):
        findings.fatal = Message("state_changed_before_backward")
        return None
    x = call.x.reshape(-1, 1)
    G_W, G_b, G_x = _true_gradients(probe, W, b, x, call.da)

    W_after = b_after = None
    try:
        W_after = decode(result["weights"], "self.weights", [weight_shape])
        findings.weights.append(
            _Step(label, call.lr, W - W_after, G_W * call.lr, first)
        )
    except _Invalid as invalid:
        findings.fail("backward.d_weights", invalid.message)
    try:
        b_after = decode(result["biases"], "self.biases", [bias_shape])
        findings.biases.append(_Step(label, call.lr, b - b_after, G_b * call.lr, first))
    except _Invalid as invalid:
        findings.fail("backward.d_biases", invalid.message)
    try:
        returned = decode(result["returned"], Message("term_returned"), [(n_in, 1)])
        comparison = numeric.compare(returned, G_x)
        if not comparison.ok:
            findings.fail(
                "backward.da_prev",
                Message(
                    "da_prev_wrong",
                    {
                        "case": label,
                        "index": _index_text(comparison.index),
                        "expected": comparison.expected,
                        "found": comparison.found,
                        "error": comparison.max_relative_error,
                    },
                ),
            )
    except _Invalid as invalid:
        findings.fail("backward.da_prev", invalid.message)
    if result.get("x_changed"):
        findings.mutated.append(
            Message("input_mutated", {"what": "x", "method": "forward"})
        )
    if result.get("da_changed"):
        findings.mutated.append(
            Message("input_mutated", {"what": "da", "method": "backward"})
        )
    if W_after is None or b_after is None:
        return None
    return W_after, b_after


def _judge_steps(steps: list[_Step], check: str, what: str, findings) -> list[Message]:
    """Judge the gradient of one parameter; return problems of the update.

    A step that is parallel to the true one but of another size is a scaling
    of the gradient when the factor is the same for both learning rates, and a
    misuse of the learning rate when it is not.
    """
    if not steps or check in findings.failures:
        return []
    wrong = []
    factors = []
    for step in steps:
        comparison = numeric.compare(step.found, step.expected)
        if comparison.ok:
            factors.append((step, 1.0, step.lr))
            continue
        k, residual = numeric.scale_against(step.found, step.expected / step.lr)
        if residual < PARALLEL and k != 0.0:
            factors.append((step, k / step.lr, k))
        elif not np.any(step.found):
            findings.fail(check, Message("not_changed", {"what": what}))
            return []
        else:
            found = step.found / step.lr
            expected = step.expected / step.lr
            comparison = numeric.compare(found, expected)
            wrong.append((step, comparison))
    if wrong:
        step, comparison = wrong[0]
        key = (
            "gradient_wrong_later"
            if all(not s.first_of_sequence for s, _ in wrong)
            else "gradient_wrong"
        )
        findings.fail(
            check,
            Message(
                key,
                {
                    "what": what,
                    "case": step.label,
                    "index": _index_text(comparison.index),
                    "expected": comparison.expected,
                    "found": comparison.found,
                    "error": comparison.max_relative_error,
                },
            ),
        )
        return []
    ratios = [ratio for _, ratio, _ in factors]
    if all(abs(r - 1.0) < 1e-3 for r in ratios):
        return []
    # Compare learning rates within one layer: a scaling of the gradient may
    # depend on the layer's shape (e.g. a division by n_inputs), but it does
    # not depend on the learning rate, while a misused learning rate does.
    layers: dict[str, list] = {}
    for step, ratio, k in factors:
        layers.setdefault(_layer_of(step.label), []).append((step, ratio, k))
    if all(_constant([r for _, r, _ in group]) for group in layers.values()):
        problems = []
        if any(r < 0 for r in ratios):
            problems.append(Message("step_uphill", {"what": what}))
        scaled = [r for r in ratios if abs(abs(r) - 1.0) >= 1e-3]
        if scaled:
            factor = abs(scaled[0])
            findings.fail(
                check, Message("gradient_scaled", {"what": what, "factor": factor})
            )
        return problems
    for group in layers.values():
        if _constant([r for _, r, _ in group]):
            continue
        steps_taken = [k for _, _, k in group]
        if _constant(steps_taken):
            return [
                Message(
                    "learning_rate_ignored", {"what": what, "factor": steps_taken[0]}
                )
            ]
        if _constant([k / (step.lr * step.lr) for step, _, k in group]):
            return [Message("learning_rate_twice", {"what": what})]
    return [Message("learning_rate_misused", {"what": what})]


def _layer_of(label: Message) -> str:
    """Return a key for the probe layer of a call label, shared by its calls."""
    return repr(label.params.get("layer", label))


def _constant(values: list[float]) -> bool:
    """Return whether the values agree to 0.1 % of the largest one."""
    return max(values) - min(values) <= 1e-3 * max(abs(v) for v in values)


def _complete_backward_reply(reply, probe: BackwardProbe) -> bool:
    """Return whether a reply has a result for every call, or an error that ends it.

    A reply with fewer results and no error is not something the worker
    sends by itself: it means the submission tampered with the worker.
    """
    sequences = reply.get("sequences")
    if not isinstance(sequences, list) or len(sequences) > len(probe.sequences):
        return False
    for index, sequence in enumerate(sequences):
        if not isinstance(sequence, dict) or not isinstance(
            sequence.get("calls"), list
        ):
            return False
        failed = isinstance(sequence.get("error"), dict)
        if len(sequence["calls"]) > len(probe.sequences[index]):
            return False
        if len(sequence["calls"]) < len(probe.sequences[index]) and not failed:
            return False
        if failed:
            return index == len(sequences) - 1
    return len(sequences) == len(probe.sequences)


def evaluate_backward(
    probes: list[BackwardProbe], outcomes: list[Outcome], timeout
) -> list[CheckResult]:
    findings = _BackwardFindings()
    where = (None, None)
    for probe, outcome in zip(probes, outcomes):
        failure = call_failure(outcome, "backward()", timeout)
        if failure is not None:
            findings.fatal = failure
            break
        reply = outcome.reply
        if not _complete_backward_reply(reply, probe):
            findings.fatal = Message("invalid_reply", {"method": "backward()"})
            break
        for index, sequence in enumerate(reply["sequences"]):
            calls = sequence["calls"]
            probe_calls = probe.sequences[index]
            state = (probe.weights, probe.biases)
            for number, (call, result) in enumerate(zip(probe_calls, calls)):
                label = Message(
                    "case_layer",
                    {
                        "activation": probe.activation,
                        "n_inputs": probe.n_inputs,
                        "n_neurons": probe.n_neurons,
                    },
                )
                if number:
                    label = Message("case_second_call", {"layer": label})
                state = _examine_call(
                    probe, call, result, label, findings, number == 0, state
                )
                if findings.fatal or state is None:
                    break
            error = sequence.get("error")
            if error is not None:
                stage = sequence.get("stage", "backward")
                method = {"init": "Layer()", "forward": "forward()"}.get(
                    stage, "backward()"
                )
                findings.fatal = exception_message(error, method)
                where = _where(error)
            if findings.fatal:
                break
        if findings.fatal:
            break

    if findings.fatal is not None:
        return [
            CheckResult(name, FAILED, [findings.fatal], *where)
            for name in BACKWARD_CHECKS
        ]
    update_problems = _judge_steps(
        findings.weights, "backward.d_weights", "weights", findings
    )
    update_problems += _judge_steps(
        findings.biases, "backward.d_biases", "biases", findings
    )
    update_problems += findings.mutated[:1]
    for problem in update_problems:
        findings.fail("backward.update", problem)
    results = []
    for name in BACKWARD_CHECKS:
        messages = findings.failures.get(name)
        if messages:
            results.append(CheckResult(name, FAILED, messages[:2]))
        else:
            results.append(CheckResult(name, PASSED))
    return results


# --------------------------------------------------------------------------
# fit


def _flat(params):
    return np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in params])


def _unflat(vector, like):
    params = []
    offset = 0
    for W, b in like:
        W_new = vector[offset : offset + W.size].reshape(W.shape)
        offset += W.size
        b_new = vector[offset : offset + b.size].reshape(b.shape)
        offset += b.size
        params.append((W_new, b_new))
    return params


def one_step_expected(probe: FitProbe):
    """Parameters after one SGD step, from finite differences of the loss."""
    if probe.expected_params is not None:
        return probe.expected_params
    x = probe.X[0].reshape(-1, 1)
    y = float(probe.y[0])
    theta = _flat(probe.params)
    gradient = numeric.central_difference(
        lambda stack: reference.network_losses(stack, probe.params, probe.names, x, y),
        theta,
    )
    probe.expected_params = _unflat(theta - probe.lr * gradient, probe.params)
    return probe.expected_params


def trusted_training(probe: FitProbe):
    """Parameters after the grader's own training on the probe's data."""
    if probe.expected_params is None:
        probe.expected_params, probe.expected_averages = reference.train(
            probe.params, probe.names, probe.X, probe.y, probe.epochs, probe.lr
        )
    return probe.expected_params


def prepare(plan: Plan) -> None:
    """Compute every expected value that does not depend on the submission.

    The grader calls this while the worker runs the student's code.
    """
    for probe in plan.one_step:
        one_step_expected(probe)
    trusted_training(plan.replay)
    trusted_training(plan.loss_report)
    trusted_training(plan.loss_falls)


def _fit_reply(outcome: Outcome, timeout) -> tuple[dict | None, Message | None, tuple]:
    failure = call_failure(outcome, "fit()", timeout)
    if failure is not None:
        return None, failure, (None, None)
    reply = outcome.reply
    error = reply.get("error")
    if error is not None:
        stage = reply.get("stage")
        method = "__init__()" if stage == "init" else "fit()"
        return None, exception_message(error, method), _where(error)
    return reply, None, (None, None)


def _compare_layers(reply, probe: FitProbe, expected, key: str) -> Message | None:
    layers = reply.get("layers") or []
    count = len(probe.params)
    for number in range(count, 0, -1):
        W_expected, b_expected = expected[number - 1]
        encoded = layers[number - 1] if number - 1 < len(layers) else {}
        for what, value, shapes in (
            ("weights", encoded.get("weights"), [W_expected.shape]),
            ("biases", encoded.get("biases"), [b_expected.shape]),
        ):
            target = W_expected if what == "weights" else b_expected
            try:
                term = Message(f"term_layer_{what}", {"layer": number})
                found = decode(value, term, shapes)
            except _Invalid as invalid:
                return invalid.message
            comparison = numeric.compare(found, target)
            if not comparison.ok:
                return Message(
                    key,
                    {
                        "what": Message(f"term_{what}"),
                        "layer": number,
                        "layers": count,
                        "index": _index_text(comparison.index),
                        "expected": comparison.expected,
                        "found": comparison.found,
                    },
                )
    return None


def _fit_check(name, outcomes_and_probes, expected_of, key, timeout) -> CheckResult:
    for probe, outcome in outcomes_and_probes:
        reply, failure, where = _fit_reply(outcome, timeout)
        if failure is not None:
            return CheckResult(name, FAILED, [failure], *where)
        problem = _compare_layers(reply, probe, expected_of(probe), key)
        if problem is not None:
            return CheckResult(name, FAILED, [problem])
    return CheckResult(name, PASSED)


def parse_loss_lines(reply: dict) -> tuple[list[tuple[str, str]], list[str]]:
    """Split the printed epoch lines into exact-format loss lines and others."""
    lines = ((reply.get("output") or {}).get("stdout") or {}).get("epoch_lines") or []
    exact = []
    near = []
    for line in lines:
        line = line.rstrip()
        match = LOSS_LINE.match(line)
        if match:
            exact.append((match.group(1), match.group(2)))
        elif "loss" in line.lower():
            near.append(line)
    return exact, near


def evaluate_loss_report(probe: FitProbe, outcome: Outcome, timeout) -> CheckResult:
    name = "fit.loss_report"
    reply, failure, where = _fit_reply(outcome, timeout)
    if failure is not None:
        return CheckResult(name, FAILED, [failure], *where)
    exact, near = parse_loss_lines(reply)
    epochs = probe.epochs
    expected_line = "Loss at epoch 1: 0.693"
    if not exact:
        if near:
            return CheckResult(
                name,
                FAILED,
                [Message("loss_format", {"line": near[0], "example": expected_line})],
            )
        return CheckResult(
            name,
            FAILED,
            [Message("loss_missing", {"epochs": epochs, "example": expected_line})],
        )
    if len(exact) != epochs:
        return CheckResult(
            name,
            FAILED,
            [Message("loss_count", {"found": len(exact), "epochs": epochs})],
        )
    numbers = [number for number, _ in exact]
    if numbers != [str(i) for i in range(1, epochs + 1)]:
        return CheckResult(
            name,
            FAILED,
            [
                Message(
                    "loss_numbering", {"found": ", ".join(numbers), "epochs": epochs}
                )
            ],
        )
    for _, value in exact:
        if not THREE_DECIMALS.match(value):
            return CheckResult(
                name, FAILED, [Message("loss_value_format", {"value": value})]
            )
    trusted_training(probe)
    # The learning rate is 0, so every epoch has the same true average.
    true_average = probe.expected_averages[0]
    for epoch, (_, value) in enumerate(exact, start=1):
        printed = float(value)
        if abs(printed - true_average) > PRINT_TOLERANCE:
            return CheckResult(
                name,
                FAILED,
                [
                    Message(
                        "loss_value",
                        {
                            "epoch": epoch,
                            "found": value,
                            "expected": f"{true_average:.3f}",
                        },
                    )
                ],
            )
    return CheckResult(name, PASSED)


def printed_loss_values(reply: dict) -> list[float | None]:
    """Return the printed loss of each epoch, read leniently if need be.

    Lines in the exercise's format are used when there are any. Otherwise
    every line that mentions the loss counts, and in a line with a colon only
    the text after the last colon, so that the epoch number of
    "Loss at epoch 2: abc" is not read as its loss. None stands for a loss
    line without a number.
    """
    exact, _ = parse_loss_lines(reply)
    if exact:
        # Lines in the exercise's format are the loss report; other lines
        # that mention a loss (debug prints, a summary) are not.
        return [_number(value) for _, value in exact]
    lines = ((reply.get("output") or {}).get("stdout") or {}).get("epoch_lines") or []
    values = []
    for line in lines:
        text = line.lower()
        if "loss" not in text:
            continue
        value_text = text.rsplit(":", 1)[-1]
        number = r"-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf"
        tokens = re.findall(number, value_text)
        values.append(float(tokens[-1]) if tokens else None)
    return values


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def check_training_losses(probe: FitProbe, outcome: Outcome) -> Message | None:
    """Compare the printed losses of a real training run with the true ones.

    The learning-rate-0 run cannot see a loss taken after the update, or an
    average that runs over all epochs. This run can, but only when its
    training itself is right, so a wrong backward() is not blamed twice.
    """
    reply = outcome.reply if outcome.kind == "reply" else None
    if not reply or reply.get("error") is not None:
        return None
    trusted = trusted_training(probe)
    if _compare_layers(reply, probe, trusted, "replay_wrong") is not None:
        return None
    exact, _ = parse_loss_lines(reply)
    if len(exact) != probe.epochs:
        return None
    for epoch, ((_, value), true) in enumerate(
        zip(exact, probe.expected_averages), start=1
    ):
        printed = _number(value)
        if printed is None or abs(printed - true) > PRINT_TOLERANCE:
            return Message(
                "loss_value_training",
                {"epoch": epoch, "found": value, "expected": f"{true:.3f}"},
            )
    return None


def evaluate_loss_falls(
    probe: FitProbe, outcome: Outcome, timeout
) -> tuple[CheckResult, list]:
    name = "fit.loss_falls"
    reply, failure, where = _fit_reply(outcome, timeout)
    if failure is not None:
        return CheckResult(name, FAILED, [failure], *where), []
    values = printed_loss_values(reply)
    if len(values) < 2 or any(v is None for v in values):
        return CheckResult(
            name, FAILED, [Message("falls_no_values", {"epochs": probe.epochs})]
        ), values
    trusted_training(probe)
    drops = [
        a - b for a, b in zip(probe.expected_averages, probe.expected_averages[1:])
    ]
    for epoch in range(1, len(values)):
        previous, current = values[epoch - 1], values[epoch]
        # An epoch where even the trusted loss falls by less than the
        # rounding can hide is not judged, unless the printed loss is nan.
        judged = epoch > len(drops) or drops[epoch - 1] >= FALLS_MIN_DROP
        if not np.isfinite(current) or (judged and not current < previous):
            return (
                CheckResult(
                    name,
                    FAILED,
                    [
                        Message(
                            "falls_not",
                            {
                                "epoch": epoch + 1,
                                "previous": previous,
                                "found": current,
                            },
                        )
                    ],
                ),
                values,
            )
    if len(values) != probe.epochs:
        return CheckResult(
            name,
            FAILED,
            [Message("loss_count", {"found": len(values), "epochs": probe.epochs})],
        ), values
    return CheckResult(name, PASSED), values


def evaluate_fit(
    plan: Plan, outcomes: dict[str, list[Outcome]], timeout
) -> tuple[list[CheckResult], dict]:
    one_step = _fit_check(
        "fit.one_step",
        list(zip(plan.one_step, outcomes["one_step"])),
        one_step_expected,
        "one_step_wrong",
        timeout,
    )

    replay = _fit_check(
        "fit.replay",
        [(plan.replay, outcomes["replay"][0])],
        trusted_training,
        "replay_wrong",
        timeout,
    )
    report = evaluate_loss_report(plan.loss_report, outcomes["loss_report"][0], timeout)
    if report.status == PASSED:
        problem = check_training_losses(plan.loss_falls, outcomes["loss_falls"][0])
        if problem is not None:
            report = CheckResult("fit.loss_report", FAILED, [problem])
    falls, found = evaluate_loss_falls(
        plan.loss_falls, outcomes["loss_falls"][0], timeout
    )
    trusted_training(plan.loss_falls)
    expected = plan.loss_falls.expected_averages
    curves = {"expected": [round(v, 3) for v in expected], "found": found}
    return [one_step, replay, report, falls], curves


def not_run(names, reason: Message) -> list[CheckResult]:
    return [CheckResult(name, NOT_RUN, [reason]) for name in names]
