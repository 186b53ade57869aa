"""Name the misconception behind a failed check.

The checks report that a value is wrong, and this module explains why. For
every failed check it recomputes, from the inputs the probe sent, what each
known wrong formula would have produced: the activation derivative left out,
the update added instead of subtracted, the layers walked forwards in fit(),
and so on. Then it compares the submission's numbers with each of them. A
formula that reproduces every probe, while the right formula does not, names
the mistake: its id goes into ``CheckResult.mistake`` of the checks it
explains and a hint (catalog key ``mistake_<id>``) goes first in their
feedback.

Some mistakes make the student's code raise before it returns anything, for
example a transposed d_weights that cannot be subtracted from the weights.
Those are recognised from the exception's message and the array shapes it
names, which the probe layers make distinct (they are never square).

Everything here runs in the grader's process on plain data from the worker.
A mistake outside this catalog keeps the checks' precise numeric report.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import numpy as np

from grader import checks, numeric, reference
from grader.probes import BackwardProbe, FitProbe, Plan
from grader.result import FAILED, CheckResult, Message
from grader.sandbox import Outcome

PARALLEL = 1e-3
"""Residual below which a step counts as parallel to a predicted gradient."""

PRINT_TOLERANCE = 0.0005 + 1e-6
"""A value printed with 3 decimals is within half a unit of its last digit."""

MIN_CURVE_POINTS = 3
"""Finite printed losses that must agree before a curve names a mistake."""


@dataclasses.dataclass
class Diagnosis:
    """A recognised mistake and the failed checks it explains."""

    mistake: str
    checks: tuple[str, ...]
    """Names of the checks it explains. The first one owns the mistake."""
    params: dict = dataclasses.field(default_factory=dict)
    """Parameters of the hint message ``mistake_<mistake>``."""
    supersedes: tuple[str, ...] = ()
    """Keys of check messages that the hint makes redundant."""
    hint: bool = True
    """False when the check's own message already names the mistake."""


# Check messages that already name a mistake precisely. For them the
# diagnosis only records the id and adds no hint.
_NAMED_BY_MESSAGE = {
    "gradient_scaled": "gradient_scaled",
    "loss_numbering": "epoch_numbering",
    "loss_format": "loss_format",
    "loss_value_format": "loss_format",
}


def explain(
    results: list[CheckResult],
    plan: Plan,
    backward_outcomes: list[Outcome],
    fit_outcomes: dict[str, list[Outcome]],
) -> list[Diagnosis]:
    """Diagnose the failed checks and attach each diagnosis to them.

    ``results`` are changed in place. Returns the diagnoses that were
    attached: those of backward() first, then those of fit().
    """
    failed = {check.name: check for check in results if check.status == FAILED}
    if not failed:
        return []
    found = _diagnose_backward(plan.backward, backward_outcomes, failed)
    backward_ok = not any(name.startswith("backward.") for name in failed)
    found += _diagnose_fit(plan, fit_outcomes, failed, backward_ok)
    found += _named_by_message(failed)
    attached = []
    for diagnosis in found:
        if _attach(failed, diagnosis):
            attached.append(diagnosis)
    return attached


def _attach(failed: dict[str, CheckResult], diagnosis: Diagnosis) -> bool:
    """Set the mistake on each explained check that has none yet."""
    targets = [
        failed[name]
        for name in diagnosis.checks
        if name in failed and failed[name].mistake is None
    ]
    if not targets:
        return False
    for check in targets:
        check.mistake = diagnosis.mistake
        feedback = [m for m in check.feedback if m.key not in diagnosis.supersedes]
        if diagnosis.hint:
            hint = Message(f"mistake_{diagnosis.mistake}", dict(diagnosis.params))
            feedback.insert(0, hint)
        check.feedback = feedback
    return True


