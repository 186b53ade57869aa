"""The student notebook, its self-check, and grading of notebooks.

Tests marked slow run the notebook headless in a real Jupyter kernel, the
.venv's Python, through a kernelspec written into a temporary JUPYTER_PATH.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbclient
import nbformat
import pytest

from conftest import ROOT, SOLUTION, STUB, run_grade
from grader import notebook
from grader.result import PASSED, Message
from grader.submission import _drop_magics, read_submission

NOTEBOOK = ROOT / "notebooks" / "perceptron.ipynb"
NOTEBOOKS = ROOT / "tests" / "files" / "notebooks"
BUILDER = ROOT / "tools" / "build_notebook.py"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
KERNEL_TIMEOUT = 120
"""Seconds one cell may run in the kernel; the self-check takes about 1 s."""


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_notebook", BUILDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------
# Running notebooks in a real kernel


@pytest.fixture(scope="session")
def jupyter_path(tmp_path_factory) -> Path:
    """A JUPYTER_PATH whose "python3" kernel runs this interpreter."""
    folder = tmp_path_factory.mktemp("jupyter")
    spec_dir = folder / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return folder


@contextlib.contextmanager
def _environment(**variables: str):
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute_notebook(
    notebook_node: nbformat.NotebookNode, cwd: Path, jupyter_path: Path
) -> dict[str, str]:
    """Run every cell in a fresh kernel; return each code cell's text output.

    Raises nbclient's CellExecutionError when a cell raises.
    """
    client = nbclient.NotebookClient(
        notebook_node,
        kernel_name="python3",
        timeout=KERNEL_TIMEOUT,
        resources={"metadata": {"path": str(cwd)}},
    )
    with _environment(JUPYTER_PATH=str(jupyter_path), LANG="C.UTF-8"):
        client.execute()
    outputs = {}
    for cell in notebook_node.cells:
        if cell.cell_type != "code":
            continue
        texts = [output.get("text", "") for output in cell.outputs]
        outputs[cell.id] = ANSI.sub("", "".join(texts))
    return outputs


def solution_classes() -> dict[str, str]:
    """Return the source of each class of the reference solution."""
    source = SOLUTION.read_text()
    tree = ast.parse(source)
    return {
        node.name: ast.get_source_segment(source, node)
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    }


def solved(path: Path) -> nbformat.NotebookNode:
    """Read a notebook and fill in the solution's classes."""
    node = nbformat.read(path, as_version=4)
    classes = solution_classes()
    for cell in node.cells:
        if cell.id == "layer":
            cell.source = classes["Layer"]
        elif cell.id == "perceptron":
            cell.source = classes["Perceptron"]
    return node


@pytest.mark.slow
def test_shipped_notebook_runs_and_reports_missing_parts(jupyter_path):
    node = nbformat.read(NOTEBOOK, as_version=4)
    outputs = execute_notebook(node, NOTEBOOK.parent, jupyter_path)

    assert "Not trained yet" in outputs["train"]
    assert "matplotlib is not installed" in outputs["train"]
    report = outputs["self-check"]
    assert "Score: 0/100" in report
    assert "Still to write: backward(), fit()." in report
    assert "backward() is not written yet" in report
    assert "fit() is not written yet" in report
    assert "Traceback" not in report


@pytest.mark.slow
def test_solved_notebook_gets_full_marks(jupyter_path):
    outputs = execute_notebook(solved(NOTEBOOK), NOTEBOOK.parent, jupyter_path)

    assert "Loss at epoch 30: " in outputs["train"]
    report = outputs["self-check"]
    assert "Score: 100/100" in report
    assert "Full marks: every check passed." in report
    assert "Loss per epoch at learning rate 0.01" in report


