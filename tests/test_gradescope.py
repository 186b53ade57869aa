"""The Gradescope bundle: its layout, and run_autograder on a fake /autograder tree."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import zipfile
from numbers import Real
from pathlib import Path

import pytest

from conftest import ROOT, SOLUTION, STUB, SUBMISSIONS, run_grade
from grader.gradescope import GRADER_USER
from grader.messages import render
from grader.result import CHECKS, Message

# The results.json format of Gradescope's autograder specification
# (gradescope-autograders.readthedocs.io/en/latest/specs/): every field that
# may appear, at the top level and in each test.
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
TEXT_FORMATS = {"text", "html", "simple_format", "md", "ansi"}
TOP_LEVEL_FIELDS = {
    "score": Real,
    "execution_time": Real,
    "output": str,
    "output_format": TEXT_FORMATS,
    "test_output_format": TEXT_FORMATS,
    "test_name_format": TEXT_FORMATS,
    "visibility": VISIBILITIES,
    "stdout_visibility": VISIBILITIES,
    "extra_data": dict,
    "tests": list,
    "leaderboard": list,
}
TEST_FIELDS = {
    "score": Real,
    "max_score": Real,
    "status": {"passed", "failed"},
    "name": str,
    "name_format": TEXT_FORMATS,
    "number": str,
    "output": str,
    "output_format": TEXT_FORMATS,
    "tags": list,
    "visibility": VISIBILITIES,
    "extra_data": dict,
}
# What this grader always writes, beyond what the specification requires.
REQUIRED_TOP_LEVEL = {"score", "execution_time", "output", "tests"}
REQUIRED_TEST = {"name", "score", "max_score", "status", "output"}


def _check_fields(data: dict, fields: dict, where: str) -> None:
    for key, value in data.items():
        assert key in fields, f"{where}: {key!r} is not a field of results.json"
        allowed = fields[key]
        if isinstance(allowed, set):
            assert value in allowed, f"{where}: {key}={value!r} is not one of {allowed}"
        else:
            assert isinstance(value, allowed), (
                f"{where}: {key}={value!r} is not {allowed}"
            )
            assert not isinstance(value, bool), f"{where}: {key} is a boolean"


def assert_valid_results(results: dict) -> None:
    """Fail unless ``results`` follows Gradescope's results.json format."""
    _check_fields(results, TOP_LEVEL_FIELDS, "results.json")
    assert REQUIRED_TOP_LEVEL <= set(results)
    for index, test in enumerate(results["tests"]):
        _check_fields(test, TEST_FIELDS, f"tests[{index}]")
        assert REQUIRED_TEST <= set(test), (
            f"tests[{index}] lacks {REQUIRED_TEST - set(test)}"
        )
    if results["tests"]:
        assert results["score"] == sum(test["score"] for test in results["tests"])


# -- building the bundle and the fake tree


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    finished = run_grade("gradescope", path, "--seed", "0")
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.startswith(f"Wrote {path} (")
    return path


def make_tree(bundle: Path, root: Path) -> Path:
    """Lay out ``root`` as Gradescope lays out /autograder for a submission."""
    with zipfile.ZipFile(bundle) as archive:
        for entry in archive.infolist():
            target = root / "source" / entry.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(entry))
            target.chmod((entry.external_attr >> 16) & 0o777)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


@pytest.fixture
def tree(bundle, tmp_path) -> Path:
    return make_tree(bundle, tmp_path / "autograder")


def submit(tree: Path, files: dict[str, Path | str]) -> None:
    for name, content in files.items():
        target = tree / "submission" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_text(content)


def run_autograder(tree: Path, **env: str) -> tuple[dict, subprocess.CompletedProcess]:
    """Run the tree's run_autograder as Gradescope would; return results.json."""
    environment = dict(os.environ)
    environment.pop("GRADER_SEED", None)
    environment.update(
        {
            "GRADESCOPE_ROOT": str(tree),
            "GRADER_PYTHON": sys.executable,
            "GRADER_USER": "",
        }
    )
    environment.update(env)
    finished = subprocess.run(
        [str(tree / "run_autograder")],
        cwd=tree,
        env={key: value for key, value in environment.items() if value is not None},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stderr
    results = json.loads((tree / "results" / "results.json").read_text())
    assert_valid_results(results)
    return results, finished


def notebook_of(source: str) -> str:
    """A one-cell notebook holding ``source``."""
    cell = {
        "cell_type": "code",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": source.splitlines(keepends=True),
    }
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook)