def _named_by_message(failed: dict[str, CheckResult]) -> list[Diagnosis]:
    found = []
    for check in failed.values():
        for message in check.feedback:
            mistake = _NAMED_BY_MESSAGE.get(message.key)
            if message.key == "loss_value_format" and not _is_number(
                message.params.get("value")
            ):
                # "nan" or text is a wrong value, not a wrong format.
                mistake = None
            if mistake is not None:
                found.append(Diagnosis(mistake, (check.name,), hint=False))
                break
    return found


def _is_number(text) -> bool:
    try:
        return bool(np.isfinite(float(text)))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------
# Decoding what the worker reported


def _array(encoded, shape: tuple, finite: bool = True) -> np.ndarray | None:
    """Decode an encoded array of ``shape`` (or its flat form), else None.

    With ``finite`` true, an array with nan or inf entries also gives None.
    """
    if not isinstance(encoded, dict) or not isinstance(encoded.get("data"), list):
        return None
    size = int(np.prod(shape))
    found = tuple(int(n) for n in encoded.get("shape", ()))
    if found not in (shape, (size,)) or len(encoded["data"]) != size:
        return None
    try:
        array = np.array(encoded["data"], dtype=np.float64).reshape(shape)
    except (TypeError, ValueError):
        return None
    if finite and not bool(np.all(np.isfinite(array))):
        return None
    return array


def _shapes_in(text: str) -> set[tuple[int, ...]]:
    """Return the array shapes a NumPy error message names, such as "(5,3)"."""
    shapes = set()
    for group in re.findall(r"\((\d+(?:,\s*\d+)*),?\)", text):
        shapes.add(tuple(int(n) for n in group.split(",")))
    return shapes


