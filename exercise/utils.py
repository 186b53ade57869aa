"""Shared data and activation functions for the perceptron exercise.

This is the only copy of ``utils`` in the kit. The exercise stub, the reference
solution, the notebook and the grader all import it, and the grader ships it to
every submission it runs in place of any ``utils.py`` a student hands in.
"""

import numpy as np


class ReLU:
    """Rectified linear unit, f(z) = max(0, z), applied element-wise."""

    def __call__(self, z):
        return np.maximum(0.0, z)

    def derivative(self, z):
        """Return f'(z): 1 where z > 0 and 0 elsewhere (0 at the kink z = 0)."""
        return (z > 0).astype(float)


class Sigmoid:
    """Logistic function, f(z) = 1 / (1 + exp(-z)), applied element-wise."""

    def __call__(self, z):
        # exp(-|z|) never overflows, so each branch is exact for large |z|.
        z = np.asarray(z, dtype=float)
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def derivative(self, z):
        """Return f'(z) = f(z) * (1 - f(z)), the slope with respect to z."""
        s = self(z)
        return s * (1.0 - s)


relu = ReLU()
sigmoid = Sigmoid()

# Training set: 40 points in 2-D from two overlapping clusters, with their 0/1
# labels, fixed so that every run of the exercise sees the same data. The
# points are scaled so that training at learning rate 0.01 is slow enough for
# the average loss to fall every epoch for 30 epochs (checked for 60 seeds of
# the initial weights by tests/test_exercise.py).
# X_train has shape (40, 2) and y_train shape (40,).
X_train = np.array(
    [
        [0.96, 0.69],
        [0.61, 0.77],
        [0.28, 1.09],
        [-0.6, -1.14],
        [-1.18, -0.28],
        [-0.82, -0.16],
        [0.28, 0.68],
        [-0.9, -0.72],
        [-0.19, -0.13],
        [0.82, 0.88],
        [0.06, 0.72],
        [-0.33, -0.14],
        [0.07, 0.51],
        [0.18, -0.33],
        [0.55, 0.49],
        [0.33, 0.39],
        [-0.19, 0.16],
        [-0.31, -1.27],
        [0.18, -0.65],
        [-0.28, -1.1],
        [1.12, -0.15],
        [0.01, 0.64],
        [0.08, 0.91],
        [-0.06, 0.23],
        [-0.32, 0.04],
        [-1.47, -0.63],
        [-0.42, 0.17],
        [-0.85, -0.45],
        [0.11, -0.08],
        [-0.95, -0.42],
        [0.56, 0.49],
        [0.91, 0.8],
        [-0.59, -0.94],
        [-0.14, 0.24],
        [0.18, -0.51],
        [-0.42, -1.18],
        [0.27, 0.38],
        [0.89, 0.93],
        [-0.44, -0.79],
        [-0.5, -0.77],
    ]
)
# fmt: off
y_train = np.array(
    [1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0,
     1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0],
    dtype=float,
)
# fmt: on
