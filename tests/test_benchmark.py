"""The benchmark script and its generated submissions; no time is asserted."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from conftest import ROOT
from grader.batch import find_submissions, student_ids


def load_generator():
    spec = importlib.util.spec_from_file_location(
        "benchmark_submissions", ROOT / "benchmarks" / "submissions.py"
    )
    module = importlib.util.module_from_spec(spec)
    # dataclasses looks the module up in sys.modules while building classes.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generator = load_generator()


def test_mix_of_two_hundred():
    assert generator.class_mix(200) == {
        "correct": 150,
        "buggy": 36,
        "hostile": 4,
        "hanging": 10,
    }


def test_mix_of_quick_class_has_every_kind():
    mix = generator.class_mix(10)
    assert sum(mix.values()) == 10
    assert min(mix.values()) >= 1


@pytest.mark.parametrize(
    "table", ["STYLE_EDITS", "BUG_EDITS", "HANG_EDITS", "HOSTILE_EDITS"]
)
def test_every_edit_applies_to_solution(table):
    source = generator.SOLUTION.read_text(encoding="utf-8")
    for name, edits in getattr(generator, table).items():
        edited = generator.apply_edits(source, edits)
        assert edited != source, name
        compile(edited, name, "exec")


def test_all_style_edits_together_compile():
    source = generator.SOLUTION.read_text(encoding="utf-8")
    edits = [edit for edits in generator.STYLE_EDITS.values() for edit in edits]
    compile(generator.apply_edits(source, edits), "all_styles", "exec")


def test_missing_substring_raises():
    with pytest.raises(ValueError, match="exactly once"):
        generator.apply_edits("x = 1\n", [("y = 2", "y = 3")])


def test_generated_class_layout(tmp_path):
    generated = generator.generate_class(tmp_path, 20)
    assert len(generated) == 20
    found = find_submissions([tmp_path])
    assert len(found) == 20
    ids = student_ids(found)
    assert ids == sorted(f"student_{number:03d}" for number in range(20))
    nested = [item for item in generated if item.path.name == "submission.py"]
    assert len(nested) == 10


def test_notebook_is_valid(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    path = tmp_path / "perceptron.ipynb"
    generator.notebook_from_solution(path)
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells[-1].metadata.tags == ["self-check"]


@pytest.mark.slow
def test_quick_benchmark_runs(tmp_path):
    markdown = tmp_path / "benchmark.md"
    finished = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--markdown",
            str(markdown),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    lines = finished.stdout.splitlines()
    assert "## Single files" in lines
    assert "## Batch" in lines
    assert any(line.startswith("| submissions per second |") for line in lines)
    assert any(line.startswith("| largest grader process") for line in lines)
    assert "Every generated submission scored as its kind predicts." in lines
    assert markdown.read_text().startswith("# Benchmark output\n")