# -- the bundle


def test_bundle_layout(bundle):
    with zipfile.ZipFile(bundle) as archive:
        entries = {entry.filename: entry for entry in archive.infolist()}
        for name in ("setup.sh", "run_autograder"):
            assert (entries[name].external_attr >> 16) & 0o777 == 0o755
        for name in ("grader/cli.py", "grader/_worker.py", "grader/gradescope.py"):
            assert name in entries
        utils = archive.read("grader/exercise/utils.py")
        config = json.loads(archive.read("autograder.json"))
        failed = json.loads(archive.read("results_failed.json"))
        setup = archive.read("setup.sh").decode()
    assert not [name for name in entries if "__pycache__" in name]
    assert utils == (ROOT / "exercise" / "utils.py").read_bytes()
    assert config == {"seed": 0, "language": "en", "user": GRADER_USER}
    assert_valid_results(failed)
    assert failed["score"] == 0
    assert failed["output"] == render(Message("gradescope_failed"))
    assert 'pip install --no-cache-dir "numpy>=' in setup
    assert (
        f"useradd --system --no-create-home --shell /usr/sbin/nologin {GRADER_USER}"
        in setup
    )


def test_bundle_scripts_parse(tree):
    for name in ("setup.sh", "run_autograder"):
        finished = subprocess.run(
            ["bash", "-n", str(tree / "source" / name)], capture_output=True
        )
        assert finished.returncode == 0, finished.stderr


def test_bundle_is_reproducible(bundle, tmp_path):
    again = tmp_path / "again.zip"
    assert run_grade("gradescope", again, "--seed", "0").returncode == 0
    assert again.read_bytes() == bundle.read_bytes()


def test_bundle_options(tmp_path):
    path = tmp_path / "it.zip"
    finished = run_grade("gradescope", path, "--lang", "it", env={"GRADER_SEED": "41"})
    assert finished.returncode == 0
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("autograder.json"))
        failed = json.loads(archive.read("results_failed.json"))
    assert config["seed"] == 41
    assert config["language"] == "it"
    assert failed["output"] == render(Message("gradescope_failed"), "it")


def test_bundle_into_folder_is_usage_error(tmp_path):
    finished = run_grade("gradescope", tmp_path)
    assert finished.returncode == 2
    assert "is a folder" in finished.stderr


# -- grading in the fake tree


@pytest.mark.slow
def test_correct_submission_full_marks(tree):
    submit(tree, {"perceptron.py": SOLUTION})
    results, finished = run_autograder(tree)
    assert results["score"] == 100
    assert [test["name"] for test in results["tests"]] == list(CHECKS)
    assert {test["status"] for test in results["tests"]} == {"passed"}
    assert "Score: 100/100" in finished.stdout


@pytest.mark.slow
def test_wrong_submission_same_as_grade(tree, tmp_path):
    wrong = SUBMISSIONS / "wrong" / "loss_format_four_decimals.py"
    submit(tree, {"perceptron.py": wrong})
    results, _ = run_autograder(tree)
    expected_path = tmp_path / "expected.json"
    assert run_grade(wrong, "--json", expected_path, "--seed", "0").returncode == 1
    expected = json.loads(expected_path.read_text())
    assert results["score"] == expected["score"]
    assert results["score"] < 100
    assert results["tests"] == expected["tests"]


@pytest.mark.slow
def test_notebook_submission(tree):
    submit(tree, {"perceptron.ipynb": notebook_of(SOLUTION.read_text())})
    results, _ = run_autograder(tree)
    assert results["score"] == 100


@pytest.mark.slow
def test_stub_scores_zero(tree):
    submit(tree, {"perceptron.py": STUB})
    results, _ = run_autograder(tree)
    assert results["score"] == 0
    assert len(results["tests"]) == len(CHECKS)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["forge_results_json_parent.py", "forge_results_json_argv.py"]
)
def test_forged_results_score_zero(tree, name):
    submit(tree, {"perceptron.py": SUBMISSIONS / "hostile" / name})
    results, _ = run_autograder(tree)
    assert results["score"] == 0
    assert results["output"] != "All checks passed"


# -- which file is graded


@pytest.mark.slow
def test_expected_name_wins(tree):
    submit(
        tree,
        {
            "perceptron.py": SOLUTION,
            "helpers.py": "x = 1\n",
            "utils.py": "raise SystemExit('not the trusted utils')\n",
            ".scratch.py": "",
            ".ipynb_checkpoints/perceptron-checkpoint.ipynb": "{}",
        },
    )
    results, finished = run_autograder(tree)
    assert results["score"] == 100
    assert "Grading perceptron.py (seed 0)" in finished.stdout


