"""Generate benchmark submissions from the reference solution by text edits.

Every generated file is the reference solution with a few exact substring
replacements. Correct submissions combine edits that keep the maths the same
(np.dot for @, -= for the update, other loss formulas, ...), so a class looks
varied. A buggy submission has exactly one mistake, a hanging one an infinite
loop at import, in backward() or in fit(), and a hostile one floods its
output or allocates memory until the memory limit stops it.
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
SOLUTION = REPOSITORY / "solution" / "perceptron.py"

Edit = tuple[str, str]
"""An exact substring of the solution and its replacement."""

# Edits that keep the submission correct. Each applies to the reference text.
STYLE_EDITS: dict[str, list[Edit]] = {
    "np_dot_weights": [
        ("d_weights = dz @ self.inputs.T", "d_weights = np.dot(dz, self.inputs.T)")
    ],
    "np_dot_da_prev": [
        ("da_prev = self.weights.T @ dz", "da_prev = np.dot(self.weights.T, dz)")
    ],
    "in_place_update": [
        (
            "self.weights = self.weights - learning_rate * d_weights",
            "self.weights -= learning_rate * d_weights",
        ),
        (
            "self.biases = self.biases - learning_rate * d_biases",
            "self.biases -= learning_rate * d_biases",
        ),
    ],
    "slice_reversed": [
        ("for layer in reversed(self.layers):", "for layer in self.layers[::-1]:")
    ],
    "loss_derivative_terms": [
        (
            "da = (y_hat - y) / (y_hat * (1 - y_hat))",
            "da = -(y / y_hat) + (1 - y) / (1 - y_hat)",
        )
    ],
    "format_call": [
        (
            'print(f"Loss at epoch {epoch + 1}: {average_loss:.3f}")',
            'print("Loss at epoch {}: {:.3f}".format(epoch + 1, average_loss))',
        )
    ],
    "loss_indexing": [("total_loss += loss.item()", "total_loss += loss[0, 0]")],
    "derivative_alias": [
        (
            "dz = da * self.activation.derivative(self.outputs)",
            "derivative = self.activation.derivative\n"
            "        dz = da * derivative(self.outputs)",
        )
    ],
    "no_path_setup": [
        (
            "# The one shared utils.py lives in exercise/; this lets the file run "
            "from anywhere.\n",
            "",
        ),
        (
            "EXERCISE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "
            '"..", "exercise")\nsys.path.insert(0, EXERCISE)\n',
            "",
        ),
    ],
    "train_at_import": [
        (
            'if __name__ == "__main__":\n'
            "    network = Perceptron([Layer(2, 6, relu), Layer(6, 6, relu), "
            "Layer(6, 1, sigmoid)])\n"
            "    network.fit(X_train, y_train, 30, 0.01)\n",
            "network = Perceptron([Layer(2, 6, relu), Layer(6, 6, relu), "
            "Layer(6, 1, sigmoid)])\n"
            "network.fit(X_train, y_train, 5, 0.01)\n",
        )
    ],
}

# Edits that each introduce one mistake.
BUG_EDITS: dict[str, list[Edit]] = {
    "d_weights_transposed": [
        ("d_weights = dz @ self.inputs.T", "d_weights = self.inputs @ dz.T")
    ],
    "d_biases_summed": [("d_biases = dz\n", "d_biases = np.sum(dz)\n")],
    "da_prev_after_update": [
        ("        da_prev = self.weights.T @ dz\n", ""),
        (
            "        return da_prev\n",
            "        da_prev = self.weights.T @ dz\n        return da_prev\n",
        ),
    ],
    "step_uphill": [
        (
            "self.weights = self.weights - learning_rate",
            "self.weights = self.weights + learning_rate",
        )
    ],
    "biases_not_updated": [
        ("        self.biases = self.biases - learning_rate * d_biases\n", "")
    ],
    "derivative_skipped": [
        ("dz = da * self.activation.derivative(self.outputs)", "dz = da")
    ],
    "learning_rate_ignored": [
        ("learning_rate * d_weights", "0.01 * d_weights"),
    ],
    "loss_derivative_sign": [("da = (y_hat - y) /", "da = (y - y_hat) /")],
    "epoch_numbering": [("{epoch + 1}:", "{epoch}:")],
    "loss_not_averaged": [
        ("average_loss = total_loss / len(training_data)", "average_loss = total_loss")
    ],
    "loss_not_reset": [
        (
            "        for epoch in range(epochs):\n            total_loss = 0.0\n",
            "        total_loss = 0.0\n        for epoch in range(epochs):\n",
        )
    ],
    "da_prev_not_returned": [("        return da_prev\n", "")],
}

HANG_EDITS: dict[str, list[Edit]] = {
    "hang_at_import": [
        ("class Layer:", "while True:\n    pass\n\n\nclass Layer:"),
    ],
    "hang_in_backward": [
        (
            "        dz = da * self.activation",
            "        while True:\n            pass\n        dz = da * self.activation",
        )
    ],
    "hang_in_fit": [
        (
            "            total_loss = 0.0\n",
            "            total_loss = 0.0\n"
            "            while True:\n"
            "                pass\n",
        )
    ],
}

HOSTILE_EDITS: dict[str, list[Edit]] = {
    # About 100 MB written to standard output at import.
    "print_flood": [
        (
            "class Layer:",
            'for _ in range(100):\n    print("#" * 1_000_000)\n\n\nclass Layer:',
        )
    ],
    # Allocates 1 MiB blocks until the memory limit raises MemoryError.
    "memory_hog": [
        (
            "class Layer:",
            "hog = []\n"
            "while True:\n"
            "    hog.append(bytearray(1 << 20))\n\n\n"
            "class Layer:",
        )
    ],
}


@dataclasses.dataclass
class Generated:
    """One generated submission: where it is and what it should score."""

    path: Path
    kind: str
    """"correct", "buggy", "hanging" or "hostile"."""
    edit: str
    """Name of the mistake, hang or hostile edit, or the styles of a correct one."""


def apply_edits(source: str, edits: list[Edit]) -> str:
    """Replace each substring, which must occur exactly once, or raise ValueError."""
    for old, new in edits:
        if source.count(old) != 1:
            raise ValueError(f"the edit expects {old!r} exactly once in the source")
        source = source.replace(old, new)
    return source


def class_mix(total: int) -> dict[str, int]:
    """Split ``total`` submissions: 5% hanging, 2% hostile, 18% buggy, the rest
    correct, with at least one of each kind from 4 submissions up.

    For 200 that is 150 correct, 36 buggy, 4 hostile and 10 hanging.
    """
    minimum = 1 if total >= 4 else 0
    hanging = max(minimum, total * 5 // 100)
    hostile = max(minimum, total * 2 // 100)
    buggy = max(minimum, total * 18 // 100)
    return {
        "correct": total - hanging - hostile - buggy,
        "buggy": buggy,
        "hostile": hostile,
        "hanging": hanging,
    }


def correct_variant(source: str, rng: random.Random) -> tuple[str, list[str]]:
    """Apply a random subset of the style edits, returning the text and their names."""
    names = sorted(name for name in STYLE_EDITS if rng.random() < 0.5)
    edits = [edit for name in names for edit in STYLE_EDITS[name]]
    return apply_edits(source, edits), names


def generate_class(folder: Path, total: int, seed: int = 0) -> list[Generated]:
    """Write ``total`` submissions into ``folder`` and describe each.

    Even-numbered students hand in ``student_NNN/submission.py``, the others a
    flat ``student_NNN.py``, so both layouts of batch mode are exercised.
    """
    rng = random.Random(seed)
    source = SOLUTION.read_text(encoding="utf-8")
    plan = []
    mix = class_mix(total)
    for kind, table in (
        ("buggy", BUG_EDITS),
        ("hostile", HOSTILE_EDITS),
        ("hanging", HANG_EDITS),
    ):
        names = list(table)
        plan += [(kind, names[i % len(names)]) for i in range(mix[kind])]
    plan += [("correct", "")] * mix["correct"]
    rng.shuffle(plan)

    generated = []
    for number, (kind, name) in enumerate(plan):
        if kind == "correct":
            text, styles = correct_variant(source, rng)
            name = "+".join(styles) or "reference"
        else:
            table = {
                "buggy": BUG_EDITS,
                "hostile": HOSTILE_EDITS,
                "hanging": HANG_EDITS,
            }
            text = apply_edits(source, table[kind][name])
        text = f"# Student {number:03d}: {kind} ({name})\n" + text
        path = _submission_path(folder, number)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        generated.append(Generated(path, kind, name))
    return generated


def _submission_path(folder: Path, number: int) -> Path:
    if number % 2 == 0:
        return folder / f"student_{number:03d}" / "submission.py"
    return folder / f"student_{number:03d}.py"


def notebook_from_solution(path: Path) -> None:
    """Write the reference solution as a student's notebook at ``path``.

    The notebook has a title, an imports cell with a magic line, one cell per
    class, a training cell, and a self-check cell that grading skips. It is
    written as plain nbformat 4 JSON.
    """
    source = SOLUTION.read_text(encoding="utf-8")
    layer = source[source.index("class Layer:") : source.index("class Perceptron:")]
    perceptron = source[
        source.index("class Perceptron:") : source.index('if __name__ == "__main__":')
    ]
    cells = [
        _cell("markdown", "# Perceptron exercise\n\nBackward pass and training."),
        _cell(
            "code",
            "%matplotlib inline\nimport numpy as np\n"
            "from utils import X_train, relu, sigmoid, y_train",
        ),
        _cell("code", layer.strip()),
        _cell("code", perceptron.strip()),
        _cell(
            "code",
            "network = Perceptron([Layer(2, 6, relu), Layer(6, 6, relu), "
            "Layer(6, 1, sigmoid)])\nnetwork.fit(X_train, y_train, 30, 0.01)",
        ),
        _cell("code", "from utils import self_check\nself_check(Layer, Perceptron)"),
    ]
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"cell-{number}"
    cells[-1]["metadata"]["tags"] = ["self-check"]
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {
                "display_name": "Python 3",
                "language": "python",
                "name": "python3",
            },
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def _cell(kind: str, text: str) -> dict:
    cell = {"cell_type": kind, "metadata": {}}
    cell["source"] = text.splitlines(keepends=True)
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell
