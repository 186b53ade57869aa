"""``grade release DIR``: write the files students receive.

The release contains the exercise stub, utils.py, the notebook, and a copy of the
parts of the grader that the notebook's self-check needs, so that students
can check their work without installing the grader. It must not contain the
solution, and the grader's trusted training is a solution of ``fit()``. So:

- ``reference.py`` loses ``sgd_step`` and ``train``. Its ``train`` becomes
  ``grader.precomputed.train``, which looks up results that this command
  records by grading the reference solution with seed 0, stored as numbers
  in ``grader/expected_training.json``.
- ``diagnosis.py``, which names misconceptions, loses the part that replays
  fit() with known mistakes, because its "correct" variant is the training
  too. The release's feedback has no misconception hints for fit().

Every check runs in the release with the same probes as ``grade --seed 0``,
so it gives the same verdicts and points.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib.util
import json
import sys
from pathlib import Path

import grader

PACKAGE = Path(grader.__file__).resolve().parent
ROOT = PACKAGE.parent
RELEASE_SEED = 0
"""Seed whose training results the release stores; the self-check's default."""

ENTRY_MODULES = ("notebook", "precomputed", "_worker")
"""Modules the release needs besides what they import: the self-check, the
lookup that replaces the training, and the script the sandbox runs."""


@dataclasses.dataclass(frozen=True)
class Trim:
    """Instructions for cutting one module down for the release."""

    drop: tuple[str, ...] = ()
    """Top-level functions removed."""
    stub: tuple[str, ...] = ()
    """Functions whose body becomes ``return []``."""
    appendix: str = ""
    """Code added at the end."""


TRIMS = {
    "reference": Trim(
        drop=("sgd_step", "train"),
        appendix=(
            "\n\n# The student release has no training code: train() returns results\n"
            "# that the instructor's grader computed for the probes of seed 0.\n"
            "from grader.precomputed import MissingExpected, train  # noqa: E402,F401\n"
        ),
    ),
    "diagnosis": Trim(stub=("_diagnose_fit",)),
}

TRAINING_CODE = {
    "reference": ("sgd_step", "train"),
    "diagnosis": ("_train", "_sgd_step"),
}
"""Functions of the grader that train a network; none may be in a release."""

README = """\
# The perceptron exercise

You write `Layer.backward()` and `Perceptron.fit()` of a small NumPy
multilayer perceptron. This folder contains:

- `perceptron.ipynb`: the instructions, the code to complete and a self-check;
- `perceptron.py`: the same code to complete, as a plain Python file;
- `utils.py`: the training data and the activation functions (do not change it:
  the grader uses its own copy);
- `grader/`: the part of the course's grader that the self-check runs.

## Set-up

You need Python 3.10 or newer. In this folder:

    python -m venv .venv
    .venv/bin/pip install numpy jupyter        # add matplotlib to see plots
    .venv/bin/jupyter notebook perceptron.ipynb

Work from top to bottom and run the last cell, the self-check, whenever you
want feedback. The self-check runs your code in a separate process with Linux
resource limits; it has been tested on Linux only, so on Windows use WSL.

If you prefer the plain file, complete `perceptron.py` and check it with:

    .venv/bin/python -m grader.notebook perceptron.py

## What the self-check checks

It runs every check of the final grading, with the same points:
`backward.d_weights` (15), `backward.d_biases` (10), `backward.da_prev` (15),
`backward.update` (10), `fit.one_step` (15), `fit.replay` (15),
`fit.loss_report` (10) and `fit.loss_falls` (10). Your code runs in a separate,
limited process, as in the final grading.

The checks of backward() and `fit.one_step` compare your numbers with finite
differences of the forward pass. `fit.replay` and `fit.loss_falls` compare your
training with the expected training results, which this release contains as
numbers (`grader/expected_training.json`) and not as code. They are stored for
the self-check's probe values (seed 0) only; the final grading may use other
values, so code that only fits these numbers will lose points.

Unlike the final grading, the self-check does not name the misconception behind
a failed fit() check; its other feedback is the same.
"""


class ReleaseError(Exception):
    """The release cannot be written, for the reason in the message."""