def _matmul_sizes(text: str) -> tuple[int, int] | None:
    """Return the sizes of a matmul core-dimension mismatch in ``text``, if any."""
    match = re.search(r"size (\d+) is different from (\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


# --------------------------------------------------------------------------
# backward()


@dataclasses.dataclass
class _Call:
    """One backward() call: the inputs sent and what the student's layer did."""

    activation: str
    W: np.ndarray
    b: np.ndarray
    x: np.ndarray  # column (n_inputs, 1)
    da: np.ndarray  # column (n_neurons, 1)
    lr: float
    W_after: np.ndarray | None
    b_after: np.ndarray | None
    returned: np.ndarray | None
    returned_none: bool
    previous: _Call | None
    """The call before this one on the same layer, if any."""

    @property
    def z(self) -> np.ndarray:
        return self.W @ self.x + self.b

    def dz(self, variant: str = "correct") -> np.ndarray:
        """Compute dz by the correct formula, or by a wrong one."""
        name, z = self.activation, self.z
        if variant == "derivative_missing":
            return self.da
        if variant == "derivative_at_output":
            return self.da * reference.derivative(name, reference.activate(name, z))
        return self.da * reference.derivative(name, z)


@dataclasses.dataclass
class _BackwardData:
    calls: list[_Call]
    error: dict | None
    """The exception backward() raised, if any."""
    error_probe: BackwardProbe | None


def _collect_calls(probes, outcomes) -> _BackwardData:
    data = _BackwardData([], None, None)
    for probe, outcome in zip(probes, outcomes, strict=False):
        if outcome.kind != "reply" or not isinstance(outcome.reply, dict):
            break
        for index, sequence in enumerate(outcome.reply.get("sequences") or []):
            previous = None
            sent = probe.sequences[index] if index < len(probe.sequences) else []
            for call, result in zip(sent, sequence.get("calls") or [], strict=False):
                decoded = _decode_call(probe, call, result, previous)
                if decoded is None:
                    break
                data.calls.append(decoded)
                previous = decoded
            error = sequence.get("error")
            if error is not None:
                if sequence.get("stage") == "backward":
                    data.error, data.error_probe = error, probe
                return data
    return data


def _decode_call(probe: BackwardProbe, call, result, previous) -> _Call | None:
    n_out, n_in = probe.n_neurons, probe.n_inputs
    before = result.get("before") or {}
    W = _array(before.get("weights"), (n_out, n_in))
    b = _array(before.get("biases"), (n_out, 1))
    if W is None or b is None:
        return None
    returned = result.get("returned")
    return _Call(
        activation=probe.activation,
        W=W,
        b=b,
        x=np.asarray(call.x, dtype=np.float64).reshape(-1, 1),
        da=np.asarray(call.da, dtype=np.float64).reshape(-1, 1),
        lr=float(call.lr),
        W_after=_array(result.get("weights"), (n_out, n_in)),
        b_after=_array(result.get("biases"), (n_out, 1)),
        returned=_array(returned, (n_in, 1)),
        returned_none=isinstance(returned, dict) and returned.get("type") == "NoneType",
        previous=previous,
    )


# The gradient each formula gives for one call. "correct" is the right one.
_GRADIENTS: dict[str, dict[str, Callable[[_Call], np.ndarray | None]]] = {
    "weights": {
        "correct": lambda c: c.dz() @ c.x.T,
        "derivative_missing": lambda c: c.dz("derivative_missing") @ c.x.T,
        "derivative_at_output": lambda c: c.dz("derivative_at_output") @ c.x.T,
        "gradient_accumulator": lambda c: _accumulated(c, lambda k: k.dz() @ k.x.T),
    },
    "biases": {
        "correct": lambda c: c.dz(),
        "derivative_missing": lambda c: c.dz("derivative_missing"),
        "derivative_at_output": lambda c: c.dz("derivative_at_output"),
        "d_biases_summed": lambda c: np.full_like(c.b, float(np.sum(c.dz()))),
        "gradient_accumulator": lambda c: _accumulated(c, lambda k: k.dz()),
    },
}

_DA_PREV: dict[str, Callable[[_Call], np.ndarray | None]] = {
    "correct": lambda c: c.W.T @ c.dz(),
    "derivative_at_output": lambda c: c.W.T @ c.dz("derivative_at_output"),
    "da_prev_after_update": lambda c: (
        None if c.W_after is None else c.W_after.T @ c.dz()
    ),
    "da_prev_skips_derivative": lambda c: c.W.T @ c.da,
}


def _accumulated(call: _Call, gradient) -> np.ndarray | None:
    """Sum the gradients of this call and of the calls before it on the layer."""
    if call.previous is None:
        return None
    total = gradient(call)
    earlier = call.previous
    while earlier is not None:
        total = total + gradient(earlier)
        earlier = earlier.previous
    return total


def _observed_gradient(call: _Call, what: str) -> np.ndarray | None:
    """Return the gradient the student stepped by: (before - after) / lr."""
    if what == "weights":
        return None if call.W_after is None else (call.W - call.W_after) / call.lr
    return None if call.b_after is None else (call.b - call.b_after) / call.lr


def _parallel(found: np.ndarray, predicted: np.ndarray) -> bool:
    if numeric.compare(found, predicted).ok:
        return True
    k, residual = numeric.scale_against(found, predicted)
    return k != 0.0 and residual < PARALLEL


def _explains(calls, observed, predicted, same) -> bool:
    """True when a formula fits every call and the right one misses some.

    ``predicted`` gives the formula's value for a call (None where it makes
    no prediction, such as an accumulated gradient on a first call, where the
    right value must then fit), and ``same`` compares two arrays.
    """
    compared = 0
    differs = False
    for call in calls:
        found = observed(call)
        if found is None:
            continue
        value = predicted[0](call)
        if value is None:
            value = predicted[1](call)
        if not same(found, value):
            return False
        compared += 1
        if not same(found, predicted[1](call)):
            differs = True
    return compared > 0 and differs


def _gradient_variant(calls, what: str) -> str | None:
    """Find the wrong formula that explains the step of one parameter, if any."""
    formulas = _GRADIENTS[what]
    for variant, formula in formulas.items():
        if variant == "correct":
            continue
        fits = _explains(
            calls,
            lambda c: _observed_gradient(c, what),
            (formula, formulas["correct"]),
            _parallel,
        )
        if fits:
            return variant
    return None


def _da_prev_variant(calls) -> str | None:
    for variant, formula in _DA_PREV.items():
        if variant == "correct":
            continue
        fits = _explains(
            calls,
            lambda c: c.returned,
            (formula, _DA_PREV["correct"]),
            lambda f, p: numeric.compare(f, p).ok,
        )
        if fits:
            return variant
    return None


def _diagnose_backward(probes, outcomes, failed) -> list[Diagnosis]:
    if not any(name.startswith("backward.") for name in failed):
        return []
    data = _collect_calls(probes, outcomes)
    if data.error is not None:
        diagnosis = _backward_exception(data.error, data.error_probe, failed)
        return [diagnosis] if diagnosis is not None else []

    calls = data.calls
    weights = _gradient_variant(calls, "weights")
    biases = _gradient_variant(calls, "biases")
    found, da_prev = _dz_mistakes(weights, biases, _da_prev_variant(calls))

    if weights == biases == "gradient_accumulator":
        explained = ("backward.d_weights", "backward.d_biases")
        found.append(
            Diagnosis(
                "gradient_accumulator", explained, supersedes=("gradient_wrong_later",)
            )
        )
    if biases == "d_biases_summed":
        found.append(Diagnosis("d_biases_summed", ("backward.d_biases",)))
    if da_prev in ("da_prev_after_update", "da_prev_skips_derivative"):
        found.append(Diagnosis(da_prev, ("backward.da_prev",)))
    found += _not_returned(calls)
    found += _update_mistakes(calls, weights, biases)
    return found


def _dz_mistakes(weights, biases, da_prev) -> tuple[list[Diagnosis], str | None]:
    """Name a wrong dz from the formulas that explain the three gradients.

    Returns the diagnoses and the da_prev formula that is left to explain,
    None when a wrong dz explains da_prev too.
    """
    # A missing derivative gives da_prev = W^T da, which is also what
    # da_prev_skips_derivative names when d_weights and d_biases are right.
    same_dz = {
        "derivative_missing": "da_prev_skips_derivative",
        "derivative_at_output": "derivative_at_output",
    }
    found = []
    for mistake, da_prev_variant in same_dz.items():
        explained = []
        if weights == mistake:
            explained.append("backward.d_weights")
        if biases == mistake:
            explained.append("backward.d_biases")
        if explained and da_prev == da_prev_variant:
            explained.append("backward.da_prev")
            da_prev = None
        if explained:
            found.append(Diagnosis(mistake, tuple(explained)))
    return found, da_prev


def _not_returned(calls) -> list[Diagnosis]:
    if calls and all(call.returned_none for call in calls):
        return [
            Diagnosis(
                "da_prev_not_returned",
                ("backward.da_prev",),
                supersedes=("value_none",),
            )
        ]
    return []


# The parameters after each update formula, from the parameters P before it
# and the gradient G. The right update is P - lr G.
_UPDATES: dict[str, Callable[[np.ndarray, np.ndarray, float], np.ndarray]] = {
    "correct": lambda P, G, lr: P - lr * G,
    "gradient_added": lambda P, G, lr: P + lr * G,
    "learning_rate_ignored": lambda P, G, lr: P - G,
    "learning_rate_twice": lambda P, G, lr: P - lr * lr * G,
    "not_updated": lambda P, G, lr: P,
}

# The checks' own messages about the update, which an update hint replaces.
_UPDATE_MESSAGES = (
    "step_uphill",
    "learning_rate_ignored",
    "learning_rate_twice",
    "learning_rate_misused",
    "not_changed",
)


def _update_variant(calls, what: str, gradient_variant: str | None) -> str | None:
    """Find the update formula that explains the new value of one parameter."""
    formulas = _GRADIENTS[what]
    gradient = formulas.get(gradient_variant or "correct", formulas["correct"])

    def after(call):
        return call.W_after if what == "weights" else call.b_after

    def before(call):
        return call.W if what == "weights" else call.b

    def predicted(update):
        def value(call):
            G = gradient(call)
            if G is None:
                G = formulas["correct"](call)
            return _UPDATES[update](before(call), G, call.lr)

        return value

    for update in _UPDATES:
        if update == "correct":
            continue
        fits = _explains(
            calls,
            after,
            (predicted(update), predicted("correct")),
            lambda f, p: numeric.compare(f, p).ok,
        )
        if fits:
            return update
    return None


def _update_mistakes(calls, weights_gradient, biases_gradient) -> list[Diagnosis]:
    updates = {
        "weights": _update_variant(calls, "weights", weights_gradient),
        "biases": _update_variant(calls, "biases", biases_gradient),
    }
    found = []
    if updates["biases"] == "not_updated":
        found.append(
            Diagnosis(
                "biases_not_updated",
                ("backward.d_biases", "backward.update"),
                supersedes=("not_changed",),
            )
        )
    for mistake in ("gradient_added", "learning_rate_ignored", "learning_rate_twice"):
        wrong = [what for what, update in updates.items() if update == mistake]
        if not wrong:
            continue
        subject = "params_both" if len(wrong) == 2 else f"params_{wrong[0]}"
        found.append(
            Diagnosis(
                mistake,
                ("backward.update",),
                {"what": Message(subject)},
                supersedes=_UPDATE_MESSAGES,
            )
        )
    return found


def _backward_exception(error: dict, probe, failed) -> Diagnosis | None:
    """Recognise a mistake from the exception backward() raised."""
    if probe is None or error.get("type") != "ValueError":
        return None
    n_out, n_in = probe.n_neurons, probe.n_inputs
    mistake = _mistake_in_error(str(error.get("message", "")), n_out, n_in)
    if mistake is None:
        return None

    # The exception stopped every backward check, and the step whose shapes
    # it names owns the mistake.
    if mistake == "da_prev_not_transposed":
        owner = "backward.da_prev"
    else:
        owner = "backward.d_weights"
    stopped = [
        name
        for name, check in failed.items()
        if name.startswith("backward.")
        and check.feedback
        and check.feedback[0].key == "raised"
    ]
    checks = sorted(stopped, key=lambda name: name != owner)
    params = {"n_neurons": n_out, "n_inputs": n_in}
    return Diagnosis(mistake, tuple(checks), params)


def _mistake_in_error(text: str, n_out: int, n_in: int) -> str | None:
    """Name the mistake whose shapes a NumPy error message shows, if any.

    The weights have shape (n_out, n_in), and n_out != n_in in every probe
    layer, so each wrong product or sum names a distinct pair of shapes.
    """
    shapes = _shapes_in(text)
    if "broadcast" in text:
        if {(n_out, n_in), (n_in, n_out)} <= shapes:
            return "d_weights_transposed"
        if {(n_out, n_in), (n_out, n_out)} <= shapes:
            return "d_weights_uses_output"
        if {(n_out, 1), (n_in, 1)} <= shapes:
            return "derivative_at_input"
        return None
    if "not aligned" in text and {(n_out, n_in), (n_out, 1)} <= shapes:
        return "da_prev_not_transposed"
    if _matmul_sizes(text) == (n_out, n_in):
        return "da_prev_not_transposed"
    return None


# --------------------------------------------------------------------------
# fit()


@dataclasses.dataclass
class _Training:
    """The parameters a training loop, right or wrong, leaves, and its losses."""

    params: list | None
    losses: list[list[float]]
    """The loss of each example, epoch by epoch, before its own update."""
    error: str | None = None
    """The message of the ValueError it raised, if it raised one."""


_FIT_VARIANTS = (
    "layers_forward",
    "da_not_passed",
    "bce_derivative_sign",
    "bce_derivative_difference_only",
    "first_layer_skipped",
)


def _train(probe: FitProbe, variant: str = "correct") -> _Training:
    """Train like fit() does, with one known mistake built in."""
    params = [(W.copy(), b.copy()) for W, b in probe.params]
    names = probe.names
    losses = []
    with np.errstate(all="ignore"):
        for _ in range(probe.epochs):
            epoch = []
            for row, label in zip(probe.X, probe.y, strict=True):
                x = np.asarray(row, dtype=np.float64).reshape(-1, 1)
                z_out, cache = reference.forward(params, names, x)
                epoch.append(reference.bce_from_logit(float(z_out[0, 0]), float(label)))
                try:
                    params = _sgd_step(
                        params, names, cache, z_out, label, probe.lr, variant
                    )
                except ValueError as error:
                    losses.append(epoch)
                    return _Training(None, losses, str(error))
            losses.append(epoch)
    return _Training(params, losses)


def _sgd_step(params, names, cache, z_out, label, lr, variant):
    y_hat = reference.sigmoid(z_out)
    gradient = (y_hat - label) / (y_hat * (1.0 - y_hat))
    if variant == "bce_derivative_sign":
        gradient = -gradient
    elif variant == "bce_derivative_difference_only":
        gradient = y_hat - label
    order = list(range(len(params) - 1, -1, -1))
    if variant == "layers_forward":
        order.reverse()
    elif variant == "first_layer_skipped":
        order = order[:-1]
    new_params = list(params)
    da = gradient
    for index in order:
        W, b = params[index]
        inputs, z = cache[index]
        dz = da * reference.derivative(names[index], z)
        da_prev = W.T @ dz
        new_params[index] = (W - lr * (dz @ inputs.T), b - lr * dz)
        da = gradient if variant == "da_not_passed" else da_prev
    return new_params


def _student_params(reply: dict, probe: FitProbe) -> list | None:
    layers = reply.get("layers") or []
    if len(layers) != len(probe.params):
        return None
    params = []
    for encoded, (W, b) in zip(layers, probe.params, strict=True):
        W_found = _array((encoded or {}).get("weights"), W.shape, finite=False)
        b_found = _array((encoded or {}).get("biases"), b.shape, finite=False)
        if W_found is None or b_found is None:
            return None
        params.append((W_found, b_found))
    return params


def _same_params(found, expected) -> bool | None:
    """Compare two networks' parameters: True, False, or None when unclear.

    A training that diverged to nan or inf proves nothing about which loop
    ran, since many wrong loops diverge alike, so it gives None unless the
    other side stayed finite (then False).
    """
    if found is None or expected is None:
        return False
    flat_found = _flatten(found)
    flat_expected = _flatten(expected)
    finite_found = bool(np.all(np.isfinite(flat_found)))
    finite_expected = bool(np.all(np.isfinite(flat_expected)))
    if not (finite_found and finite_expected):
        return None if finite_found == finite_expected else False
    return numeric.compare(flat_found, flat_expected).ok


def _flatten(params) -> np.ndarray:
    return np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in params])


