"""GitHub Actions output: escaping, annotations, job summary, ``grade --github``."""

from __future__ import annotations

import io

import pytest

from conftest import SOLUTION, SUBMISSIONS, run_grade
from grader import github
from grader.github import (
    annotations,
    escape_data,
    escape_property,
    print_without_commands,
    publish_github,
    summary_markdown,
    workflow_command,
)
from grader.messages import render
from grader.result import (
    CHECKS,
    FAILED,
    NOT_RUN,
    PASSED,
    CheckResult,
    GradeResult,
    Message,
)


def runner_commands(log: str) -> list[str]:
    """The workflow commands GitHub's runner would run from ``log``.

    It follows the runner's rules: a command is a line that starts with
    ``::`` after leading spaces, and ``::stop-commands::TOKEN`` ignores every
    line until ``::TOKEN::``.
    """
    commands, stop_token = [], None
    for line in log.splitlines():
        stripped = line.lstrip()
        if stop_token is not None:
            if stripped == f"::{stop_token}::":
                stop_token = None
            continue
        if stripped.startswith("::stop-commands::"):
            stop_token = stripped[len("::stop-commands::") :]
        elif stripped.startswith("::"):
            commands.append(stripped)
    return commands


def _result(path: str = "perceptron.py") -> GradeResult:
    result = GradeResult(submission=path, seed=0)
    result.checks = [CheckResult("load", PASSED)]
    feedback = [Message("not_implemented", {"method": "backward()"})]
    for name in list(CHECKS)[1:5]:
        result.checks.append(CheckResult(name, FAILED, list(feedback), line=30))
    result.checks.append(
        CheckResult(
            "fit.one_step",
            FAILED,
            [Message("not_implemented", {"method": "fit()"})],
            line=50,
        )
    )
    for name in list(CHECKS)[6:]:
        result.checks.append(CheckResult(name, NOT_RUN, [Message("depends_on_load")]))
    return result


# -- escaping


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("50% done", "50%25 done", "50%25 done"),
        ("one\ntwo\r\n", "one%0Atwo%0D%0A", "one%0Atwo%0D%0A"),
        ("a: b, c", "a: b, c", "a%3A b%2C c"),
        ("%0A", "%250A", "%250A"),
    ],
)
def test_escaping(text, data, prop):
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_workflow_command_format():
    command = workflow_command(
        "error", "line 1\nline 2", file="a,b.py", line=3, title=None
    )
    assert command == "::error file=a%2Cb.py,line=3::line 1%0Aline 2"
    assert workflow_command("error", "bare") == "::error::bare"


def test_message_cannot_add_command():
    command = workflow_command("error", "x\n::add-mask::secret", title="t")
    assert runner_commands(command) == [command]


# -- stopping commands around untrusted text


def test_print_without_commands():
    stream = io.StringIO()
    print_without_commands("report\n::error::forged\n  ::notice::forged too", stream)
    lines = stream.getvalue().splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert len(token) == 32
    assert lines[-1] == f"::{token}::"
    assert lines[1:-1] == ["report", "::error::forged", "  ::notice::forged too"]
    assert runner_commands(stream.getvalue()) == []


def test_stop_tokens_differ():
    first, second = io.StringIO(), io.StringIO()
    print_without_commands("a", first)
    print_without_commands("a", second)
    assert first.getvalue() != second.getvalue()


# -- annotations


def test_annotations_group_same_feedback():
    commands = annotations([_result()], "en")
    assert len(commands) == 2
    backward, fit = commands
    names = "%2C ".join(list(CHECKS)[1:5])
    assert backward.startswith(f"::error file=perceptron.py,line=30,title={names}::")
    assert backward.endswith(
        render(Message("not_implemented", {"method": "backward()"}))
    )
    assert fit.startswith("::error file=perceptron.py,line=50,title=fit.one_step::")


def test_notebook_annotation_without_line():
    result = _result("notebooks/perceptron.ipynb")
    for check in result.checks:
        check.cell = "cell 4"
    commands = annotations([result], "en")
    assert commands[0].startswith("::error file=notebooks/perceptron.ipynb,title=")
    assert "line=" not in commands[0].split("::")[1]
    assert "(cell 4)" in commands[0]


def test_grader_fault_annotation():
    result = GradeResult(submission="perceptron.py", seed=0)
    result.error = Message("grader_fault", {"detail": "sandbox down"})
    commands = annotations([result], "en")
    assert len(commands) == 1
    assert commands[0].startswith("::error file=perceptron.py::")
    assert "sandbox down" in commands[0]