def main(argv: list[str] | None = None) -> int:
    """Parse ``grade release`` arguments, write the release, return the exit code."""
    parser = argparse.ArgumentParser(
        prog="grade release",
        description="Write the files students receive into a new folder.",
    )
    parser.add_argument(
        "directory", metavar="DIR", help="folder to create; must be new or empty"
    )
    options = parser.parse_args(argv)
    try:
        written = write_release(Path(options.directory))
    except ReleaseError as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    print(f"Wrote the student release to {options.directory}:")
    for name in written:
        print(f"  {name}")
    return 0


def write_release(destination: Path) -> list[str]:
    """Write the release into ``destination``; return the paths written."""
    if destination.exists() and (
        not destination.is_dir() or any(destination.iterdir())
    ):
        raise ReleaseError(
            f"{destination} exists and is not an empty folder; choose a new one"
        )
    sources = _repository_files()
    _check_notebook_current()
    records = record_training(sources["solution"], RELEASE_SEED)

    files: dict[str, bytes] = {
        "README.md": README.encode("utf-8"),
        "perceptron.py": sources["stub"].read_bytes(),
        "utils.py": sources["utils"].read_bytes(),
        "perceptron.ipynb": sources["notebook"].read_bytes(),
        "grader/exercise/utils.py": sources["utils"].read_bytes(),
        "grader/expected_training.json": json.dumps(
            {"seed": RELEASE_SEED, "records": records}
        ).encode("utf-8"),
    }
    for module in self_check_modules():
        source = (PACKAGE / f"{module}.py").read_text(encoding="utf-8")
        if module in TRIMS:
            source = trim_module(source, TRIMS[module], module)
        files[f"grader/{module}.py"] = source.encode("utf-8")

    destination.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(files.items()):
        path = destination / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return sorted(files)


def _repository_files() -> dict[str, Path]:
    """Locate the files of the repository that the release is made from."""
    sources = {
        "stub": ROOT / "exercise" / "perceptron.py",
        "utils": ROOT / "exercise" / "utils.py",
        "notebook": ROOT / "notebooks" / "perceptron.ipynb",
        "solution": ROOT / "solution" / "perceptron.py",
        "builder": ROOT / "tools" / "build_notebook.py",
    }
    for path in sources.values():
        if not path.is_file():
            raise ReleaseError(
                f"{path} was not found: run 'grade release' from the grader's "
                "repository, installed with 'pip install -e .'"
            )
    return sources


def _check_notebook_current() -> None:
    """Refuse to release a notebook that differs from a fresh build."""
    spec = importlib.util.spec_from_file_location(
        "_build_notebook", ROOT / "tools" / "build_notebook.py"
    )
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    if builder.NOTEBOOK.read_text(encoding="utf-8") != builder.build_from_files():
        raise ReleaseError(
            "notebooks/perceptron.ipynb is out of date with exercise/perceptron.py and "
            "notebooks/instructions.md: run 'python tools/build_notebook.py' first"
        )


def record_training(solution: Path, seed: int) -> list[dict]:
    """Grade the reference solution and record every call of the training.

    The calls depend on the seed only, so these records serve any submission
    graded with ``seed``. Raises ReleaseError unless the solution gets full
    marks, since then the records would be of little use.
    """
    from grader import grading, reference
    from grader.grading import grade
    from grader.precomputed import make_record
    from grader.sandbox import Sandbox, SandboxError

    records: dict[tuple, dict] = {}
    original = reference.train

    def recording_train(params, names, X, y, epochs, learning_rate):
        result = original(params, names, X, y, epochs, learning_rate)
        record = make_record(params, names, X, y, epochs, learning_rate, result)
        records.setdefault((record["kind"], tuple(record["inputs"])), record)
        return result

    reference.train = recording_train
    # A plan this process already prepared would skip the training calls.
    grading.forget_plans()
    try:
        with Sandbox() as sandbox:
            result = grade(solution, sandbox=sandbox, seed=seed)
    except SandboxError as error:
        raise ReleaseError(f"could not grade {solution}: {error}") from error
    finally:
        reference.train = original
    if not result.full_marks:
        raise ReleaseError(
            f"{solution} scored {result.score}/{result.max_score} instead of full "
            "marks, so its training cannot serve as the expected results"
        )
    return list(records.values())


