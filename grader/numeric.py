"""Finite differences and comparisons of arrays.

The gradient checks follow standard practice for float64: central differences
with step 1e-6, whose truncation error is O(h^2), about 1e-12 here, and whose
round-off error is about 1e-16 / 1e-6 = 1e-10 relative to the function's size.
Values a submission computes correctly agree with them to about 1e-9, and the
tolerance below leaves room for submissions that compute in float32.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

STEP = 1e-6

RTOL = 1e-4
"""Relative tolerance; float32 arithmetic stays near 1e-6, real mistakes are
1e-2 or more."""

ATOL_FRACTION = 1e-6
"""Absolute floor, as a fraction of the largest expected entry, so that tiny
entries are not judged by their relative error alone."""


def central_difference(function: Callable[[np.ndarray], np.ndarray], point):
    """Return the gradient of a scalar function by central differences.

    Parameters
    ----------
    function : callable
        Maps a stack of points, shape (k, *point.shape), to their k values,
        shape (k,). Taking every perturbed point at once lets NumPy evaluate
        them in one batch instead of one Python call each.
    point : numpy.ndarray
        Where to differentiate; not modified.

    Returns
    -------
    numpy.ndarray
        Array shaped like ``point``: (f(p + h e_i) - f(p - h e_i)) / 2h.
    """
    point = np.asarray(point, dtype=np.float64)
    size = point.size
    steps = np.eye(size).reshape((size, *point.shape)) * STEP
    values = function(np.concatenate([point + steps, point - steps]))
    return ((values[:size] - values[size:]) / (2 * STEP)).reshape(point.shape)


@dataclasses.dataclass
class Comparison:
    """Result of comparing a found array with an expected one of equal shape."""

    ok: bool
    max_relative_error: float
    index: tuple
    found: float
    expected: float


def compare(found: np.ndarray, expected: np.ndarray) -> Comparison:
    """Compare entry by entry with the relative-error rule.

    An entry passes when |found - expected| <= atol + RTOL * |expected|, atol
    being ATOL_FRACTION times the largest |expected|. The reported error is
    |found - expected| / max(|found| + |expected|, tiny), at its worst entry.
    """
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    atol = max(ATOL_FRACTION * scale, 1e-12)
    difference = np.abs(found - expected)
    within = difference <= atol + RTOL * np.abs(expected)
    denominator = np.maximum(np.abs(found) + np.abs(expected), 1e-12)
    relative = np.where(within, 0.0, difference / denominator)
    worst = np.unravel_index(int(np.argmax(relative)), relative.shape)
    if bool(np.all(within)):
        worst = np.unravel_index(int(np.argmax(difference)), difference.shape)
    return Comparison(
        ok=bool(np.all(within)),
        max_relative_error=float(np.max(relative)) if relative.size else 0.0,
        index=tuple(int(i) for i in worst),
        found=float(found[worst]),
        expected=float(expected[worst]),
    )


def scale_against(found: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """Fit found ~ k * expected; return k and the residual relative to |found|.

    A residual near 0 means ``found`` points the same way as ``expected`` and
    only its size (or sign) differs by the factor k.
    """
    norm = float(np.sum(expected * expected))
    if norm == 0.0:
        return 0.0, 0.0 if not np.any(found) else 1.0
    k = float(np.sum(found * expected)) / norm
    found_norm = float(np.linalg.norm(found))
    if found_norm == 0.0:
        return 0.0, 0.0
    residual = float(np.linalg.norm(found - k * expected)) / found_norm
    return k, residual
