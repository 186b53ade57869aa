"""Measure how fast ``grade`` is against the floor of one NumPy import.

Usage::

    .venv/bin/python benchmarks/run.py [--quick] [--markdown FILE]

In one run on the current machine it times, as subprocesses:

- the floor: ``python -c "import numpy"`` with the grader's interpreter;
- ``grade solution/perceptron.py`` (one .py file);
- ``grade NOTEBOOK.ipynb``, a notebook made from the reference solution;
- ``grade FOLDER --jobs 2`` on a class of generated submissions (see
  ``benchmarks/submissions.py`` for the mix).

Single files are timed in interleaved rounds after one untimed warm-up each,
so that a slow spell of the machine affects all three alike. Medians are
reported. The grader's peak memory is measured in a separate, untimed batch
run on the same class (see ``measure_memory``).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.submissions import (  # noqa: E402
    REPOSITORY,
    Generated,
    class_mix,
    generate_class,
    notebook_from_solution,
)

FULL = {"runs": 7, "batch_runs": 3, "class_size": 200}
QUICK = {"runs": 1, "batch_runs": 1, "class_size": 10}

BATCH_JOBS = 2
"""Grading processes of the batch run: the speed target is set for 2 cores."""

BATCH_TIMEOUT = 2.0
"""--timeout of the batch run, in seconds. Training the reference network for
30 epochs takes about 0.2 s on the machine in docs/benchmarks.md, and no call
of a generated correct submission does more, so 2 s stops only real hangs.
Each hang costs 2 s of one core per call that hangs."""

TARGETS = {"py": 1.5, "notebook": 2.0, "rate": 10.0, "memory_mib": 150.0}
"""Speed targets: times the floor for single files, submissions per second
for the batch, MiB for the largest grader process."""


def grade_command() -> list[str]:
    """Return the command that runs ``grade`` with this interpreter."""
    script = Path(sys.executable).with_name("grade")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "grader"]


def time_command(command: list[str], expected: set[int]) -> float:
    """Run ``command`` once and return its wall time in seconds.

    Raises
    ------
    RuntimeError
        If the exit status is not in ``expected``.
    """
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, cwd=REPOSITORY)
    elapsed = time.perf_counter() - start
    if completed.returncode not in expected:
        raise RuntimeError(
            f"{' '.join(command)} exited with {completed.returncode}, expected "
            f"{sorted(expected)}:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}"
        )
    return elapsed


def time_single_files(notebook: Path, runs: int) -> dict[str, list[float]]:
    """Time the floor, a .py grade and a notebook grade in interleaved rounds."""
    commands = {
        "floor": ([sys.executable, "-c", "import numpy"], {0}),
        "py": ([*grade_command(), "solution/perceptron.py"], {0}),
        "notebook": ([*grade_command(), str(notebook)], {0}),
    }
    for command, expected in commands.values():
        time_command(command, expected)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, expected) in commands.items():
            times[name].append(time_command(command, expected))
    return times


def time_batch(folder: Path, gradebook: Path, runs: int, timeout: float) -> list[float]:
    """Time ``grade FOLDER`` ``runs`` times; it exits 1, as some lose points."""
    command = [
        *grade_command(),
        str(folder),
        "--jobs",
        str(BATCH_JOBS),
        "--timeout",
        f"{timeout:g}",
        "--no-progress",
        "--csv",
        str(gradebook),
    ]
    return [time_command(command, {1}) for _ in range(runs)]


def check_gradebook(
    gradebook: Path, folder: Path, generated: list[Generated]
) -> dict[str, str]:
    """Compare the gradebook with what each generated submission should score.

    Correct submissions must get 100, buggy and hanging ones less. Hostile
    ones may go either way: a print flood is correct code that prints a lot.
    Returns the submissions scored otherwise, by path in ``folder``, with
    their score.
    """
    with open(gradebook, newline="", encoding="utf-8") as stream:
        scores = {row["path"]: row["score"] for row in csv.DictReader(stream)}
    wrong = {}
    for item in generated:
        score = scores.get(str(item.path), "missing")
        if item.kind == "hostile" and score != "missing":
            continue
        if (score == "100") != (item.kind == "correct"):
            name = item.path.relative_to(folder).as_posix()
            wrong[f"{name} ({item.kind}, {item.edit})"] = score
    return wrong


_MEMORY_PROBE = """
import json, sys
from pathlib import Path
from grader.batch import find_submissions, grade_submissions
from grader.sandbox import Limits
paths = [item.path for item in find_submissions([Path(sys.argv[1])])]
outcome = grade_submissions(
    paths, limits=Limits(timeout=float(sys.argv[2])), jobs=int(sys.argv[3])
)
print(json.dumps(outcome.peak_memory_kib))
"""


def measure_memory(folder: Path, timeout: float) -> dict[str, int]:
    """Grade ``folder`` once in a fresh interpreter; return each grader
    process's peak resident memory (VmHWM) in KiB.

    The processes are the parent, each grading process of the pool and each
    sandbox zygote. Student processes are not counted: the sandbox limits
    their memory separately.
    """
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            _MEMORY_PROBE,
            str(folder),
            f"{timeout:g}",
            str(BATCH_JOBS),
        ],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def machine_description() -> dict[str, str]:
    """Describe the machine: CPUs, CPU model, Python and NumPy versions, load."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    numpy_version = subprocess.run(
        [sys.executable, "-c", "import numpy; print(numpy.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": str(os.cpu_count()),
        "cpu model": model,
        "python": platform.python_version(),
        "numpy": numpy_version,
        "load average before the run": load,
        "hyperfine": "not used; timed with time.perf_counter",
    }


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def render(report: dict) -> str:
    """Render the measurements as Markdown, which reads well as plain text."""
    lines = _machine_section(report) + _single_section(report)
    lines += _batch_section(report) + _memory_section(report)
    return "\n".join(lines) + "\n"