def self_check_modules() -> list[str]:
    """Return the grader modules the self-check imports, directly or not."""
    pending = list(ENTRY_MODULES) + ["__init__"]
    found: set[str] = set()
    while pending:
        module = pending.pop()
        if module in found:
            continue
        path = PACKAGE / f"{module}.py"
        if not path.is_file():
            raise ReleaseError(f"grader/{module}.py was not found")
        found.add(module)
        pending += _grader_imports(path.read_text(encoding="utf-8"))
    return sorted(found)


def _grader_imports(source: str) -> list[str]:
    """Return the grader modules a source file imports, at any level."""
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules += [
                a.name.split(".")[1] for a in node.names if a.name.startswith("grader.")
            ]
        elif isinstance(node, ast.ImportFrom) and node.module == "grader":
            modules += [
                a.name for a in node.names if (PACKAGE / f"{a.name}.py").is_file()
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "grader."
        ):
            modules.append(node.module.split(".")[1])
    return modules


def trim_module(source: str, trim: Trim, module: str) -> str:
    """Cut a module down for the release as ``trim`` specifies.

    After dropping and stubbing, private top-level definitions that nothing
    left uses are removed too, so that code only the removed functions
    called does not stay behind.
    """
    tree = ast.parse(source)
    defined = {n.name: n for n in tree.body if isinstance(n, _DEFINITIONS)}
    unknown = [name for name in trim.drop + trim.stub if name not in defined]
    if unknown:
        raise ReleaseError(
            f"grader/{module}.py has no function {', '.join(unknown)}: update "
            "TRIMS in grader/release.py"
        )
    lines = source.splitlines(keepends=True)
    removed = set(trim.drop) | _unused_private(tree, set(trim.drop), set(trim.stub))
    edits = []
    for name in set(trim.stub) - removed:
        node = defined[name]
        indent = " " * node.body[0].col_offset
        edits.append((node.body[0].lineno, node.end_lineno, f"{indent}return []\n"))
    for name in removed:
        node = defined[name]
        edits.append((_first_line(node), node.end_lineno, ""))
    for start, end, text in sorted(edits, reverse=True):
        lines[start - 1 : end] = [text] if text else []
    trimmed = _squeeze_blank_lines("".join(lines)) + trim.appendix

    left = {n.name for n in ast.parse(trimmed).body if isinstance(n, _DEFINITIONS)}
    training = set(TRAINING_CODE.get(module, ())) & left
    if training:
        raise ReleaseError(
            f"grader/{module}.py would keep training code in the release: "
            f"{', '.join(sorted(training))}; update TRIMS in grader/release.py"
        )
    return trimmed


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _first_line(node: ast.AST) -> int:
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


def _unused_private(tree: ast.Module, dropped: set[str], stubbed: set[str]) -> set[str]:
    """Return private top-level definitions not reachable once trimmed.

    Roots are the module's other statements and its public definitions; a
    stubbed function keeps only its signature, so its body is not a root.
    """
    definitions = {n.name: n for n in tree.body if isinstance(n, _DEFINITIONS)}

    def names_in(node: ast.AST) -> set[str]:
        if getattr(node, "name", None) in stubbed:
            parts = (
                node.decorator_list
                + [node.args]
                + ([node.returns] if node.returns else [])
            )
            return {
                n.id
                for part in parts
                for n in ast.walk(part)
                if isinstance(n, ast.Name)
            }
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

    reachable: set[str] = set()
    pending: list[str] = []
    for node in tree.body:
        name = getattr(node, "name", None)
        if name in dropped:
            continue
        if (
            name is None
            or not isinstance(node, _DEFINITIONS)
            or not name.startswith("_")
        ):
            pending += names_in(node)
            if name is not None:
                reachable.add(name)
    while pending:
        name = pending.pop()
        if name in reachable or name not in definitions or name in dropped:
            continue
        reachable.add(name)
        pending += names_in(definitions[name])
    return {
        name for name in definitions if name not in reachable and name not in dropped
    }


def _squeeze_blank_lines(text: str) -> str:
    """Collapse runs of more than two blank lines, which removals leave."""
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        if (
            not line.strip()
            and len(out) >= 2
            and not out[-1].strip()
            and not out[-2].strip()
        ):
            continue
        out.append(line)
    return "".join(out).rstrip("\n") + "\n"
