"""The notebook's self-check: grade the classes defined in the running kernel.

``self_check(Layer, Perceptron)`` copies the source of the two classes, of the
functions and classes of the notebook they use, and the imports and constants
they refer to, into a temporary notebook. It grades that notebook with
``grader.grading.grade`` in a ``Sandbox``, as ``grade`` does, and prints the
same report: checks, points and feedback.

The source comes from ``linecache``, where IPython keeps the code of every
cell it ran. ``inspect.getsource`` finds a method there but not a class, since
the notebook's ``__main__`` has no file, so the class is found by parsing the
cell that contains its methods. Each piece keeps its line numbers, so a line
in the feedback is the line in the student's cell.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import json
import linecache
import os
import sys
import tempfile
import textwrap
import types
from pathlib import Path
from typing import TYPE_CHECKING

from grader.messages import detect_language, render
from grader.result import GradeResult, Message

if TYPE_CHECKING:
    from grader.sandbox import Sandbox

CLASS_NAMES = ("Layer", "Perceptron")
"""Names the grader looks the classes up by in the graded code."""

DEFAULT_SEED = 0
"""Seed of the probes; the same as the default of ``grade``, so the two agree."""


class SourceNotFound(Exception):
    """The source of a class or function could not be found."""

    def __init__(self, message: Message):
        super().__init__(message.key)
        self.message = message


@dataclasses.dataclass
class Piece:
    """One definition copied from the notebook, padded to its original line."""

    source: str
    label: Message
    """Name of the cell or file the definition came from, as the report shows it."""


@dataclasses.dataclass
class CollectedCode:
    """The code that re-creates the classes outside the kernel."""

    imports: list[str] = dataclasses.field(default_factory=list)
    constants: list[str] = dataclasses.field(default_factory=list)
    """Assignments of literal values, such as ``EPSILON = 1e-12``."""
    pieces: list[Piece] = dataclasses.field(default_factory=list)
    not_copied: list[str] = dataclasses.field(default_factory=list)
    """Global names the classes use whose values cannot be written as code."""

    @property
    def header(self) -> list[str]:
        """The import statements, then the constants, one per line."""
        return self.imports + self.constants

    def cells(self) -> list[tuple[str, Message]]:
        """Return the code cells of the temporary notebook with their labels."""
        cells = []
        if self.header:
            cells.append(("\n".join(self.header) + "\n", Message("self_check_header")))
        cells += [(piece.source, piece.label) for piece in self.pieces]
        return cells


def self_check(
    layer_class: type,
    perceptron_class: type,
    *,
    language: str | None = None,
    seed: int = DEFAULT_SEED,
) -> None:
    """Grade ``Layer`` and ``Perceptron`` as defined now and print the report.

    Parameters
    ----------
    layer_class, perceptron_class : type
        The classes to grade, usually ``Layer`` and ``Perceptron`` of the
        notebook.
    language : str, optional
        Language of the feedback ("en" or "it"); by default from the locale.
    seed : int
        Seed of the probe points.
    """
    language = detect_language(language)
    try:
        result = check_classes(
            layer_class, perceptron_class, language=language, seed=seed
        )
    except SourceNotFound as error:
        print(render(error.message, language))
        return
    _print_result(result, language)


def check_classes(
    layer_class: type,
    perceptron_class: type,
    *,
    language: str | None = None,
    seed: int = DEFAULT_SEED,
    sandbox: Sandbox | None = None,
) -> GradeResult:
    """Grade the two classes in a sandbox and return the result.

    ``language`` sets how the report names the notebook's cells, and
    ``sandbox`` is a running ``Sandbox`` to reuse (by default a new one).
    Raises ``SourceNotFound`` when the source of a class cannot be found. A
    failure of the grader itself is returned as ``GradeResult.error``.
    """
    language = detect_language(language)
    for value, name in ((layer_class, "Layer"), (perceptron_class, "Perceptron")):
        if not isinstance(value, type):
            kind = type(value).__name__
            raise SourceNotFound(
                Message("self_check_not_class", {"name": name, "type": kind})
            )
    collected = collect_code([layer_class, perceptron_class])
    with tempfile.TemporaryDirectory(prefix="self-check-") as folder:
        path = Path(folder) / "self_check.ipynb"
        cells = collected.cells()
        _write_notebook(path, [source for source, _ in cells])
        result = _grade(path, seed, sandbox)
    result.submission = f"{layer_class.__name__} and {perceptron_class.__name__}"
    labels = {
        f"cell {number}": label for number, (_, label) in enumerate(cells, start=1)
    }
    _relabel(result, labels, language)
    if collected.not_copied:
        names = ", ".join(collected.not_copied)
        result.notes.append(Message("self_check_not_copied", {"names": names}))
    return result


def _grade(path: Path, seed: int, sandbox: Sandbox | None) -> GradeResult:
    """Grade ``path`` as ``grade`` does; a fault of the grader becomes an error."""
    from grader.grading import grade
    from grader.precomputed import MissingExpected
    from grader.sandbox import Sandbox, SandboxError

    try:
        if sandbox is not None:
            return grade(path, sandbox=sandbox, seed=seed)
        with Sandbox() as own_sandbox:
            return grade(path, sandbox=own_sandbox, seed=seed)
    except SandboxError as error:
        detail = str(error)
    except OSError as error:
        # The sandbox needs Unix sockets, fork() and resource limits, so it
        # fails to start where the platform lacks them (Windows).
        detail = f"the sandbox could not start: {error}"
    except MissingExpected as error:
        detail = Message("self_check_no_expected", {"seed": seed, "detail": str(error)})
    result = GradeResult(submission=str(path), seed=seed)
    result.error = Message("grader_fault", {"detail": detail})
    return result


# --------------------------------------------------------------------------
# Collecting the source


def collect_code(classes: list[type]) -> CollectedCode:
    """Collect the definitions of ``classes`` and everything global they use.

    Helpers defined next to the classes (functions, classes) are copied as
    source before the definitions that use them. Modules and objects that can
    be imported become import statements, and constants of literal types
    become assignments. Other values are listed in ``not_copied``.
    """
    collected = CollectedCode()
    visited: set[int] = set()
    for cls, name in zip(classes, CLASS_NAMES, strict=True):
        _visit(cls, collected, visited)
        if cls.__name__ != name:
            alias = Piece(f"{name} = {cls.__name__}\n", Message("self_check_header"))
            collected.pieces.append(alias)
    return collected


def _visit(definition, collected: CollectedCode, visited: set[int]) -> None:
    if id(definition) in visited:
        return
    visited.add(id(definition))
    filename, start, text, node = _find_definition(definition)
    namespace = _namespace(definition)
    local_names = _local_names(definition)
    for name in _referenced_names(node):
        if name == definition.__name__ or name not in namespace:
            continue
        value = namespace[name]
        if _is_defined_in(value, namespace):
            _visit(value, collected, visited)
            continue
        import_line = _import_line(name, value)
        constant_line = None if import_line else _literal_line(name, value)
        if import_line and import_line not in collected.imports:
            collected.imports.append(import_line)
        elif constant_line and constant_line not in collected.constants:
            collected.constants.append(constant_line)
        elif import_line or constant_line:
            continue
        elif name not in local_names and name not in collected.not_copied:
            collected.not_copied.append(name)
    padding = "\n" * (start - 1)
    collected.pieces.append(Piece(padding + text, _label(filename, definition)))


def _namespace(definition) -> dict:
    """Return the globals the definition's code resolves names in."""
    for function in _functions(definition):
        return function.__globals__
    module = sys.modules.get(getattr(definition, "__module__", ""), None)
    return vars(module) if module is not None else {}


