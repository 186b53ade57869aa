"""Finite differences and array comparisons against exact answers."""

from __future__ import annotations

import numpy as np

from grader import numeric, reference


def test_central_difference_of_quadratic():
    point = np.array([[1.0, -2.0], [0.5, 3.0]])
    gradient = numeric.central_difference(
        lambda stack: np.sum(stack**2, axis=(1, 2)), point
    )
    # The central difference of a quadratic is exact up to round-off.
    np.testing.assert_allclose(gradient, 2 * point, rtol=1e-8)


def test_central_difference_leaves_point_unchanged():
    point = np.array([0.3, -0.7])
    copy = point.copy()
    numeric.central_difference(lambda stack: np.sum(np.sin(stack), axis=1), point)
    np.testing.assert_array_equal(point, copy)


def test_layer_probe_gradients_match_formulas():
    rng = np.random.default_rng(3)
    W = rng.uniform(-1, 1, (4, 3))
    b = rng.uniform(-1, 1, (4, 1))
    x = rng.uniform(-1, 1, (3, 1))
    da = rng.uniform(-1, 1, (4, 1))
    z = W @ x + b
    dz = da * reference.derivative("tanh", z)
    expected = {"W": dz @ x.T, "b": dz, "x": W.T @ dz}
    found = {
        "W": numeric.central_difference(
            lambda v: reference.layer_probe("tanh", v, b, x, da), W
        ),
        "b": numeric.central_difference(
            lambda v: reference.layer_probe("tanh", W, v, x, da), b
        ),
        "x": numeric.central_difference(
            lambda v: reference.layer_probe("tanh", W, b, v, da), x
        ),
    }
    for name in expected:
        # Truncation error h^2 ~ 1e-12 plus round-off ~ 1e-10.
        np.testing.assert_allclose(found[name], expected[name], rtol=1e-7, atol=1e-9)


def test_network_losses_match_example_loss():
    rng = np.random.default_rng(5)
    params = [
        (rng.uniform(-1, 1, (4, 2)), rng.uniform(-1, 1, (4, 1))),
        (rng.uniform(-1, 1, (1, 4)), rng.uniform(-1, 1, (1, 1))),
    ]
    names = ["relu", "sigmoid"]
    x = np.array([[0.3], [-0.8]])
    flat = np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in params])
    batch = reference.network_losses(flat[None, :], params, names, x, 1.0)
    assert batch.shape == (1,)
    assert abs(batch[0] - reference.example_loss(params, names, x, 1.0)) < 1e-15


def test_compare_accepts_float32_rounding():
    expected = np.array([[0.123456789, -2.5], [1e-3, 4.0]])
    found = expected.astype(np.float32).astype(np.float64)
    assert numeric.compare(found, expected).ok


def test_compare_reports_worst_entry():
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    found = expected.copy()
    found[1, 0] = 3.3
    comparison = numeric.compare(found, expected)
    assert not comparison.ok
    assert comparison.index == (1, 0)
    assert comparison.found == 3.3
    assert comparison.expected == 3.0


def test_compare_rejects_small_scaling():
    expected = np.array([1.0, -2.0, 3.0])
    assert not numeric.compare(1.01 * expected, expected).ok


def test_scale_against_finds_factor():
    expected = np.array([1.0, -2.0, 3.0])
    k, residual = numeric.scale_against(-0.25 * expected, expected)
    assert abs(k + 0.25) < 1e-12
    assert residual < 1e-12


def test_scale_against_flags_other_direction():
    _, residual = numeric.scale_against(np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    assert residual > 0.5


def test_bce_from_logit_is_stable():
    assert reference.bce_from_logit(0.0, 1.0) == np.log(2)
    assert np.isfinite(reference.bce_from_logit(800.0, 0.0))
    assert reference.bce_from_logit(800.0, 0.0) == 800.0
    assert reference.bce_from_logit(-800.0, 0.0) == 0.0


def test_train_matches_hand_written_step():
    rng = np.random.default_rng(0)
    params = [(rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (3, 1)))]
    params.append((rng.uniform(-1, 1, (1, 3)), rng.uniform(-1, 1, (1, 1))))
    names = ["relu", "sigmoid"]
    x = np.array([[0.5], [-1.0]])
    y = 1.0
    z1 = params[0][0] @ x + params[0][1]
    a1 = np.maximum(z1, 0)
    z2 = params[1][0] @ a1 + params[1][1]
    y_hat = 1 / (1 + np.exp(-z2))
    dz2 = y_hat - y
    dz1 = (params[1][0].T @ dz2) * (z1 > 0)
    lr = 0.1
    expected = [
        (params[0][0] - lr * dz1 @ x.T, params[0][1] - lr * dz1),
        (params[1][0] - lr * dz2 @ a1.T, params[1][1] - lr * dz2),
    ]
    trained, averages = reference.train(params, names, x.T, [y], 1, lr)
    for (W, b), (W_expected, b_expected) in zip(trained, expected):
        np.testing.assert_allclose(W, W_expected, rtol=1e-12)
        np.testing.assert_allclose(b, b_expected, rtol=1e-12)
    assert abs(averages[0] - float(-np.log(y_hat[0, 0]))) < 1e-12