@pytest.mark.slow
def test_self_check_points_at_line_in_cell(jupyter_path):
    node = solved(NOTEBOOK)
    layer = next(cell for cell in node.cells if cell.id == "layer")
    layer.source = layer.source.replace(
        "self.weights = self.weights - learning_rate * d_weights",
        "self.weights = self.weights - learning_rate * d_weights\n"
        "        raise ValueError('stop here')",
    )
    line = layer.source.splitlines().index("        raise ValueError('stop here')") + 1
    # The training cell would raise too; this test is about the self-check.
    node.cells = [cell for cell in node.cells if cell.id != "train"]
    outputs = execute_notebook(node, NOTEBOOK.parent, jupyter_path)

    report = outputs["self-check"]
    assert "Score: 0/100" in report
    assert f"raised ValueError in backward() (line {line}): stop here" in report


# --------------------------------------------------------------------------
# The generated notebook


def test_committed_notebook_matches_build():
    builder = _load_builder()
    assert NOTEBOOK.read_text(encoding="utf-8") == builder.build_from_files(), (
        "notebooks/perceptron.ipynb is out of date: run python tools/build_notebook.py"
    )


def test_build_check_reports_drift(tmp_path, capsys):
    builder = _load_builder()
    stale = tmp_path / "perceptron.ipynb"
    stale.write_text(NOTEBOOK.read_text().replace("Shift+Enter", "Ctrl+Enter"))
    builder.NOTEBOOK = stale

    assert builder.main(["--check"]) == 1
    assert "is out of date" in capsys.readouterr().err
    builder.NOTEBOOK = NOTEBOOK
    assert builder.main(["--check"]) == 0


def test_build_check_command_passes():
    process = subprocess.run(
        [sys.executable, str(BUILDER), "--check"], capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr
    assert "is up to date" in process.stdout


def test_notebook_cells_in_order():
    node = nbformat.read(NOTEBOOK, as_version=4)
    code_ids = [cell.id for cell in node.cells if cell.cell_type == "code"]
    assert code_ids == [
        "setup",
        "imports",
        "layer",
        "perceptron",
        "train",
        "self-check",
    ]
    assert node.cells[0].cell_type == "markdown"


def test_notebook_has_no_outputs():
    node = nbformat.read(NOTEBOOK, as_version=4)
    for cell in node.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None
    assert node.metadata.kernelspec.name == "python3"


def test_notebook_code_cells_come_from_stub():
    node = nbformat.read(NOTEBOOK, as_version=4)
    cells = {cell.id: cell.source for cell in node.cells}
    stub = STUB.read_text()
    tree = ast.parse(stub)
    classes = {
        n.name: ast.get_source_segment(stub, n)
        for n in tree.body
        if isinstance(n, ast.ClassDef)
    }
    assert cells["layer"] == classes["Layer"]
    assert cells["perceptron"] == classes["Perceptron"]
    assert "from utils import X_train, relu, sigmoid, y_train" in cells["imports"]
    network = "Perceptron([Layer(2, 6, relu), Layer(6, 6, relu), Layer(6, 1, sigmoid)])"
    assert network in cells["train"]
    assert "network.fit(X_train, y_train, 30, 0.01)" in cells["train"]


def test_notebook_self_check_cell_tagged():
    node = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(cell for cell in node.cells if cell.id == "self-check")
    assert cell.metadata["tags"] == ["self-check"]
    assert "self_check(Layer, Perceptron)" in cell.source


def test_notebook_states_formulas():
    text = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells)
    formulas = [
        r"L = -\big(y \log \hat{y} + (1 - y) \log(1 - \hat{y})\big)",
        r"\frac{\partial L}{\partial \hat{y}} = "
        r"\frac{\hat{y} - y}{\hat{y}\,(1 - \hat{y})}",
        r"dz = da \odot f'(z)",
        r"d_\text{weights} = dz\, x^\top",
        r"d_\text{biases} = dz",
        r"da_\text{prev} = W^\top dz",
        r"W \leftarrow W - \eta\, d_\text{weights}",
        r"b \leftarrow b - \eta\, d_\text{biases}",
    ]
    for formula in formulas:
        assert formula in text


def test_builder_rejects_unknown_marker():
    builder = _load_builder()
    with pytest.raises(ValueError, match="unknown code cell 'plot'"):
        builder.build(STUB.read_text(), "# Title\n<!-- code: plot -->\n")