def _functions(definition) -> list[types.FunctionType]:
    """Return the function itself, or the functions defined in a class body."""
    if isinstance(definition, types.FunctionType):
        return [definition]
    found = []
    prefix = definition.__qualname__ + "."
    for member in vars(definition).values():
        member = getattr(member, "__func__", member)  # staticmethod, classmethod
        member = getattr(member, "fget", member)  # property
        if isinstance(member, types.FunctionType) and member.__qualname__.startswith(
            prefix
        ):
            found.append(member)
    return found


def _find_definition(definition) -> tuple[str, int, str, ast.AST]:
    """Return the file, first line, source text and syntax tree of a definition.

    The text is dedented, so a definition made inside an ``if`` still runs.
    """
    name = definition.__name__
    filename, line = _location(definition)
    lines = linecache.getlines(filename)
    try:
        tree = ast.parse("".join(lines)) if lines else None
    except SyntaxError:
        tree = None
    node = _enclosing_node(tree, definition, line) if tree else None
    if node is None:
        raise SourceNotFound(Message("self_check_no_source", {"name": name}))
    start = _first_line(node)
    text = textwrap.dedent("".join(lines[start - 1 : node.end_lineno]))
    return filename, start, text, node


def _location(definition) -> tuple[str, int | None]:
    """Return the file of a definition and a line inside it, when known.

    A class has no code object of its own, so its methods give both. A class
    without methods is found by name in its module's file, which a notebook
    cell does not have.
    """
    functions = _functions(definition)
    if functions:
        code = functions[0].__code__
        return code.co_filename, code.co_firstlineno
    module = sys.modules.get(getattr(definition, "__module__", ""))
    filename = getattr(module, "__file__", None)
    if not isinstance(filename, str):
        raise SourceNotFound(
            Message("self_check_no_methods", {"name": definition.__name__})
        )
    return filename, getattr(definition, "__firstlineno__", None)