def _matches_training(
    outcome: Outcome, probe: FitProbe, training: _Training
) -> bool | None:
    """Check whether the student's fit() did what ``training`` did on ``probe``.

    None means the probe cannot tell, because both trainings diverged.
    """
    if outcome.kind != "reply" or not isinstance(outcome.reply, dict):
        return False
    reply = outcome.reply
    error = reply.get("error")
    if training.error is not None:
        if error is None or error.get("type") != "ValueError":
            return False
        found = _shapes_in(str(error.get("message", "")))
        return bool(found) and found == _shapes_in(training.error)
    if error is not None:
        return False
    return _same_params(_student_params(reply, probe), training.params)


def _all_match(results: list[bool | None]) -> bool:
    """True when no probe contradicts and at least one probe confirms."""
    return False not in results and True in results


def _printed_values(outcome: Outcome) -> list[float | None]:
    if outcome.kind != "reply" or not isinstance(outcome.reply, dict):
        return []
    return checks.printed_loss_values(outcome.reply)


def _same_curve(printed: list, values: list[float]) -> bool | None:
    """Check whether printed values are ``values`` to the printed precision.

    Non-finite values must sit at the same epochs. Fewer than
    ``MIN_CURVE_POINTS`` agreeing finite values give None, because diverging
    loops print nan alike. The relative allowance covers large losses, where
    a log of a sigmoid output near 0 or 1 loses digits that the grader's
    stable formula keeps.
    """
    if not printed or len(printed) != len(values):
        return False
    agreeing = 0
    for found, value in zip(printed, values, strict=True):
        if found is None:
            return False
        if not (np.isfinite(found) and np.isfinite(value)):
            if not _same_non_finite(found, value):
                return False
        elif abs(found - value) > PRINT_TOLERANCE + 1e-3 * abs(value):
            return False
        else:
            agreeing += 1
    return True if agreeing >= min(MIN_CURVE_POINTS, len(values)) else None


