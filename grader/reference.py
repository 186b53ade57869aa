"""The grader's trusted model: activations, forward pass, loss and training.

Everything here runs in the grader's own process only. The checks compare
what a submission did with finite differences of these functions and with
``train``, the trusted per-example SGD.

Parameters of a network are a list of ``(W, b)`` pairs, W of shape
(n_neurons, n_inputs) and b of shape (n_neurons, 1), with one activation name
per layer ("relu", "sigmoid" or "tanh").
"""

from __future__ import annotations

import math

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, exact for large |z| because exp(-|z|) cannot overflow."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def _relu_derivative(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(float)


def _sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s * (1.0 - s)


def _tanh_derivative(z: np.ndarray) -> np.ndarray:
    return 1.0 - np.tanh(z) ** 2


ACTIVATIONS = {
    "relu": (_relu, _relu_derivative),
    "sigmoid": (sigmoid, _sigmoid_derivative),
    "tanh": (np.tanh, _tanh_derivative),
}


def activate(name: str, z: np.ndarray) -> np.ndarray:
    return ACTIVATIONS[name][0](z)


def derivative(name: str, z: np.ndarray) -> np.ndarray:
    return ACTIVATIONS[name][1](z)


def layer_probe(name: str, W, b, x, da):
    """Return s = sum(da * f(W x + b)), whose gradients backward must produce.

    dS/dW = (da * f'(z)) x^T, dS/db = da * f'(z) and dS/dx = W^T (da * f'(z)),
    which are exactly d_weights, d_biases and da_prev for upstream gradient da.
    Any one of W, b and x may be a stack of k values, with the stack as the
    first axis; the result then has shape (k,).
    """
    return np.sum(da * activate(name, W @ x + b), axis=(-2, -1))


def network_losses(stack, like, names, x, y):
    """Losses of one example for a stack of flattened parameter vectors.

    ``stack`` has shape (k, P), each row the parameters of ``like`` (a list of
    (W, b) pairs) flattened layer by layer, W before b. Returns shape (k,).
    """
    a = x
    offset = 0
    for (W, b), name in zip(like, names):
        count = len(stack)
        W_stack = stack[:, offset : offset + W.size].reshape(count, *W.shape)
        offset += W.size
        b_stack = stack[:, offset : offset + b.size].reshape(count, *b.shape)
        offset += b.size
        z = W_stack @ a + b_stack
        a = activate(name, z)
    logits = z[:, 0, 0]
    return np.logaddexp(0.0, logits) - y * logits


def forward(params, names, x) -> tuple[np.ndarray, list]:
    """Run column vector ``x`` through the network.

    Returns the output logit z of the last layer, shape (1, 1), and the list
    of (input, z) pairs of every layer.
    """
    cache = []
    a = x
    z = None
    for (W, b), name in zip(params, names):
        z = W @ a + b
        cache.append((a, z))
        a = activate(name, z)
    return z, cache


def bce_from_logit(z: float, y: float) -> float:
    """Binary cross-entropy of sigmoid(z) against label y, stable for any z.

    -(y log s + (1 - y) log(1 - s)) with s = sigmoid(z) equals
    softplus(z) - y z, and logaddexp computes softplus without overflow.
    """
    return float(np.logaddexp(0.0, z) - y * z)


def example_loss(params, names, x, y) -> float:
    """Loss of one example; the last layer must be the sigmoid output."""
    z, _ = forward(params, names, x)
    return bce_from_logit(float(z[0, 0]), float(y))


def _scalar_sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def sgd_step(params, names, x, y, learning_rate) -> tuple[list, float]:
    """Take one SGD step on example (x, y).

    Returns the new parameters and the example's loss before the step. The
    gradients are the analytic ones of the exercise: at the output,
    da * f'(z) = (y_hat - y) / (y_hat (1 - y_hat)) * y_hat (1 - y_hat), which
    is y_hat - y; in every other layer dz = da * f'(z).
    """
    z_out, cache = forward(params, names, x)
    logit = float(z_out[0, 0])
    loss = bce_from_logit(logit, float(y))
    dz = np.array([[_scalar_sigmoid(logit) - float(y)]])
    new_params = list(params)
    for index in range(len(params) - 1, -1, -1):
        W, b = params[index]
        inputs, z = cache[index]
        if index > 0:
            # dz of the layer below, from da_prev = W^T dz of this one.
            dz_below = (W.T @ dz) * derivative(names[index - 1], cache[index - 1][1])
        new_params[index] = (
            W - learning_rate * (dz @ inputs.T),
            b - learning_rate * dz,
        )
        if index > 0:
            dz = dz_below
    return new_params, loss


def train(params, names, X, y, epochs, learning_rate) -> tuple[list, list[float]]:
    """Train by per-example SGD, in the order of the data.

    Returns the final parameters and the average loss of each epoch, where
    each example's loss is taken before its own update, as ``fit`` does.
    """
    rows = [np.asarray(row, dtype=float).reshape(-1, 1) for row in X]
    if learning_rate == 0:
        # Nothing changes, so every epoch has the same average.
        losses = [example_loss(params, names, x, label) for x, label in zip(rows, y)]
        return params, [sum(losses) / len(rows)] * epochs
    averages = []
    for _ in range(epochs):
        total = 0.0
        for x, label in zip(rows, y):
            params, loss = sgd_step(params, names, x, label, learning_rate)
            total += loss
        averages.append(total / len(rows))
    return params, averages