def _first_line(node: ast.AST) -> int:
    return min([node.lineno] + [d.lineno for d in node.decorator_list])


def _enclosing_node(tree: ast.AST, definition, line: int | None) -> ast.AST | None:
    """Find the innermost definition named like ``definition`` around ``line``.

    Without a line, the last definition of that name wins, as it does when
    the module runs.
    """
    if isinstance(definition, type):
        kinds: tuple = (ast.ClassDef,)
    else:
        kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    best = None
    for node in ast.walk(tree):
        if not isinstance(node, kinds) or node.name != definition.__name__:
            continue
        start = _first_line(node)
        inside = line is None or start <= line <= node.end_lineno
        if inside and (best is None or start >= best[0]):
            best = (start, node)
    return best[1] if best else None


def _referenced_names(node: ast.AST) -> list[str]:
    """Return the names a definition reads, sorted so the output is stable."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return sorted(names)


def _local_names(definition) -> set[str]:
    """Return the local variable names of the definition's functions."""
    names: set[str] = set()
    pending = [function.__code__ for function in _functions(definition)]
    while pending:
        code = pending.pop()
        names.update(code.co_varnames, code.co_cellvars)
        pending += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names


def _is_defined_in(value, namespace: dict) -> bool:
    """Tell whether ``value`` is a function or class defined in ``namespace``."""
    if not isinstance(value, (type, types.FunctionType)):
        return False
    return getattr(value, "__module__", None) == namespace.get("__name__")


def _import_line(name: str, value) -> str | None:
    """Return an import statement that binds ``name`` to ``value``, or None."""
    if isinstance(value, types.ModuleType):
        module = value.__name__
        return f"import {module}" if module == name else f"import {module} as {name}"
    module_name = getattr(value, "__module__", None)
    if not isinstance(module_name, str) or module_name == "__main__":
        return None
    module = sys.modules.get(module_name)
    if module is None or getattr(builtins, name, None) is value:
        return None
    if getattr(module, name, None) is value:
        return f"from {module_name} import {name}"
    own_name = getattr(value, "__name__", None)
    if isinstance(own_name, str) and getattr(module, own_name, None) is value:
        return f"from {module_name} import {own_name} as {name}"
    return None


def _literal_line(name: str, value) -> str | None:
    """Return ``name = value`` when the value is a literal that repr() rebuilds."""
    literal = (
        int,
        float,
        complex,
        str,
        bytes,
        bool,
        type(None),
        tuple,
        list,
        dict,
        set,
    )
    if not isinstance(value, literal):
        return None
    text = repr(value)
    try:
        rebuilt = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return f"{name} = {text}" if rebuilt == value else None


def _label(filename: str, definition) -> Message:
    """Name where a definition came from: a notebook cell or a file."""
    if os.path.isfile(filename) and "ipykernel_" not in filename:
        return Message("self_check_file_label", {"file": os.path.basename(filename)})
    return Message("self_check_cell_label", {"name": definition.__name__})


