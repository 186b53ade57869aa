"""JUnit XML output, so that any CI system shows each check as a test case.

The file contains one ``<testsuite>`` per submission inside ``<testsuites>``, and
one ``<testcase>`` per check: ``classname`` names the submission and ``name``
the check. A failed check carries a ``<failure>`` with its feedback, a check
that did not run is ``<skipped>``, and a fault of the grader turns every check
into an ``<error>``. Each suite records the score, the maximum score, the seed
and the submission's path as properties, and what the student's code printed
as ``<system-out>`` and ``<system-err>``.

Test cases also carry ``file`` and, for ``.py`` files, ``line`` attributes, as
pytest writes them; readers that do not know them ignore them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from grader.formats import write_atomic
from grader.messages import render
from grader.report import check_feedback, format_output
from grader.result import CHECKS, FAILED, NOT_RUN, GradeResult, Message

# Characters that XML 1.0 does not allow, even escaped: most C0 controls,
# surrogates and U+FFFE, U+FFFF. A student's output can contain any of them.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """Replace characters XML cannot carry by a visible ``\\xNN`` escape."""
    return _INVALID_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def suite_names(results: list[GradeResult]) -> list[str]:
    """A name per submission: the file stem, or parent/stem where stems repeat.

    Batch folders often contain one folder per student with the same file name
    in each (``alice/perceptron.py``), and the folder name then distinguishes
    the suites.
    """
    stems = Counter(Path(result.submission).stem for result in results)
    names = []
    for result in results:
        path = Path(result.submission)
        if stems[path.stem] > 1 and path.parent.name:
            names.append(f"{path.parent.name}/{path.stem}")
        else:
            names.append(path.stem)
    return names


def _add_properties(suite: ET.Element, result: GradeResult) -> None:
    properties = ET.SubElement(suite, "properties")
    values = {
        "submission": result.submission,
        "score": 0 if result.error is not None else result.score,
        "max_score": result.max_score,
        "seed": result.seed,
    }
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=_xml_text(str(value)))


def _add_error_cases(
    suite: ET.Element, result: GradeResult, name: str, language: str
) -> None:
    detail = _xml_text(
        render(Message("report_grader_error", {"detail": result.error}), language)
    )
    for check_name in CHECKS:
        case = ET.SubElement(suite, "testcase", classname=name, name=check_name)
        case.set("file", _xml_text(result.submission))
        error = ET.SubElement(
            case, "error", message=detail.split("\n")[0], type="grader_fault"
        )
        error.text = detail


def _add_check_cases(
    suite: ET.Element, result: GradeResult, name: str, language: str
) -> None:
    is_notebook = result.submission.lower().endswith(".ipynb")
    for check in result.checks:
        case = ET.SubElement(suite, "testcase", classname=name, name=check.name)
        case.set("file", _xml_text(result.submission))
        if check.line is not None and not is_notebook:
            case.set("line", str(check.line))
        feedback = _xml_text(check_feedback(check, language))
        first_line = feedback.split("\n")[0]
        if check.status == FAILED:
            failure = ET.SubElement(
                case, "failure", message=first_line, type=check.name
            )
            failure.text = feedback
        elif check.status == NOT_RUN:
            ET.SubElement(case, "skipped", message=first_line)


def _add_output(suite: ET.Element, result: GradeResult, language: str) -> None:
    for stream, tag in (("stdout", "system-out"), ("stderr", "system-err")):
        text = format_output(result.output, stream, language)
        if text:
            ET.SubElement(suite, tag).text = _xml_text(text)


def _suite(result: GradeResult, name: str, language: str) -> ET.Element:
    suite = ET.Element("testsuite", name=name)
    _add_properties(suite, result)
    if result.error is not None:
        _add_error_cases(suite, result, name, language)
    else:
        _add_check_cases(suite, result, name, language)
    _add_output(suite, result, language)
    cases = suite.findall("testcase")
    counts = {
        "tests": len(cases),
        "failures": sum(case.find("failure") is not None for case in cases),
        "errors": sum(case.find("error") is not None for case in cases),
        "skipped": sum(case.find("skipped") is not None for case in cases),
    }
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("time", f"{result.execution_time:.3f}")
    return suite


def junit_tree(
    results: list[GradeResult], language: str = "en", names: Sequence[str] | None = None
) -> ET.Element:
    """Build the ``<testsuites>`` element of ``results``, one suite per submission.

    ``names`` are the suite names and test-case class names, such as batch
    mode's student ids; by default ``suite_names`` makes them from the paths.
    """
    root = ET.Element("testsuites", name="grade")
    for result, name in zip(results, names or suite_names(results), strict=True):
        root.append(_suite(result, _xml_text(name), language))
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(suite.get(key)) for suite in root)))
    root.set("time", f"{sum(result.execution_time for result in results):.3f}")
    return root


def write_junit(
    results: list[GradeResult],
    path: str | Path,
    language: str = "en",
    names: Sequence[str] | None = None,
) -> None:
    """Write the JUnit XML of ``results`` to ``path`` atomically."""
    root = junit_tree(results, language, names)
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=False)
    write_atomic(path, '<?xml version="1.0" encoding="utf-8"?>\n' + text + "\n")
