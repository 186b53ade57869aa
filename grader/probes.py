"""The inputs the grader feeds to a submission, drawn from a seed.

The draws use Python's ``random.Random``, whose sequence for a given seed is
the same on every platform and Python version, so the same seed gives the
same probes, and the same feedback, on any machine.

Every probe point is chosen so that a correct submission cannot fail by bad
luck: ReLU pre-activations stay at least 0.15 away from the kink at 0, and
sigmoid and tanh inputs stay in a range where they are far from saturation.
Layers are non-square, so a transposed gradient cannot have the right shape.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np

from grader import reference

LEARNING_RATE = 0.4
"""Probe learning rate: not 1, which hides an ignored learning rate, and not
tiny, which hides da_prev computed from the updated weights."""

SECOND_LEARNING_RATE = 0.25
"""A second rate, so that a step that does not scale with it shows."""

KINK_MARGIN = 0.15
EXERCISE_LAYERS = [(2, 6, "relu"), (6, 6, "relu"), (6, 1, "sigmoid")]
FALLS_EPOCHS = 6
FALLS_LEARNING_RATE = 0.01
FALLS_MIN_DROP = 0.0015
"""Smallest drop of the trusted curve at which an epoch is judged: a correct
curve then falls by more than the rounding to 3 decimals can hide."""


@dataclasses.dataclass
class Call:
    x: np.ndarray  # shape (n_inputs,), like a row of the training data
    da: np.ndarray  # shape (n_neurons, 1)
    lr: float


@dataclasses.dataclass
class BackwardProbe:
    activation: str
    n_inputs: int
    n_neurons: int
    weights: np.ndarray
    biases: np.ndarray
    sequences: list[list[Call]]
    """Each sequence starts from a new Layer with ``weights`` and ``biases``
    and makes its calls on that same layer, in order."""

    def request(self) -> dict:
        return {
            "op": "backward",
            "layer": {
                "activation": self.activation,
                "n_inputs": self.n_inputs,
                "n_neurons": self.n_neurons,
                "weights": self.weights.tolist(),
                "biases": self.biases.tolist(),
            },
            "sequences": [
                [{"x": c.x.tolist(), "da": c.da.tolist(), "lr": c.lr} for c in calls]
                for calls in self.sequences
            ],
        }


@dataclasses.dataclass
class FitProbe:
    names: list[str]
    params: list[tuple[np.ndarray, np.ndarray]]
    X: np.ndarray
    y: np.ndarray
    epochs: int
    lr: float
    expected_params: list | None = None
    """The parameters a correct fit() leaves, once computed."""
    expected_averages: list[float] | None = None
    """The average loss of each epoch of a correct fit(), once computed."""

    def request(self) -> dict:
        return {
            "op": "fit",
            "layers": [
                {
                    "activation": name,
                    "n_inputs": int(W.shape[1]),
                    "n_neurons": int(W.shape[0]),
                    "weights": W.tolist(),
                    "biases": b.tolist(),
                }
                for (W, b), name in zip(self.params, self.names)
            ],
            "X": self.X.tolist(),
            "y": self.y.tolist(),
            "epochs": self.epochs,
            "lr": self.lr,
        }


@dataclasses.dataclass
class Plan:
    seed: int
    backward: list[BackwardProbe]
    one_step: list[FitProbe]
    replay: FitProbe
    loss_report: FitProbe
    loss_falls: FitProbe


def _uniform(rng: random.Random, low, high, shape) -> np.ndarray:
    count = int(np.prod(shape))
    return np.array([rng.uniform(low, high) for _ in range(count)]).reshape(shape)


def _away_from_zero(rng: random.Random, low, high, margin, shape) -> np.ndarray:
    """Uniform values in [low, high] whose magnitude is at least ``margin``."""
    values = []
    while len(values) < int(np.prod(shape)):
        value = rng.uniform(low, high)
        if abs(value) >= margin:
            values.append(value)
    return np.array(values).reshape(shape)


def _z_is_safe(activation: str, z: np.ndarray) -> bool:
    if activation == "relu":
        return bool(
            np.all(np.abs(z) >= KINK_MARGIN) and np.any(z > 0) and np.any(z < 0)
        )
    if activation == "sigmoid":
        return bool(np.all(np.abs(z) <= 3.0))
    return bool(np.all(np.abs(z) <= 2.0))


def _relu_layer_is_safe(z: np.ndarray) -> bool:
    """Away from the kink, with at least one unit active so gradients flow."""
    return bool(np.all(np.abs(z) >= KINK_MARGIN) and np.any(z > 0))


def _draw_x(rng, activation, W, b):
    n_inputs = W.shape[1]
    for _ in range(10_000):
        x = _away_from_zero(rng, -1.5, 1.5, 0.2, n_inputs)
        if _z_is_safe(activation, W @ x.reshape(-1, 1) + b):
            return x
    raise RuntimeError("no safe probe point found; try another seed")


def _backward_probe(rng, activation, n_inputs, n_neurons) -> BackwardProbe:
    for _ in range(1000):
        W = _away_from_zero(rng, -1.0, 1.0, 0.1, (n_neurons, n_inputs))
        b = _uniform(rng, -0.5, 0.5, (n_neurons, 1))
        try:
            x1 = _draw_x(rng, activation, W, b)
        except RuntimeError:
            continue
        da1 = _away_from_zero(rng, -1.5, 1.5, 0.3, (n_neurons, 1))
        # The second call starts from the weights a correct first call leaves.
        x_col = x1.reshape(-1, 1)
        dz = da1 * reference.derivative(activation, W @ x_col + b)
        W2 = W - LEARNING_RATE * (dz @ x_col.T)
        b2 = b - LEARNING_RATE * dz
        try:
            x2 = _draw_x(rng, activation, W2, b2)
        except RuntimeError:
            continue
        da2 = _away_from_zero(rng, -1.5, 1.5, 0.3, (n_neurons, 1))
        first = Call(x1, da1, LEARNING_RATE)
        return BackwardProbe(
            activation,
            n_inputs,
            n_neurons,
            W,
            b,
            sequences=[
                [first, Call(x2, da2, LEARNING_RATE)],
                [Call(x1, da1, SECOND_LEARNING_RATE)],
                [Call(x1, da1, LEARNING_RATE)],
            ],
        )
    raise RuntimeError("no safe probe layer found; try another seed")


def _network(rng, layers, scale=1.0):
    params = []
    for n_inputs, n_neurons, _ in layers:
        W = _away_from_zero(rng, -scale, scale, 0.05 * scale, (n_neurons, n_inputs))
        b = _uniform(rng, -0.3, 0.3, (n_neurons, 1))
        params.append((W, b))
    return params, [name for _, _, name in layers]


def _one_step_probe(rng, layers, label) -> FitProbe:
    # Trying several inputs per network finds a safe point with far fewer
    # draws than a new network each time.
    for _ in range(1_000):
        params, names = _network(rng, layers)
        for _ in range(20):
            x = _away_from_zero(rng, -1.5, 1.5, 0.2, layers[0][0])
            _, cache = reference.forward(params, names, x.reshape(-1, 1))
            safe = all(
                _z_is_safe(name, z) if name != "relu" else _relu_layer_is_safe(z)
                for (_, z), name in zip(cache, names)
            )
            if safe:
                X = x.reshape(1, -1)
                return FitProbe(names, params, X, np.array([label]), 1, 0.3)
    raise RuntimeError("no safe one-step probe found; try another seed")


def make_falls_probe(seed: int, X_train, y_train) -> FitProbe:
    """Draw the loss_falls probe: the exercise's network on all of X_train.

    It has a random generator of its own, so that its draw does not depend on
    the other probes.
    """
    X = np.asarray(X_train, dtype=np.float64)
    y = np.asarray(y_train, dtype=np.float64).reshape(-1)
    params, names = _network(random.Random(f"loss_falls:{seed}"), EXERCISE_LAYERS)
    return FitProbe(names, params, X, y, FALLS_EPOCHS, FALLS_LEARNING_RATE)


def make_plan(seed: int, X_train: np.ndarray, y_train: np.ndarray) -> Plan:
    """Draw every probe of a grading run from ``seed``."""
    rng = random.Random(f"probes:{seed}")
    backward = [
        _backward_probe(rng, "relu", 3, 5),
        _backward_probe(rng, "sigmoid", 4, 3),
        _backward_probe(rng, "tanh", 2, 4),
    ]
    one_step = [
        _one_step_probe(rng, EXERCISE_LAYERS, 1.0),
        _one_step_probe(
            rng,
            [(3, 5, "relu"), (5, 4, "relu"), (4, 2, "relu"), (2, 1, "sigmoid")],
            0.0,
        ),
    ]
    X = np.asarray(X_train, dtype=np.float64)
    y = np.asarray(y_train, dtype=np.float64).reshape(-1)
    order = rng.sample(range(len(X)), len(X))
    params, names = _network(rng, EXERCISE_LAYERS)
    replay = FitProbe(names, params, X[order[:12]], y[order[:12]], 3, 0.2)
    params, names = _network(rng, EXERCISE_LAYERS)
    # 15 examples, so that dividing by a wrong count cannot go unnoticed.
    report_rows = order[12:27]
    loss_report = FitProbe(names, params, X[report_rows], y[report_rows], 3, 0.0)
    loss_falls = make_falls_probe(seed, X_train, y_train)
    return Plan(seed, backward, one_step, replay, loss_report, loss_falls)
