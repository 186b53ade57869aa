"""Results of the trusted training, precomputed for the student release.

The checks compare a submission's training with ``reference.train``. The
student release must not contain code that trains a network, because that
code is a solution of ``fit()``. So ``grade release`` grades the reference
solution once, records the result of every ``reference.train`` call that
grading makes, and ships the records as numbers in
``grader/expected_training.json``. The release's ``reference.train`` is the
``train`` below, which looks the result up instead of computing it.

The calls depend only on the seed of the probes, not on the submission, so
the records of one seed cover every submission graded with that seed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

EXPECTED_FILE = Path(__file__).with_name("expected_training.json")

INPUT_RTOL = 1e-9
"""Relative tolerance when matching the inputs of a call with a record. The
probes are drawn from a seeded generator, but a NumPy build that fuses
multiply-adds can round them differently in the last bit."""


class MissingExpected(LookupError):
    """No precomputed training result matches the requested run."""


def _kind(params, names, X, epochs, learning_rate) -> str:
    """Describe the discrete part of a training run, used to match records."""
    shapes = [list(np.shape(W)) for W, _ in params]
    return json.dumps(
        [list(names), shapes, list(np.shape(X)), int(epochs), float(learning_rate)]
    )


def _inputs(params, X, y) -> np.ndarray:
    parts = [
        np.ravel(np.asarray(part, dtype=np.float64)) for pair in params for part in pair
    ]
    parts += [
        np.ravel(np.asarray(X, dtype=np.float64)),
        np.ravel(np.asarray(y, dtype=np.float64)),
    ]
    return np.concatenate(parts)


def make_record(params, names, X, y, epochs, learning_rate, result) -> dict:
    """Store one call of ``reference.train`` and its result as plain data."""
    final_params, averages = result
    return {
        "kind": _kind(params, names, X, epochs, learning_rate),
        "inputs": _inputs(params, X, y).tolist(),
        "params": [
            [np.asarray(W).tolist(), np.asarray(b).tolist()] for W, b in final_params
        ],
        "averages": [float(value) for value in averages],
    }


def _load_records() -> list[dict]:
    try:
        return json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))["records"]
    except FileNotFoundError:
        return []


def train(params, names, X, y, epochs, learning_rate) -> tuple[list, list[float]]:
    """Return the recorded result of ``reference.train`` for these inputs.

    Raises
    ------
    MissingExpected
        When no record matches: another seed than the one recorded, or a
        change of the probes since the release was written.
    """
    kind = _kind(params, names, X, epochs, learning_rate)
    inputs = _inputs(params, X, y)
    for record in _load_records():
        if record["kind"] != kind or len(record["inputs"]) != inputs.size:
            continue
        if np.allclose(inputs, record["inputs"], rtol=INPUT_RTOL, atol=0.0):
            final = [(np.array(W), np.array(b)) for W, b in record["params"]]
            return final, list(record["averages"])
    raise MissingExpected(
        f"no precomputed training result in {EXPECTED_FILE.name} matches this run"
    )
