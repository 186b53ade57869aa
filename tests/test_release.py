"""The student release: its contents, no solution in it, a working self-check."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest
from test_notebook import execute_notebook, jupyter_path, solved  # noqa: F401

from conftest import ROOT, SOLUTION, STUB, SUBMISSIONS, run_grade
from grader import precomputed, release
from grader.result import CHECKS

KEYWORD_LINE = re.compile(r"^(try|else|finally|except\b.*)\s*:$")


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("release") / "perceptron"
    release.write_release(folder)
    return folder


def _release_text_files(folder: Path) -> dict[Path, list[str]]:
    """Return the stripped lines of every text file, notebook cells included."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            cells = json.loads(text)["cells"]
            text = "\n".join("".join(cell["source"]) for cell in cells)
        files[path] = [line.strip() for line in text.splitlines()]
    return files


def _body_lines(path: Path, names: set[str]) -> set[str]:
    """Return the stripped code lines of the named functions, docstrings left out."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef) or node.name not in names:
            continue
        body = node.body
        if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        for statement in body:
            found.update(lines[statement.lineno - 1 : statement.end_lineno])
    return {line.strip() for line in found}


def _answer_lines() -> set[str]:
    """Lines of code that solve the exercise, minus those the stub gives away."""
    answer = _body_lines(SOLUTION, {"backward", "fit"})
    for module, functions in release.TRAINING_CODE.items():
        answer |= _body_lines(ROOT / "grader" / f"{module}.py", set(functions))
    stub_lines = {line.strip() for line in STUB.read_text().splitlines()}
    stub_lines |= {
        line.strip() for line in (ROOT / "notebooks" / "instructions.md").open()
    }
    return {
        line
        for line in answer - stub_lines
        if line and not line.startswith("#") and not KEYWORD_LINE.match(line)
    }


# --------------------------------------------------------------------------
# Contents


def test_release_top_level_files(release_dir):
    names = sorted(path.name for path in release_dir.iterdir())
    assert names == [
        "README.md",
        "grader",
        "perceptron.ipynb",
        "perceptron.py",
        "utils.py",
    ]


def test_release_copies_exercise_files(release_dir):
    assert (release_dir / "perceptron.py").read_bytes() == STUB.read_bytes()
    utils = (ROOT / "exercise" / "utils.py").read_bytes()
    assert (release_dir / "utils.py").read_bytes() == utils
    assert (release_dir / "grader" / "exercise" / "utils.py").read_bytes() == utils
    notebook = (ROOT / "notebooks" / "perceptron.ipynb").read_bytes()
    assert (release_dir / "perceptron.ipynb").read_bytes() == notebook


def test_release_grader_holds_self_check_modules(release_dir):
    modules = {path.stem for path in (release_dir / "grader").glob("*.py")}
    assert {
        "notebook",
        "grading",
        "checks",
        "probes",
        "reference",
        "sandbox",
    } <= modules
    assert {"_worker", "precomputed", "__init__"} <= modules
    assert not {"cli", "release", "batch", "formats", "__main__"} & modules


def test_release_readme_lists_checks(release_dir):
    readme = (release_dir / "README.md").read_text()
    for name, points in CHECKS.items():
        if points:
            assert f"`{name}` ({points})" in readme


# --------------------------------------------------------------------------
# No solution


def test_release_has_no_solution_file(release_dir):
    solution = SOLUTION.read_bytes()
    for path in release_dir.rglob("*"):
        assert path.parent.name != "solution"
        if path.is_file():
            assert path.read_bytes() != solution, path


def test_release_has_no_solution_lines(release_dir):
    answer = _answer_lines()
    assert len(answer) > 20, "the answer's lines were not found"
    for path, lines in _release_text_files(release_dir).items():
        leaked = answer & set(lines)
        assert not leaked, f"{path.relative_to(release_dir)} contains {sorted(leaked)}"


def test_release_defines_no_training(release_dir):
    for module, functions in release.TRAINING_CODE.items():
        path = release_dir / "grader" / f"{module}.py"
        if not path.exists():
            continue
        defined = {
            node.name
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef)
        }
        assert not defined & set(functions), module


def test_answer_check_finds_solution(tmp_path):
    leaked = tmp_path / "leak.py"
    leaked.write_text(SOLUTION.read_text())
    answer = _answer_lines()
    assert answer & set(_release_text_files(tmp_path)[leaked])


# --------------------------------------------------------------------------
# The command


def test_release_command_writes_folder(tmp_path):
    process = run_grade("release", tmp_path / "out")
    assert process.returncode == 0, process.stderr
    assert f"Wrote the student release to {tmp_path / 'out'}:" in process.stdout
    assert (tmp_path / "out" / "perceptron.ipynb").is_file()


def test_release_rejects_non_empty_folder(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep me")
    assert release.main([str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"grade: {tmp_path} exists and is not an empty folder")
    assert (tmp_path / "notes.txt").read_text() == "keep me"


# --------------------------------------------------------------------------
# Trimming modules


TRIM_SOURCE = '''\
"""A module."""

import math

LIMIT = 3


def public(x):
    return _helper(x) + _stubbed(x)


def _helper(x):
    return math.sqrt(x)


def _stubbed(x):
    """Used to call the training."""
    return _train(x) + _only_for_training(x)


def _train(x):
    return x * LIMIT


def _only_for_training(x):
    return x
'''


def test_trim_module_drops_and_stubs():
    trim = release.Trim(drop=("_train",), stub=("_stubbed",))
    trimmed = release.trim_module(TRIM_SOURCE, trim, "example")
    namespace: dict = {}
    exec(trimmed, namespace)

    assert "_train" not in namespace
    assert "_only_for_training" not in namespace
    assert namespace["_stubbed"](4) == []
    assert namespace["_helper"](4) == 2.0
    assert "LIMIT = 3" in trimmed


def test_trim_module_rejects_unknown_function():
    trim = release.Trim(stub=("_missing",))
    with pytest.raises(release.ReleaseError, match="has no function _missing"):
        release.trim_module(TRIM_SOURCE, trim, "example")


def test_trim_module_rejects_kept_training():
    trim = release.Trim(drop=("_train",))
    with_training = (
        TRIM_SOURCE + "\n\ndef _sgd_step(x):\n    return x\n\n\nLIMIT = _sgd_step(3)\n"
    )
    with pytest.raises(release.ReleaseError, match="would keep training code"):
        release.trim_module(with_training, trim, "diagnosis")


# --------------------------------------------------------------------------
# Precomputed training


def _run(seed: int):
    rng = np.random.default_rng(seed)
    params = [(rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (3, 1)))]
    X = rng.uniform(-1, 1, (4, 2))
    y = np.array([0.0, 1.0, 1.0, 0.0])
    return params, ["sigmoid"], X, y, 2, 0.1


def test_precomputed_train_finds_record(tmp_path, monkeypatch):
    params, names, X, y, epochs, lr = _run(1)
    final = [(np.full((3, 2), 0.5), np.zeros((3, 1)))]
    record = precomputed.make_record(
        params, names, X, y, epochs, lr, (final, [0.7, 0.6])
    )
    expected_file = tmp_path / "expected_training.json"
    expected_file.write_text(json.dumps({"seed": 0, "records": [record]}))
    monkeypatch.setattr(precomputed, "EXPECTED_FILE", expected_file)

    nudged = [(W * (1 + 1e-13), b) for W, b in params]
    found, averages = precomputed.train(nudged, names, X, y, epochs, lr)
    assert averages == [0.7, 0.6]
    assert np.array_equal(found[0][0], final[0][0])

    other = _run(2)
    with pytest.raises(precomputed.MissingExpected):
        precomputed.train(*other)


# --------------------------------------------------------------------------
# The self-check inside the release


@pytest.mark.slow
def test_released_notebook_runs_self_check(release_dir, jupyter_path):  # noqa: F811
    node = nbformat.read(release_dir / "perceptron.ipynb", as_version=4)
    modules = nbformat.v4.new_code_cell(
        "import sys\n"
        "print(sorted({m.__file__ for n, m in sys.modules.items()"
        " if n == 'grader' or n.startswith('grader.')}))",
        id="modules",
    )
    node.cells.append(modules)
    outputs = execute_notebook(node, release_dir, jupyter_path)

    assert "Score: 0/100" in outputs["self-check"]
    assert "backward() is not written yet" in outputs["self-check"]
    loaded = ast.literal_eval(outputs["modules"].strip())
    assert loaded
    for path in loaded:
        assert Path(path).is_relative_to(release_dir), path


@pytest.mark.slow
def test_released_notebook_full_marks(release_dir, jupyter_path):  # noqa: F811
    outputs = execute_notebook(
        solved(release_dir / "perceptron.ipynb"), release_dir, jupyter_path
    )
    assert "Score: 100/100" in outputs["self-check"]


VERDICTS_SCRIPT = textwrap.dedent(
    """
    import contextlib, importlib.util, io, json, sys
    from grader.notebook import check_classes
    from grader.sandbox import Sandbox

    verdicts = {}
    with Sandbox() as sandbox:
        for number, path in enumerate(sys.argv[1:]):
            spec = importlib.util.spec_from_file_location(f"submission_{number}", path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            with contextlib.redirect_stdout(io.StringIO()):
                spec.loader.exec_module(module)
            result = check_classes(module.Layer, module.Perceptron, sandbox=sandbox)
            verdicts[path] = {c.name: c.status for c in result.checks}
    print(json.dumps(verdicts))
    """
)


@pytest.mark.slow
def test_release_verdicts_match_grade(release_dir, grade_file):
    """The release's self-check passes and fails the same checks as grade."""
    paths = sorted(str(p) for p in (SUBMISSIONS / "wrong").glob("*.py"))
    assert paths
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    process = subprocess.run(
        [sys.executable, "-c", VERDICTS_SCRIPT, *paths],
        cwd=release_dir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    released = json.loads(process.stdout.strip().splitlines()[-1])
    for path in paths:
        graded = {c.name: c.status for c in grade_file(path, seed=0).checks}
        assert released[path] == graded, Path(path).name