@pytest.mark.slow
def test_single_file_any_name(tree):
    submit(tree, {"hw3/my_solution.py": SOLUTION})
    results, finished = run_autograder(tree)
    assert results["score"] == 100
    assert "Grading hw3/my_solution.py (seed 0)" in finished.stdout


def test_no_submission(tree):
    submit(tree, {"notes.txt": "nothing"})
    (tree / "results" / "results.json").write_text('{"score": 100}')
    results, _ = run_autograder(tree)
    assert results["score"] == 0
    assert results["tests"] == []
    assert "no .py or .ipynb file" in results["output"]


def test_several_submissions(tree):
    submit(tree, {"perceptron.py": SOLUTION, "perceptron.ipynb": notebook_of("x = 1")})
    results, _ = run_autograder(tree)
    assert results["score"] == 0
    assert "perceptron.ipynb, perceptron.py" in results["output"]
    assert "upload only one" in results["output"]


# -- when grading fails


@pytest.mark.slow
def test_crash_in_grade_scores_zero(tree):
    cli = tree / "source" / "grader" / "cli.py"
    cli.write_text(
        cli.read_text() + "\nraise RuntimeError('a fault planted by the test')\n"
    )
    submit(tree, {"perceptron.py": SOLUTION})
    results, finished = run_autograder(tree)
    assert results["score"] == 0
    assert results["tests"] == []
    assert "stopped with exit status 70" in results["output"]
    assert "a fault planted by the test" in finished.stdout


def test_crash_before_grading_scores_zero(tree):
    grading = tree / "source" / "grader" / "grading.py"
    grading.write_text("raise RuntimeError('a fault planted by the test')\n")
    submit(tree, {"perceptron.py": SOLUTION})
    results, finished = run_autograder(tree)
    assert results == json.loads((tree / "source" / "results_failed.json").read_text())
    assert "wrote no results; writing a score of 0" in finished.stderr


def test_missing_python_scores_zero(tree):
    submit(tree, {"perceptron.py": SOLUTION})
    results, _ = run_autograder(tree, GRADER_PYTHON=str(tree / "no-python"))
    assert results["score"] == 0
    assert results["output"] == render(Message("gradescope_failed"))


def test_missing_user_scores_zero(tree):
    try:
        pwd.getpwnam(GRADER_USER)
        pytest.skip(f"the user {GRADER_USER} exists on this machine")
    except KeyError:
        pass
    submit(tree, {"perceptron.py": SOLUTION})
    results, _ = run_autograder(tree, GRADER_USER=None)
    assert results["score"] == 0
    assert f"the user '{GRADER_USER}' does not exist" in results["output"]


# -- as an unprivileged user


def _python_for_everyone(folder: Path) -> Path:
    """A virtual environment that every user can run, seeing this one's packages.

    Other users may not be able to read the test interpreter, but they can run
    the system's interpreter of the same version. A .pth file gives that one
    this interpreter's site-packages, NumPy included.
    """
    system = Path("/usr/bin/python3")
    version = subprocess.run(
        [str(system), "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if version != str(sys.version_info[:2]):
        pytest.skip(f"{system} is not Python {sys.version_info[:2]}")
    environment = folder / "venv"
    subprocess.run(
        [str(system), "-m", "venv", "--without-pip", str(environment)], check=True
    )
    import numpy

    site_packages = Path(numpy.__file__).resolve().parent.parent
    version_folder = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    pth = environment / "lib" / version_folder / "site-packages" / "test.pth"
    pth.write_text(f"import site; site.addsitedir({str(site_packages)!r})\n")
    return environment / "bin" / "python"


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
def test_runs_as_unprivileged_user(tree):
    user = pwd.getpwnam("nobody")
    folder = Path(tempfile.mkdtemp(prefix="grade-test-python-"))
    try:
        folder.chmod(0o755)
        python = _python_for_everyone(folder)
        source = (
            "import os\nprint('running as uid', os.getuid())\n" + SOLUTION.read_text()
        )
        submit(tree, {"perceptron.py": source})
        results, finished = run_autograder(
            tree, GRADER_PYTHON=str(python), GRADER_USER="nobody"
        )
    finally:
        shutil.rmtree(folder)
    assert f"running as uid {user.pw_uid}" in finished.stdout
    assert results["score"] == 100