def _machine_section(report: dict) -> list[str]:
    lines = ["## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in report["machine"].items()]
    return lines


def _single_section(report: dict) -> list[str]:
    floor = report["floor"]
    lines = [
        "",
        "## Single files",
        "",
        f"Median of {report['runs']} runs each, after one warm-up run.",
        "",
        "| command | median (s) | times the floor | target | verdict |",
        "| --- | --- | --- | --- | --- |",
        f'| `python -c "import numpy"` (floor) | {floor:.3f} | 1.00 | | |',
    ]
    for name, label in (
        ("py", "grade solution/perceptron.py"),
        ("notebook", "grade NOTEBOOK.ipynb"),
    ):
        ratio = report[name] / floor
        target = TARGETS[name]
        lines.append(
            f"| `{label}` | {report[name]:.3f} | {ratio:.2f} | at most {target:g} "
            f"| {verdict(ratio <= target)} |"
        )
    return lines


def _batch_section(report: dict) -> list[str]:
    size = report["class_size"]
    rate = size / report["batch"]
    memory_mib = max(report["memory_kib"].values()) / 1024
    lines = [
        "",
        "## Batch",
        "",
        f"`grade FOLDER --jobs {BATCH_JOBS} --timeout {report['timeout']:g}` on {size} "
        f"generated submissions ({report['mix']}), median of {report['batch_runs']} "
        "runs.",
        "",
        "| measure | value | target | verdict |",
        "| --- | --- | --- | --- |",
        f"| wall time (s) | {report['batch']:.2f} | | |",
        f"| submissions per second | {rate:.1f} | at least {TARGETS['rate']:g} "
        f"| {verdict(rate >= TARGETS['rate'])} |",
        f"| largest grader process, peak memory (MiB) | {memory_mib:.1f} "
        f"| under {TARGETS['memory_mib']:g} "
        f"| {verdict(memory_mib < TARGETS['memory_mib'])} |",
    ]
    if report["misgraded"]:
        lines += ["", "Generated submissions scored against expectation:", ""]
        lines += [f"- {path}: {score}" for path, score in report["misgraded"].items()]
    else:
        lines += ["", "Every generated submission scored as its kind predicts."]
    return lines


def _memory_section(report: dict) -> list[str]:
    memory = report["memory_kib"]
    total_mib = sum(memory.values()) / 1024
    lines = [
        "",
        "## Grader memory",
        "",
        "Peak resident memory (VmHWM) of each grader process, in MiB, from an "
        "untimed batch run on the same class. Student processes are not counted. "
        "Pages shared after a fork count in every process that maps them, so the "
        f"sum, {total_mib:.1f} MiB, overstates the memory in use.",
        "",
    ]
    lines += [f"- {name}: {kib / 1024:.1f}" for name, kib in sorted(memory.items())]
    return lines


def run(settings: dict, timeout: float, workdir: Path) -> dict:
    """Generate the inputs in ``workdir``, measure, and return the numbers."""
    machine = machine_description()
    notebook = workdir / "perceptron.ipynb"
    notebook_from_solution(notebook)
    folder = workdir / "class"
    generated = generate_class(folder, settings["class_size"])
    gradebook = workdir / "gradebook.csv"

    single = time_single_files(notebook, settings["runs"])
    batch = time_batch(folder, gradebook, settings["batch_runs"], timeout)
    mix = ", ".join(
        f"{count} {kind}" for kind, count in class_mix(len(generated)).items()
    )
    memory = measure_memory(folder, timeout)
    machine["load average after the run"] = " ".join(
        f"{value:.2f}" for value in os.getloadavg()
    )
    return {
        "machine": machine,
        "runs": settings["runs"],
        "batch_runs": settings["batch_runs"],
        "class_size": len(generated),
        "mix": mix,
        "timeout": timeout,
        "floor": statistics.median(single["floor"]),
        "py": statistics.median(single["py"]),
        "notebook": statistics.median(single["notebook"]),
        "batch": statistics.median(batch),
        "memory_kib": memory,
        "misgraded": check_gradebook(gradebook, folder, generated),
    }


def compile_grader() -> None:
    """Write the grader's bytecode before timing it.

    Python writes it on the first run of an edited module, unless
    PYTHONDONTWRITEBYTECODE is set, as it is on some development machines;
    then every run would compile the grader anew, which no user's does.
    """
    import compileall

    compileall.compile_dir(REPOSITORY / "grader", quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 run each and a class of 10, to check that the benchmark works",
    )
    parser.add_argument("--markdown", metavar="FILE", help="also write the output here")
    parser.add_argument(
        "--timeout",
        type=float,
        default=BATCH_TIMEOUT,
        metavar="SECONDS",
        help=f"--timeout of the batch run (default {BATCH_TIMEOUT:g})",
    )
    options = parser.parse_args(argv)
    settings = QUICK if options.quick else FULL
    compile_grader()
    workdir = Path(tempfile.mkdtemp(prefix="grade-benchmark-"))
    try:
        report = run(settings, options.timeout, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = render(report)
    sys.stdout.write(text)
    if options.markdown:
        Path(options.markdown).write_text(
            "# Benchmark output\n\n" + text, encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
