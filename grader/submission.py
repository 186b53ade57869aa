"""Read a submission (.py or .ipynb) into the code cells the worker runs.

A ``.py`` file is one cell. A notebook is read as plain JSON, without
nbformat, so grading a notebook costs no more imports than a ``.py`` file.
IPython magics and shell lines are dropped, and so is the self-check cell.
Nothing here runs student code: syntax errors are found with ``ast``.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

from grader.result import Message

MAX_SIZE = 5 * 1024 * 1024
"""Largest submission file read, in bytes; real ones are a few kilobytes."""

SELF_CHECK_TAG = "self-check"
SELF_CHECK_MARKER = "self_check("


class SubmissionError(Exception):
    """The submission cannot be read or parsed; the message says why."""

    def __init__(
        self, message: Message, line: int | None = None, cell: str | None = None
    ):
        super().__init__(message.key)
        self.message = message
        self.line = line
        self.cell = cell


@dataclasses.dataclass
class Cell:
    source: str
    filename: str
    """Name given to compile(), which tracebacks show."""
    label: str | None
    """How the report names this cell ("cell 4"), or None for a .py file."""


@dataclasses.dataclass
class Submission:
    path: Path
    kind: str  # "py" or "ipynb"
    cells: list[Cell]
    notes: list[Message] = dataclasses.field(default_factory=list)
    syntax_errors: list[Message] = dataclasses.field(default_factory=list)
    """Syntax errors of notebook cells that were left out."""

    @property
    def is_notebook(self) -> bool:
        return self.kind == "ipynb"

    def source_bytes(self) -> bytes:
        """Return the code written to the worker's directory as submission.py."""
        return "\n\n".join(cell.source for cell in self.cells).encode("utf-8")


def read_submission(path: str | Path) -> Submission:
    """Read and parse a submission; raise SubmissionError when it is broken."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".py", ".ipynb"):
        raise SubmissionError(Message("unsupported_file", {"path": str(path)}))
    try:
        size = path.stat().st_size
        if size > MAX_SIZE:
            raise SubmissionError(
                Message("file_too_large", {"path": str(path), "size": size})
            )
        raw = path.read_bytes()
    except OSError as error:
        raise SubmissionError(
            Message(
                "file_unreadable",
                {"path": str(path), "error": error.strerror or str(error)},
            )
        ) from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SubmissionError(
            Message("not_utf8", {"path": str(path), "position": error.start})
        ) from error
    if suffix == ".py":
        submission = Submission(path, "py", [Cell(text, path.name, None)])
    else:
        submission = _read_notebook(path, text)
    _check_syntax(submission)
    return submission


def _read_notebook(path: Path, text: str) -> Submission:
    try:
        notebook = json.loads(text)
    except ValueError as error:
        raise SubmissionError(
            Message("notebook_invalid_json", {"path": str(path), "error": str(error)})
        ) from error
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise SubmissionError(Message("notebook_no_cells", {"path": str(path)}))
    code_cells = []
    notes = []
    skipped_magics = 0
    number = 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(part) for part in source)
        if not isinstance(source, str):
            continue
        tags = (cell.get("metadata") or {}).get("tags") or []
        if SELF_CHECK_TAG in tags or SELF_CHECK_MARKER in source:
            notes.append(Message("self_check_skipped", {"cell": number}))
            continue
        source, dropped = _drop_magics(source)
        skipped_magics += dropped
        if not source.strip():
            continue
        label = f"cell {number}"
        code_cells.append(Cell(source, f"<{label}>", label))
    if skipped_magics:
        notes.append(Message("magics_skipped", {"count": skipped_magics}))
    if not code_cells:
        raise SubmissionError(Message("notebook_no_code", {"path": str(path)}))
    return Submission(path, "ipynb", code_cells, notes)


def _drop_magics(source: str) -> tuple[str, int]:
    """Blank out IPython magics and shell lines; return the code and a count.

    A cell that is valid Python has none and is returned unchanged, so that a
    comment ending in "?" or a line starting with "!=" is kept. Otherwise line
    magics (``%matplotlib inline``), shell lines (``!pip install numpy``) and
    help lines (``np.zeros?``) are replaced by ``pass``, so that line numbers
    and indentation still hold. A cell magic drops the whole cell, except the
    ones that run their body as Python (``%%time``, ``%%capture``), whose body
    is kept.
    """
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        pass
    else:
        return source, 0
    lines = source.split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        if first[2:].split(" ")[0] not in _PYTHON_CELL_MAGICS:
            return "", 1
    dropped = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if _MAGIC_LINE.match(stripped) or _HELP_LINE.match(stripped):
            lines[index] = indent + "pass"
            dropped += 1
            continue
        assignment = _MAGIC_ASSIGNMENT.match(stripped)
        if assignment:
            # files = !ls: the name still exists afterwards, as an empty list.
            lines[index] = f"{indent}{assignment.group(1)} = []"
            dropped += 1
    return "\n".join(lines), dropped


_PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun")
"""Cell magics whose body is Python code that defines names as usual."""
_MAGIC_LINE = re.compile(r"^(%{1,2}[A-Za-z_]|!{1,2}(?!=))")
_MAGIC_ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*)\s*=\s*(?:%{1,2}[A-Za-z_]|!{1,2}(?!=))")
_HELP_LINE = re.compile(r"^(\?{1,2}[\w.*]+|[\w.*]+\?{1,2})$")


def _syntax_message(error: Exception, cell: Cell) -> Message:
    if isinstance(error, SyntaxError):
        params = {
            "message": error.msg,
            "line": error.lineno,
            "column": error.offset,
            "text": (error.text or "").rstrip("\n"),
        }
    else:  # ValueError: source with NUL bytes
        params = {"message": str(error), "line": None, "column": None, "text": ""}
    params["cell"] = cell.label
    return Message("syntax_error", params)


def _check_syntax(submission: Submission) -> None:
    """Reject a .py file with a syntax error; drop such cells of a notebook.

    Jupyter runs a notebook's cells one by one, so a cell with a syntax error
    does not stop the others: the notebook is graded without it, and a note
    says so. If the classes were in that cell, the load check reports it.
    """
    kept = []
    for cell in submission.cells:
        try:
            ast.parse(cell.source, filename=cell.filename)
        except (SyntaxError, ValueError) as error:
            message = _syntax_message(error, cell)
            if not submission.is_notebook:
                line = getattr(error, "lineno", None)
                raise SubmissionError(message, line=line, cell=cell.label) from error
            submission.syntax_errors.append(message)
            continue
        kept.append(cell)
    if not kept:
        raise SubmissionError(submission.syntax_errors[0])
    submission.cells = kept