def _same_non_finite(found: float, value: float) -> bool:
    if np.isnan(found) or np.isnan(value):
        return bool(np.isnan(found) and np.isnan(value))
    return found == value


def _diagnose_fit(plan: Plan, outcomes, failed, backward_ok: bool) -> list[Diagnosis]:
    found = []
    if backward_ok and ("fit.one_step" in failed or "fit.replay" in failed):
        diagnosis = _training_mistake(plan, outcomes, failed)
        if diagnosis is not None:
            found.append(diagnosis)
    diagnosis = _printed_loss_mistake(plan, outcomes, failed, backward_ok)
    if diagnosis is not None:
        found.append(diagnosis)
    return found


def _training_mistake(plan: Plan, outcomes, failed) -> Diagnosis | None:
    """Find the wrong training loop that reproduces the student's fit()."""
    probes = {
        "fit.one_step": list(zip(plan.one_step, outcomes["one_step"], strict=False)),
        "fit.replay": [(plan.replay, outcomes["replay"][0])],
        "fit.loss_falls": [(plan.loss_falls, outcomes["loss_falls"][0])],
        "fit.loss_report": [(plan.loss_report, outcomes["loss_report"][0])],
    }
    if plan.loss_falls is None:
        del probes["fit.loss_falls"]
    for variant in _FIT_VARIANTS:
        evidence = _training_evidence(probes, variant, failed)
        if any(_all_match(results) for results in evidence.values()):
            explained = [n for n, results in evidence.items() if False not in results]
            return Diagnosis(variant, tuple(explained))
    return None