def test_absolute_path_made_relative(monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    command = annotations([_result(str(tmp_path / "src" / "perceptron.py"))], "en")[0]
    assert command.startswith("::error file=src/perceptron.py,")


# -- the summary


def test_summary_table_and_report():
    summary = summary_markdown([_result()], "en")
    assert summary.startswith("### Grading `perceptron.py` (seed 0)\n")
    assert "**Score: 0/100**" in summary
    assert "| ✅ passed | `load` | 0/0 |" in summary
    assert "| ❌ failed | `backward.d_weights` | 0/15 |" in summary
    assert "| ➖ not run | `fit.replay` | 0/15 |" in summary
    assert "backward() is not written yet" in summary


def test_summary_in_italian():
    summary = summary_markdown([_result()], "it")
    assert "| ✅ superato | `load` | 0/0 |" in summary
    assert "Punteggio: 0/100" in summary


def test_summary_fences_student_text():
    result = _result("we`ird.py")
    message = Message(
        "raised",
        {
            "type": "ValueError",
            "method": "backward()",
            "message": "```\n# Score: 100/100\n<b>x</b>",
        },
    )
    result.checks[1].feedback = [message]
    summary = summary_markdown([result], "en")
    assert "### Grading ``we`ird.py`` (seed 0)" in summary
    fence = summary.split("<summary>")[1].split("\n")[2]
    assert fence == "````text"
    block = summary.split(fence)[1]
    assert "# Score: 100/100" in block
    assert "```\n" in block


def test_summary_leaves_out_past_limit(monkeypatch):
    monkeypatch.setattr(github, "SUMMARY_LIMIT", 3000)
    results = [_result(f"s{i}/perceptron.py") for i in range(5)]
    summary = summary_markdown(results, "en")
    assert len(summary) <= 3200
    assert summary.count("| `s") == 5
    assert "more submissions are left out" in summary


def test_publish_replaces_summary(monkeypatch, tmp_path, capsys):
    path = tmp_path / "summary.md"
    path.write_text("## Score: 100/100 (written by the submission)\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    publish_github([_result()], "en")
    assert path.read_text() == summary_markdown([_result()], "en")
    out = capsys.readouterr().out
    assert out.splitlines() == annotations([_result()], "en")


def test_publish_without_summary_variable(monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    publish_github([_result()], "en")
    captured = capsys.readouterr()
    assert "GITHUB_STEP_SUMMARY is not set" in captured.err
    assert captured.out.splitlines() == annotations([_result()], "en")


# -- grade --github end to end


def _injecting_submission(tmp_path):
    """The solution, with a backward() that raises an error quoting commands."""
    source = SOLUTION.read_text()
    marker = "    def backward(self"
    assert marker in source
    payload = (
        "        raise ValueError('\\n::notice title=Grade::Full marks 100/100"
        "\\n::stop-commands::x\\n::add-mask::y')\n"
    )
    head, rest = source.split(marker, 1)
    signature, body = rest.split("\n", 1)
    path = tmp_path / "perceptron.py"
    path.write_text(head + marker + signature + "\n" + payload + body)
    return path


def test_grade_github_full_marks(tmp_path):
    summary = tmp_path / "summary.md"
    finished = run_grade(
        SOLUTION, "--github", env={"GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert finished.returncode == 0
    assert runner_commands(finished.stdout) == []
    assert "Score: 100/100" in finished.stdout
    assert "**Score: 100/100**" in summary.read_text()


def test_grade_github_wrong_file(tmp_path):
    summary = tmp_path / "summary.md"
    wrong = SUBMISSIONS / "wrong" / "biases_not_updated.py"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    finished = run_grade(wrong.name, "--github", cwd=wrong.parent, env=env)
    assert finished.returncode == 1
    commands = runner_commands(finished.stdout)
    assert commands
    for command in commands:
        assert command.startswith("::error file=biases_not_updated.py,line=")
    assert "| ❌ failed | `backward.d_biases` | 0/10 |" in summary.read_text()


def test_grade_github_stops_injected_commands(tmp_path):
    path = _injecting_submission(tmp_path)
    finished = run_grade(
        path.name,
        "--github",
        cwd=tmp_path,
        env={"GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")},
    )
    assert finished.returncode == 1
    assert "::notice title=Grade::Full marks" in finished.stdout
    commands = runner_commands(finished.stdout)
    assert commands
    for command in commands:
        assert command.startswith("::error file=perceptron.py,")
        assert "\n" not in command
