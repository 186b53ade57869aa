"""Build notebooks/perceptron.ipynb from the stub and the instructions.

The notebook has one source each for its text and its exercise code:

- notebooks/instructions.md contains the Markdown cells. A line
  ``<!-- code: NAME -->`` marks where the code cell NAME goes.
- exercise/perceptron.py contains the code to complete. Its imports, its class
  Layer and its class Perceptron become the cells "imports", "layer" and
  "perceptron".
- The cells "setup", "train" and "self-check" are written below.

The output is deterministic (fixed cell ids, no outputs, no execution counts,
fixed metadata), so the committed notebook can be compared with a fresh
build. Usage::

    python tools/build_notebook.py           # rewrite the notebook
    python tools/build_notebook.py --check   # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
STUB = ROOT / "exercise" / "perceptron.py"
INSTRUCTIONS = ROOT / "notebooks" / "instructions.md"
NOTEBOOK = ROOT / "notebooks" / "perceptron.ipynb"

MARKER = re.compile(r"^<!-- code: ([a-z-]+) -->$", re.MULTILINE)

SETUP_CELL = """\
# Make utils.py importable. In the student release it sits next to this
# notebook. In the repository it is exercise/utils.py, which the installed
# grader package locates.
import sys
from pathlib import Path

if not Path("utils.py").is_file():
    from grader.grading import utils_path

    sys.path.insert(0, str(utils_path().parent))
"""

TRAIN_CELL = """\
import contextlib
import io
import re

{network}

# fit() prints the loss of each epoch; keep a copy of what it prints to plot it.
printed = io.StringIO()
try:
    with contextlib.redirect_stdout(printed):
        {fit}
except NotImplementedError as error:
    print(f"Not trained yet: {{error}}")
finally:
    print(printed.getvalue(), end="")

pattern = r"^Loss at epoch \\d+: (-?\\d+\\.\\d+)$"
losses = [float(v) for v in re.findall(pattern, printed.getvalue(), re.MULTILINE)]
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is None:
    print("matplotlib is not installed, so the loss curve is not plotted.")
elif losses:
    plt.plot(range(1, len(losses) + 1), losses, marker="o")
    plt.xlabel("epoch")
    plt.ylabel("average loss")
    plt.title("Training loss")
    plt.show()
"""

SELF_CHECK_CELL = """\
from grader.notebook import self_check

self_check(Layer, Perceptron)
"""

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def stub_cells(stub_source: str) -> dict[str, str]:
    """Split the stub into the code cells "imports", "layer" and "perceptron".

    The training cell reuses the two statements of the stub's ``__main__``
    block, which build the network and call fit().
    """
    tree = ast.parse(stub_source)
    lines = stub_source.splitlines(keepends=True)

    def text(first: ast.AST, last: ast.AST) -> str:
        return "".join(lines[first.lineno - 1 : last.end_lineno])

    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    main = [n for n in tree.body if isinstance(n, ast.If)]
    if not imports or set(classes) != {"Layer", "Perceptron"} or len(main) != 1:
        raise ValueError(
            f"{STUB} must hold imports, the classes Layer and Perceptron and one "
            "'if __name__ == \"__main__\":' block"
        )
    network, fit = (ast.get_source_segment(stub_source, n) for n in main[0].body)
    return {
        "imports": text(imports[0], imports[-1]),
        "layer": text(classes["Layer"], classes["Layer"]),
        "perceptron": text(classes["Perceptron"], classes["Perceptron"]),
        "train": TRAIN_CELL.format(network=network, fit=fit),
    }


def build(stub_source: str, instructions: str) -> str:
    """Return the notebook's JSON text."""
    code = stub_cells(stub_source)
    code["setup"] = SETUP_CELL
    code["self-check"] = SELF_CHECK_CELL
    cells = []
    parts = MARKER.split(instructions)
    # split() alternates text and marker names: text, name, text, name, text.
    for index, part in enumerate(parts):
        if index % 2:
            cells.append(_code_cell(part, code))
        elif part.strip():
            cell_id = f"text-{index // 2 + 1}"
            cells.append(nbformat.v4.new_markdown_cell(part.strip(), id=cell_id))
    used = parts[1::2]
    missing = sorted(set(code) - set(used))
    repeated = sorted({name for name in used if used.count(name) > 1})
    if missing or repeated:
        raise ValueError(
            f"{INSTRUCTIONS.name} must mark each code cell once: missing {missing}, "
            f"repeated {repeated}"
        )
    notebook = nbformat.v4.new_notebook(
        cells=cells,
        metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
    )
    notebook.nbformat_minor = 5
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def _code_cell(name: str, code: dict[str, str]) -> nbformat.NotebookNode:
    if name not in code:
        raise ValueError(f"{INSTRUCTIONS.name} marks an unknown code cell {name!r}")
    cell = nbformat.v4.new_code_cell(code[name].rstrip("\n"), id=name)
    if name == "self-check":
        cell.metadata["tags"] = ["self-check"]
    return cell


def build_from_files() -> str:
    """Build the notebook from the stub and the instructions in the repository."""
    return build(
        STUB.read_text(encoding="utf-8"), INSTRUCTIONS.read_text(encoding="utf-8")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare the committed notebook with a fresh build; exit 1 if they differ",
    )
    options = parser.parse_args(argv)
    text = build_from_files()
    relative = NOTEBOOK.relative_to(ROOT) if NOTEBOOK.is_relative_to(ROOT) else NOTEBOOK
    if options.check:
        current = NOTEBOOK.read_text(encoding="utf-8") if NOTEBOOK.is_file() else None
        if current != text:
            print(
                f"{relative} is out of date with exercise/perceptron.py and "
                f"notebooks/instructions.md: run 'python tools/build_notebook.py' "
                "and commit the result.",
                file=sys.stderr,
            )
            return 1
        print(f"{relative} is up to date.")
        return 0
    NOTEBOOK.write_text(text, encoding="utf-8", newline="\n")
    print(f"Wrote {relative}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