def _training_evidence(probes, variant: str, failed) -> dict[str, list]:
    """Check, for each failed fit check, whether each of its probes fits ``variant``."""
    evidence = {}
    for name in ("fit.one_step", "fit.replay"):
        if name in failed:
            evidence[name] = [
                _matches_training(outcome, probe, _train(probe, variant))
                for probe, outcome in probes[name]
            ]
    if "fit.loss_falls" in failed and "fit.loss_falls" in probes:
        probe, outcome = probes["fit.loss_falls"][0]
        training = _train(probe, variant)
        averages = [float(np.mean(epoch)) for epoch in training.losses]
        by_params = _matches_training(outcome, probe, training)
        by_curve = _same_curve(_printed_values(outcome), averages)
        if training.error is not None or by_params is False:
            evidence["fit.loss_falls"] = [by_params]
        else:
            evidence["fit.loss_falls"] = [by_curve]
    if "fit.loss_report" in failed:
        # At learning rate 0 every loop leaves the same parameters, so only a
        # loop that raises can explain this check.
        probe, outcome = probes["fit.loss_report"][0]
        training = _train(probe, variant)
        if training.error is not None:
            evidence["fit.loss_report"] = [_matches_training(outcome, probe, training)]
        else:
            evidence["fit.loss_report"] = [False]
    return evidence