# --------------------------------------------------------------------------
# The temporary notebook and the report


def _write_notebook(path: Path, sources: list[str]) -> None:
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": source,
        }
        for source in sources
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook), encoding="utf-8")


def _relabel(result: GradeResult, labels: dict[str, Message], language: str) -> None:
    """Replace the temporary notebook's "cell N" with where the code came from."""
    rendered = {cell: render(label, language) for cell, label in labels.items()}

    def message(item: Message) -> Message:
        cell = item.params.get("cell")
        if cell not in rendered:
            return item
        return Message(item.key, {**item.params, "cell": rendered[cell]})

    for check in result.checks:
        if check.cell in rendered:
            check.cell = rendered[check.cell]
        check.feedback = [message(item) for item in check.feedback]
    result.notes = [message(item) for item in result.notes]


def _print_result(result: GradeResult, language: str) -> None:
    """Print the report; plot the loss curves when matplotlib is installed.

    Without matplotlib the report draws them as a text chart instead.
    """
    from grader.report import render_report

    colour = "ipykernel" in sys.modules and "NO_COLOR" not in os.environ
    unwritten = _unwritten_methods(result)
    if unwritten:
        print(render(Message("self_check_to_write", {"methods": unwritten}), language))
        print()
    pyplot = _pyplot()
    chart = pyplot is None
    print(render_report(result, language, colour=colour, chart=chart), end="")
    if pyplot is not None:
        _plot_curves(pyplot, result.curves, language)


def _pyplot():
    try:
        import matplotlib.pyplot
    except ImportError:
        return None
    return matplotlib.pyplot


def _unwritten_methods(result: GradeResult) -> str:
    """List the methods that still raise NotImplementedError, e.g. "fit()"."""
    methods = []
    for check in result.checks:
        for item in check.feedback:
            method = item.params.get("method")
            if item.key == "not_implemented" and method not in methods:
                methods.append(method)
    return ", ".join(methods)


def _plot_curves(pyplot, curves: dict, language: str) -> None:
    """Plot the expected and the printed loss per epoch of fit.loss_falls."""
    expected = curves.get("expected") or []
    found = curves.get("found") or []
    points = [(n, v) for n, v in enumerate(found, start=1) if v is not None]
    if not expected or not points:
        return
    figure, axes = pyplot.subplots(figsize=(6, 3.5))
    expected_label = render(Message("self_check_plot_expected"), language)
    found_label = render(Message("self_check_plot_yours"), language)
    epochs = range(1, len(expected) + 1)
    axes.plot(epochs, expected, marker="o", label=expected_label)
    axes.plot(
        [n for n, _ in points], [v for _, v in points], marker="x", label=found_label
    )
    axes.set_title(render(Message("report_curve"), language))
    axes.set_xlabel(render(Message("report_curve_epoch"), language))
    axes.legend()
    pyplot.show()


def main(argv: list[str] | None = None) -> int:
    """Run the self-check on a .py file: ``python -m grader.notebook FILE``.

    The file is imported, so its top-level code runs in this process; the
    checks themselves run in the sandbox as usual. Returns the exit code of
    ``grade``: 0 for full marks, 1 below, 2 when the file cannot be checked.
    """
    import importlib.util

    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 1 or not arguments[0].endswith(".py"):
        print("usage: python -m grader.notebook FILE.py", file=sys.stderr)
        return 2
    path = Path(arguments[0]).resolve()
    from grader.grading import utils_path

    # The file's folder first, so that a utils.py next to it wins; then the
    # grader's own utils.py, for files kept elsewhere.
    sys.path[:0] = [str(path.parent), str(utils_path().parent)]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    language = detect_language(None)
    missing = [name for name in CLASS_NAMES if not hasattr(module, name)]
    if missing:
        print(f"{path.name} does not define {' and '.join(missing)}.", file=sys.stderr)
        return 2
    try:
        result = check_classes(module.Layer, module.Perceptron, language=language)
    except SourceNotFound as error:
        print(render(error.message, language), file=sys.stderr)
        return 2
    _print_result(result, language)
    return int(result.exit_code)


if __name__ == "__main__":
    sys.exit(main())
