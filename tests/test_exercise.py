"""The exercise's shared utils, its stub and the reference solution."""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import sys

import numpy as np
import pytest

from conftest import ROOT, SOLUTION, STUB

EXERCISE = ROOT / "exercise"


def _load(path, name):
    sys.path.insert(0, str(EXERCISE))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXERCISE))
    return module


@pytest.fixture(scope="module")
def utils():
    return _load(EXERCISE / "utils.py", "utils")


@pytest.fixture(scope="module")
def solution():
    return _load(SOLUTION, "reference_solution")


def test_only_one_utils_in_repository():
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    copies = [name for name in tracked if name.rsplit("/", 1)[-1] == "utils.py"]
    assert copies == ["exercise/utils.py"]


def test_training_set_shapes(utils):
    assert utils.X_train.shape[1] == 2
    assert 20 <= len(utils.X_train) <= 100
    assert utils.y_train.shape == (len(utils.X_train),)
    assert set(np.unique(utils.y_train)) == {0.0, 1.0}


def test_sigmoid_safe_for_large_inputs(utils):
    z = np.array([[-1000.0], [-40.0], [0.0], [40.0], [1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = utils.sigmoid(z)
        slopes = utils.sigmoid.derivative(z)
    assert np.all(np.isfinite(values))
    assert values[2, 0] == 0.5
    assert values[0, 0] == 0.0
    assert values[4, 0] == 1.0
    assert slopes[2, 0] == 0.25
    assert np.all(slopes >= 0)


def test_sigmoid_derivative_matches_difference(utils):
    z = np.linspace(-6, 6, 13).reshape(-1, 1)
    step = 1e-6
    numeric = (utils.sigmoid(z + step) - utils.sigmoid(z - step)) / (2 * step)
    # Central differences with h = 1e-6 are accurate to about 1e-8 here.
    np.testing.assert_allclose(utils.sigmoid.derivative(z), numeric, rtol=1e-6)


def test_relu_and_derivative(utils):
    z = np.array([[-2.0], [0.0], [3.0]])
    np.testing.assert_array_equal(utils.relu(z), [[0.0], [0.0], [3.0]])
    np.testing.assert_array_equal(utils.relu.derivative(z), [[0.0], [0.0], [1.0]])


def _losses(solution, utils, seed, epochs=30):
    np.random.seed(seed)
    network = solution.Perceptron(
        [
            solution.Layer(2, 6, utils.relu),
            solution.Layer(6, 6, utils.relu),
            solution.Layer(6, 1, utils.sigmoid),
        ]
    )
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        network.fit(utils.X_train, utils.y_train, epochs, 0.01)
    return [float(line.rsplit(":", 1)[1]) for line in printed.getvalue().splitlines()]


@pytest.mark.parametrize("seed", range(60))
def test_reference_loss_falls_every_epoch(solution, utils, seed):
    losses = _losses(solution, utils, seed)
    assert len(losses) == 30
    rises = [
        epoch + 2 for epoch, (a, b) in enumerate(zip(losses, losses[1:])) if b >= a
    ]
    assert rises == []


def test_solution_script_prints_losses():
    import subprocess

    finished = subprocess.run(
        [sys.executable, str(SOLUTION)], capture_output=True, text=True, timeout=60
    )
    lines = finished.stdout.splitlines()
    assert finished.returncode == 0
    assert lines[0].startswith("Loss at epoch 1: ")
    assert len(lines) == 30


def _function(tree, class_name, method):
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == method:
                    return item
    raise AssertionError(f"{class_name}.{method} not found")


@pytest.mark.parametrize(
    "class_name, method", [("Layer", "backward"), ("Perceptron", "fit")]
)
def test_stub_leaves_methods_to_student(class_name, method):
    tree = ast.parse(STUB.read_text())
    function = _function(tree, class_name, method)
    statements = [n for n in function.body if not isinstance(n, ast.Expr)]
    assert len(statements) == 1
    assert isinstance(statements[0], ast.Raise)
    assert "NotImplementedError" in ast.unparse(statements[0])


def test_stub_docstring_states_gradients():
    tree = ast.parse(STUB.read_text())
    docstring = ast.get_docstring(_function(tree, "Layer", "backward"))
    for formula in (
        "dz = da * f'(z)",
        "d_weights = dz . x^T",
        "d_biases = dz",
        "da_prev = W^T . dz",
    ):
        assert formula in docstring


def test_stub_signatures_match_solution():
    stub, reference = ast.parse(STUB.read_text()), ast.parse(SOLUTION.read_text())
    for class_name, method in [
        ("Layer", "__init__"),
        ("Layer", "forward"),
        ("Layer", "backward"),
        ("Perceptron", "fit"),
    ]:
        stub_args = [a.arg for a in _function(stub, class_name, method).args.args]
        reference_args = [
            a.arg for a in _function(reference, class_name, method).args.args
        ]
        assert stub_args == reference_args