# Printed values of a loss line that is wrong in a known way, from the loss of
# each example in each epoch and the number of examples.
_PRINTED: dict[str, Callable[[list[list[float]]], list[float]]] = {
    "loss_sign": lambda losses: [-float(np.mean(e)) for e in losses],
    "loss_not_reset": lambda losses: list(
        np.cumsum([float(np.sum(e)) for e in losses]) / len(losses[0])
    ),
    "loss_last_example": lambda losses: [float(e[-1]) for e in losses],
}


def _wrong_count(printed: list, losses: list[list[float]]) -> list[int] | None:
    """Find the divisors of the epoch totals, when they are a known wrong count.

    Recognised: one whole number for every epoch other than the number of
    examples (such as the number of epochs), or the epoch's own number.
    """
    examples = len(losses[0]) if losses else 0
    divisors = []
    for value, epoch in zip(printed, losses, strict=False):
        total = float(np.sum(epoch))
        if value is None or not value > 0:
            return None
        divisor = round(total / value)
        if divisor < 1 or abs(total / divisor - value) > PRINT_TOLERANCE:
            return None
        divisors.append(divisor)
    if len(divisors) != len(losses) or len(divisors) < 2:
        return None
    constant = len(set(divisors)) == 1 and divisors[0] != examples
    numbered = divisors == list(range(1, len(divisors) + 1))
    return divisors if constant or numbered else None