def test_builder_rejects_missing_marker():
    builder = _load_builder()
    with pytest.raises(ValueError, match="missing"):
        builder.build(STUB.read_text(), "# Title\n<!-- code: setup -->\n")


def test_repository_has_one_utils():
    copies = [
        path
        for path in ROOT.rglob("utils.py")
        if ".venv" not in path.parts and "build" not in path.parts
    ]
    assert copies == [ROOT / "exercise" / "utils.py"]


# --------------------------------------------------------------------------
# Collecting the classes' code


def _import_file(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


HELPER_MODULE = """\
import numpy as np
from numpy import exp as exponential

SCALE = 2.0
WEIGHTS = np.ones(3)


def _double(value):
    return SCALE * value


class Base:
    pass


class MyLayer(Base):
    def forward(self, x):
        local = exponential(x)
        return _double(np.asarray(local)) + WEIGHTS.sum()


class Perceptron:
    def fit(self):
        return MyLayer()
"""


def test_collect_code_copies_helpers(tmp_path):
    path = tmp_path / "helpers_module.py"
    path.write_text(HELPER_MODULE)
    module = _import_file(path, "helpers_module")

    collected = notebook.collect_code([module.MyLayer, module.Perceptron])

    assert collected.header == [
        "from numpy import exp as exponential",
        "import numpy as np",
        "SCALE = 2.0",
    ]
    assert collected.not_copied == ["WEIGHTS"]
    sources = [piece.source.strip() for piece in collected.pieces]
    assert sources[0] == "class Base:\n    pass"
    assert sources[1].startswith("def _double(value):")
    assert sources[2].startswith("class MyLayer(Base):")
    assert sources[3] == "Layer = MyLayer"
    assert sources[4].startswith("class Perceptron:")


def test_collect_code_keeps_line_numbers(tmp_path):
    path = tmp_path / "lines_module.py"
    path.write_text(HELPER_MODULE)
    module = _import_file(path, "lines_module")

    collected = notebook.collect_code([module.MyLayer, module.Perceptron])

    piece = next(p for p in collected.pieces if "class MyLayer" in p.source)
    line = piece.source.splitlines().index("class MyLayer(Base):") + 1
    assert line == HELPER_MODULE.splitlines().index("class MyLayer(Base):") + 1
    assert piece.label == Message("self_check_file_label", {"file": "lines_module.py"})


def test_check_classes_grades_solution():
    module = _import_file(SOLUTION, "solution_for_self_check")

    result = notebook.check_classes(module.Layer, module.Perceptron, language="en")

    assert result.score == 100
    assert all(check.status == PASSED for check in result.checks)
    assert result.submission == "Layer and Perceptron"


def test_self_check_rejects_non_class(capsys):
    notebook.self_check("Layer", object, language="en")
    output = capsys.readouterr().out
    assert "self_check() expects the classes Layer and Perceptron" in output
    assert "Layer is a str" in output


def test_self_check_module_command(tmp_path):
    process = subprocess.run(
        [sys.executable, "-m", "grader.notebook", str(STUB)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert process.returncode == 1, process.stderr
    assert "Score: 0/100" in process.stdout
    assert "Still to write: backward(), fit()." in process.stdout


# --------------------------------------------------------------------------
# Grading notebooks with `grade`


def _report_text(process) -> str:
    """Return the report with its wrapped lines joined, to match sentences."""
    return " ".join(process.stdout.split())


def test_grade_notebook_with_magics():
    process = run_grade(NOTEBOOKS / "correct_many_cells.ipynb")
    report = _report_text(process)
    assert process.returncode == 0, process.stdout + process.stderr
    assert "Score: 100/100" in process.stdout.splitlines()
    assert "- IPython magic or shell lines skipped: 4." in report
    assert "- The self-check in cell 7 was not run during grading." in report


def test_grade_notebook_scratch_error_at_end():
    process = run_grade(NOTEBOOKS / "scratch_error_at_end.ipynb")
    report = _report_text(process)
    assert process.returncode == 0, process.stdout + process.stderr
    assert "Score: 100/100" in process.stdout.splitlines()
    assert "- In cell 4, your code raised NameError (line 3)" in report
    assert "name 'undefined_helper' is not defined" in report


def test_grade_notebook_classes_missing():
    process = run_grade(NOTEBOOKS / "classes_missing.ipynb")
    assert process.returncode == 1
    assert "The class Perceptron is not defined" in _report_text(process)


def test_grade_notebook_invalid_json():
    process = run_grade(NOTEBOOKS / "invalid_json.ipynb")
    assert process.returncode == 1
    assert "is not a valid notebook (invalid JSON: " in _report_text(process)
    assert "Traceback" not in process.stderr


def test_grade_notebook_without_code():
    process = run_grade(NOTEBOOKS / "no_code.ipynb")
    report = _report_text(process)
    assert process.returncode == 1
    assert (
        "no_code.ipynb contains no code: write the exercise in its code cells."
        in report
    )


def test_grade_shipped_notebook_skips_self_check():
    process = run_grade(NOTEBOOK)
    report = _report_text(process)
    assert process.returncode == 1
    assert "Score: 0/100" in process.stdout.splitlines()
    assert "- The self-check in cell 6 was not run during grading." in report


def test_grade_notebook_starts_no_kernel():
    script = textwrap.dedent(
        f"""
        import sys
        from grader.cli import main
        code = main([{str(NOTEBOOKS / "correct_many_cells.ipynb")!r}])
        loaded = [m for m in ("jupyter_client", "ipykernel", "nbclient", "zmq")
                  if m in sys.modules]
        print("LOADED", loaded, "EXIT", int(code))
        """
    )
    process = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT
    )
    assert "LOADED [] EXIT 0" in process.stdout, process.stdout + process.stderr


def test_read_notebook_drops_magics_keeps_timed_code():
    submission = read_submission(NOTEBOOKS / "correct_many_cells.ipynb")
    sources = [cell.source for cell in submission.cells]
    assert sources[0] == "pass\npass"
    assert any("network.fit(X_train, y_train, 30, 0.01)" in s for s in sources)
    assert [cell.label for cell in submission.cells][-1] == "cell 6"


@pytest.mark.parametrize(
    ("source", "expected", "count"),
    [
        ("x = 1  # right?\ny = 2", "x = 1  # right?\ny = 2", 0),
        ("if (1\n    != 2):\n    pass", "if (1\n    != 2):\n    pass", 0),
        ("%matplotlib inline\nimport numpy", "pass\nimport numpy", 1),
        ("!pip install numpy\nx = 1  # ok?", "pass\nx = 1  # ok?", 1),
        ("np.zeros?\n??np\nx = 1", "pass\npass\nx = 1", 2),
        ("for i in range(2):\n    !ls\n", "for i in range(2):\n    pass\n", 1),
        ("%%time\nclass A: pass", "pass\nclass A: pass", 1),
        ("%%bash\nls -l", "", 1),
    ],
)
def test_drop_magics(source, expected, count):
    assert _drop_magics(source) == (expected, count)


class _FakeAxes:
    def __init__(self, calls: list):
        self.calls = calls

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


class _FakePyplot:
    """Records the calls the self-check makes to matplotlib.pyplot."""

    def __init__(self):
        self.calls: list = []

    def subplots(self, **kwargs):
        return object(), _FakeAxes(self.calls)

    def show(self):
        self.calls.append(("show", (), {}))


def test_plot_curves_draws_both_lines():
    pyplot = _FakePyplot()
    curves = {"expected": [0.7, 0.6, 0.5], "found": [0.7, None, 0.4]}

    notebook._plot_curves(pyplot, curves, "en")

    plots = [args for name, args, _ in pyplot.calls if name == "plot"]
    assert plots[0] == (range(1, 4), [0.7, 0.6, 0.5])
    assert plots[1] == ([1, 3], [0.7, 0.4])
    assert pyplot.calls[-1][0] == "show"


def test_plot_curves_skips_without_values():
    pyplot = _FakePyplot()
    notebook._plot_curves(pyplot, {"expected": [0.7], "found": []}, "en")
    assert pyplot.calls == []