def _printed_loss_mistake(
    plan: Plan, outcomes, failed, backward_ok
) -> Diagnosis | None:
    """Find the wrong loss bookkeeping that reproduces the printed lines.

    The loss_report probe trains at learning rate 0, so its true losses do
    not depend on backward(). The loss_falls probe trains, so its printed
    values are compared only when backward() passed its checks.
    """
    probes = {"fit.loss_report": (plan.loss_report, outcomes["loss_report"][0])}
    if backward_ok and plan.loss_falls is not None:
        probes["fit.loss_falls"] = (plan.loss_falls, outcomes["loss_falls"][0])
    results = {}
    for name, (probe, outcome) in probes.items():
        if (
            name in failed
            and outcome.kind == "reply"
            and isinstance(outcome.reply, dict)
        ):
            if outcome.reply.get("error") is None:
                found = _printed_mistake(probe, outcome)
                if found is not None:
                    results[name] = found
    for owner in ("fit.loss_report", "fit.loss_falls"):
        if owner in results:
            mistake, params = results[owner]
            explained = tuple(n for n, (m, _) in results.items() if m == mistake)
            supersedes = (
                ("loss_count",) if mistake == "loss_printed_per_example" else ()
            )
            return Diagnosis(mistake, explained, params, supersedes)
    return None


def _printed_mistake(probe: FitProbe, outcome: Outcome) -> tuple[str, dict] | None:
    losses = _train(probe).losses
    exact, _ = checks.parse_loss_lines(outcome.reply)
    examples = len(probe.X)
    if probe.epochs > 1 and len(exact) == probe.epochs * examples:
        params = {"found": len(exact), "epochs": probe.epochs, "examples": examples}
        return "loss_printed_per_example", params
    printed = _printed_values(outcome)
    for mistake, values in _PRINTED.items():
        if _same_curve(printed, values(losses)):
            return mistake, {}
    divisors = _wrong_count(printed, losses)
    if divisors is not None:
        divisor = (
            divisors[0] if len(set(divisors)) == 1 else Message("divisor_epoch_number")
        )
        return "loss_wrong_count", {"divisor": divisor, "examples": examples}
    return None
