"""Check the submission corpus against the reference solution, without the grader.

Run it with the interpreter that has NumPy, from any directory:

    python tests/files/submissions/verify_corpus.py

It checks that:

- manifest.json lists every submission file once, with a kind that matches its
  folder, known check names and a mistake id for every wrong file;
- every correct submission matches solution/perceptron.py to 1e-10 in backward()
  and in a 3-epoch fit(), and prints the same loss lines;
- every wrong submission, and the hostile ones listed in EXPECTED, differs from
  the solution in the quantities listed there and matches it in the others;
- every hostile file except syntax_error.py compiles, and each forgery keeps the
  stub's classes and __main__ block unchanged;
- the hostile files in BEHAVIOUR and FORGERIES, run in a subprocess with a
  timeout and a memory limit, exit, raise, hang or forge as their header
  comment describes.

The files that flood output, hog memory or fork are compiled but never run.
Submissions in EXPECTED run in this process, so that list must never contain
a file that patches modules or ends the process.

The exercise's utils.py is used as it is once its data block is filled in.
While that block is still a placeholder, the submissions get a copy whose
data block is replaced by a small synthetic training set. The numeric checks always
use their own arrays, so the data only feeds the training runs that some
submissions start at import.

The exit status is 0 when every check passes and 1 otherwise.
"""

import contextlib
import importlib.util
import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile

import numpy as np

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "submissions")
REPOSITORY = os.path.abspath(os.path.join(CORPUS, "..", "..", ".."))
UTILS_PATH = os.path.join(REPOSITORY, "exercise", "utils.py")
STUB_PATH = os.path.join(REPOSITORY, "exercise", "perceptron.py")
SOLUTION_PATH = os.path.join(REPOSITORY, "solution", "perceptron.py")

CHECK_NAMES = {
    "load",
    "backward.d_weights",
    "backward.d_biases",
    "backward.da_prev",
    "backward.update",
    "fit.one_step",
    "fit.replay",
    "fit.loss_report",
    "fit.loss_falls",
}
KINDS = ("correct", "wrong", "hostile")

TOLERANCE = 1e-10
LOSS_LINE = re.compile(r"^Loss at epoch (\d+): (-?\d+\.\d{3})$")

# Layer shapes for the backward() comparison. The square layer lets a transposed
# or misplaced matrix run without a shape error, and the one-neuron layer has the
# output layer's shape. The sigmoid layers expose a derivative taken at the
# activation instead of at z.
BACKWARD_LAYERS = [(3, 4, "relu"), (4, 4, "sigmoid"), (4, 1, "sigmoid"), (5, 3, "relu")]
BACKWARD_CALLS = 3
LEARNING_RATES = (0.1, 0.05, 0.3)

FIT_LAYERS = [(2, 6, "relu"), (6, 6, "relu"), (6, 1, "sigmoid")]
FIT_EPOCHS = 3
FIT_LEARNING_RATE = 0.1
FALLS_EPOCHS = 6
FALLS_LEARNING_RATE = 0.01

# Quantities compared with the solution. weights, biases and da_prev are the
# results of each backward() call from the same state. fit_params are every
# layer's parameters after a 3-epoch fit at lr 0.1, and fit_lines are the lines
# that this fit prints. lines_lr0 are the lines that a 3-epoch fit prints at lr 0. falls
# records whether a 6-epoch fit at lr 0.01 prints one loss line per epoch in the
# exact format, with a value that falls every epoch.
BACKWARD_QUANTITIES = ("weights", "biases", "da_prev")
FIT_QUANTITIES = ("fit_params", "fit_lines", "lines_lr0")
ALL_QUANTITIES = set(BACKWARD_QUANTITIES + FIT_QUANTITIES)


def expect(differ=(), same=(), falls=None):
    """Describe how a submission must compare with the solution."""
    return {"differ": set(differ), "same": set(same), "falls": falls}


CORRECT = expect(same=ALL_QUANTITIES, falls=True)
BAD_GRADIENT = expect(
    differ={"weights", "biases", "da_prev", "fit_params"}, same={"lines_lr0"}
)
BAD_STEP = expect(differ={"weights", "biases", "fit_params"}, same={"da_prev"})
BAD_D_WEIGHTS = expect(differ={"weights", "fit_params"}, same={"biases", "da_prev"})
BAD_D_BIASES = expect(differ={"biases", "fit_params"}, same={"weights", "da_prev"})
BAD_DA_PREV = expect(differ={"da_prev", "fit_params"}, same={"weights", "biases"})
BAD_FIT_GRADIENT = expect(
    differ={"fit_params"}, same={"weights", "biases", "da_prev", "lines_lr0"}
)
BAD_REPORT = expect(
    differ={"lines_lr0"}, same={"weights", "biases", "da_prev", "fit_params"}
)
BAD_DA_RETURNED = expect(
    differ={"da_prev", "fit_params", "lines_lr0"}, same={"weights", "biases"}
)
NO_VALID_REPORT = expect(
    differ={"fit_lines", "lines_lr0"},
    same={"weights", "biases", "da_prev", "fit_params"},
    falls=False,
)

EXPECTED = {
    "wrong/derivative_missing.py": BAD_GRADIENT,
    "wrong/derivative_at_output.py": BAD_GRADIENT,
    "wrong/derivative_at_input.py": expect(
        differ={"weights", "biases", "da_prev", "fit_params"}
    ),
    "wrong/d_weights_transposed.py": BAD_D_WEIGHTS,
    "wrong/d_weights_uses_output.py": BAD_D_WEIGHTS,
    "wrong/d_weights_divided_by_inputs.py": expect(
        differ={"weights", "fit_params"}, same={"biases", "da_prev", "lines_lr0"}
    ),
    "wrong/da_prev_after_update.py": expect(
        differ={"da_prev", "fit_params"}, same={"weights", "biases", "lines_lr0"}
    ),
    "wrong/da_prev_not_returned.py": BAD_DA_PREV,
    "wrong/da_prev_not_transposed.py": BAD_DA_PREV,
    "wrong/da_prev_skips_derivative.py": BAD_DA_PREV,
    "wrong/gradient_added.py": BAD_STEP,
    "wrong/learning_rate_ignored.py": expect(
        differ={"weights", "biases", "fit_params", "lines_lr0"}, same={"da_prev"}
    ),
    "wrong/learning_rate_twice.py": expect(
        differ={"weights", "biases", "fit_params"}, same={"da_prev", "lines_lr0"}
    ),
    "wrong/learning_rate_ignored_biases.py": expect(
        differ={"biases", "fit_params", "lines_lr0"}, same={"weights", "da_prev"}
    ),
    "wrong/biases_not_updated.py": expect(
        differ={"biases", "fit_params"}, same={"weights", "da_prev", "lines_lr0"}
    ),
    "wrong/d_biases_summed.py": BAD_D_BIASES,
    "wrong/gradient_accumulator.py": BAD_STEP,
    "wrong/layers_forward.py": expect(
        differ={"fit_params", "lines_lr0"}, same={"weights", "biases", "da_prev"}
    ),
    "wrong/first_layer_skipped.py": BAD_FIT_GRADIENT,
    "wrong/da_not_passed.py": BAD_FIT_GRADIENT,
    "wrong/bce_derivative_sign.py": expect(
        differ={"fit_params"},
        same={"weights", "biases", "da_prev", "lines_lr0"},
        falls=False,
    ),
    "wrong/bce_derivative_difference_only.py": BAD_FIT_GRADIENT,
    "wrong/examples_shuffled.py": BAD_FIT_GRADIENT,
    "wrong/loss_not_reset.py": expect(
        differ={"fit_lines", "lines_lr0"},
        same={"weights", "biases", "da_prev", "fit_params"},
        falls=False,
    ),
    "wrong/loss_divided_by_epochs.py": BAD_REPORT,
    "wrong/loss_divided_by_epoch_number.py": BAD_REPORT,
    "wrong/loss_last_example.py": BAD_REPORT,
    "wrong/loss_format_words.py": BAD_REPORT,
    "wrong/loss_format_four_decimals.py": BAD_REPORT,
    "wrong/epoch_numbering_from_zero.py": BAD_REPORT,
    "wrong/loss_sign_flipped.py": expect(
        differ={"lines_lr0"},
        same={"weights", "biases", "da_prev", "fit_params"},
        falls=False,
    ),
    "wrong/loss_printed_per_example.py": BAD_REPORT,
    "hostile/backward_returns_none.py": BAD_DA_RETURNED,
    "hostile/backward_returns_wrong_shape.py": BAD_DA_RETURNED,
    "hostile/backward_returns_nan.py": BAD_DA_RETURNED,
    "hostile/backward_returns_inf.py": BAD_DA_RETURNED,
    "hostile/fit_prints_nothing.py": NO_VALID_REPORT,
    "hostile/fit_prints_nan.py": NO_VALID_REPORT,
    "hostile/fit_prints_text.py": NO_VALID_REPORT,
}

# Hostile files that are safe to load in this process but must fail the
# structure check, with the problem that check must report.
EXPECTED_LOAD_PROBLEMS = {
    "hostile/missing_module_import.py": "ModuleNotFoundError",
    "hostile/missing_perceptron_class.py": "no class Perceptron",
    "hostile/missing_backward_method.py": "no method Layer.backward",
}

# Hostile files run in a subprocess: the stage the driver reaches, and how the
# process must end there.
BEHAVIOUR = {
    "hostile/sys_exit_at_import.py": ("import", "exit 0"),
    "hostile/os_exit_at_import.py": ("import", "exit 0"),
    "hostile/keyboard_interrupt_at_import.py": ("import", "KeyboardInterrupt"),
    "hostile/base_exception_at_import.py": ("import", "BaseException: x"),
    "hostile/infinite_loop_at_import.py": ("import", "timeout"),
    "hostile/sys_exit_in_backward.py": ("backward", "exit 0"),
    "hostile/os_exit_in_backward.py": ("backward", "exit 0"),
    "hostile/system_exit_in_backward.py": ("backward", "exit 0"),
    "hostile/keyboard_interrupt_in_backward.py": ("backward", "KeyboardInterrupt"),
    "hostile/base_exception_in_backward.py": ("backward", "BaseException: x"),
    "hostile/infinite_loop_in_backward.py": ("backward", "timeout"),
    "hostile/infinite_loop_in_fit.py": ("fit", "timeout"),
    "hostile/recursion_bomb_segfault.py": ("backward", "SIGSEGV"),
}

# Forgery files run in a subprocess, with the trick each must show. The fork
# and setsid forgeries leave a process behind for 30 s, so they are only
# compiled.
FORGERIES = {
    "hostile/forge_results_json_cwd.py": "results.json in the working directory",
    "hostile/forge_results_json_argv.py": "results.json at the --json path",
    "hostile/forge_results_json_parent.py": "results.json in the parent directory",
    "hostile/forge_fake_report.py": "fake report on stdout",
    "hostile/forge_patch_isclose.py": "closeness functions always true",
    "hostile/forge_replace_print.py": "print replaced",
    "hostile/forge_sys_modules.py": "json and math modules replaced",
}
FORK_FORGERIES = ("hostile/forge_fork_child.py", "hostile/forge_setsid_detach.py")

SUBPROCESS_TIMEOUT = 20
HANG_TIMEOUT = 3
SUBPROCESS_MEMORY = 4 * 1024**3

DRIVER = r"""
import os
import runpy
import sys

import numpy as np


def write_marker(text):
    os.write(1, (text + "\n").encode())


path, stage = sys.argv[1], sys.argv[2]
sys.argv = ["submission.py"] + sys.argv[3:]
write_marker("REACHED import")
namespace = runpy.run_path(path, run_name="submission")
write_marker("PASSED import")
utils = sys.modules["utils"]
layer = namespace["Layer"](3, 4, utils.relu)
layer.forward(np.array([0.5, -1.0, 2.0]))
if stage == "backward":
    write_marker("REACHED backward")
    layer.backward(np.ones((4, 1)), 0.1)
    write_marker("PASSED backward")
elif stage == "fit":
    network = namespace["Perceptron"](
        [namespace["Layer"](2, 3, utils.relu), namespace["Layer"](3, 1, utils.sigmoid)]
    )
    write_marker("REACHED fit")
    network.fit(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1.0, 0.0]), 2, 0.1)
    write_marker("PASSED fit")
elif stage == "forgery":
    single = namespace["Perceptron"]([layer])
    for name, call in (
        ("backward", lambda: layer.backward(np.ones((4, 1)), 0.1)),
        ("fit", lambda: single.fit(np.ones((1, 3)), np.ones(1), 1, 0.1)),
    ):
        try:
            call()
            write_marker("STUB " + name + " returned")
        except NotImplementedError:
            write_marker("STUB " + name + " NotImplementedError")
    import json
    import math

    write_marker("PROBE allclose " + str(bool(np.allclose(0.0, 1.0))))
    write_marker("PROBE isclose " + str(bool(np.all(np.isclose([0.0], [1.0])))))
    write_marker("PROBE math.isclose " + str(math.isclose(0.0, 1.0)))
    write_marker("PROBE json.dumps " + json.dumps({"score": 0}))
    print("PROBE print")
"""


# --------------------------------------------------------------------------
# Environment


def write_test_utils(directory):
    """Write a usable utils.py into directory and return whether its data is synthetic.

    The exercise's copy is used as it is when it runs without error. Otherwise
    its text up to the ``X_train =`` line is kept, and a 24-point synthetic set
    with linearly separable labels replaces the data block.
    """
    with open(UTILS_PATH) as handle:
        source = handle.read()
    synthetic = False
    try:
        exec(compile(source, UTILS_PATH, "exec"), {})
    except NameError:
        synthetic = True
        start = source.index("\nX_train = ")
        source = source[:start] + (
            "\n_rng = np.random.default_rng(1)\n"
            "X_train = _rng.uniform(-1, 1, (24, 2))\n"
            "y_train = (X_train[:, 0] + X_train[:, 1] > 0).astype(float)\n"
        )
    with open(os.path.join(directory, "utils.py"), "w") as handle:
        handle.write(source)
    return synthetic


def import_utils(directory):
    """Import the utils.py in directory as the module ``utils`` for every submission."""
    sys.modules.pop("utils", None)
    sys.path.insert(0, directory)
    import utils

    return utils


def load_file(path, name):
    """Execute a Python file as a module, with its prints captured.

    Returns (module, output, error), where error is None or a short text.
    """
    saved_path = list(sys.path)
    output = io.StringIO()
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        with contextlib.redirect_stdout(output), np.errstate(all="ignore"):
            spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - a submission may raise anything
        return None, output.getvalue(), f"{type(error).__name__}: {error}"
    finally:
        sys.path[:] = saved_path
    return module, output.getvalue(), None


def structure_problem(module):
    """Return what is missing from a submission module, or None."""
    for class_name, methods in (
        ("Layer", ("__init__", "forward", "backward")),
        ("Perceptron", ("__init__", "forward", "fit")),
    ):
        value = getattr(module, class_name, None)
        if not isinstance(value, type):
            return f"no class {class_name}"
        for method in methods:
            if not callable(getattr(value, method, None)):
                return f"no method {class_name}.{method}"
    return None


# --------------------------------------------------------------------------
# Numeric comparison with the solution


def same_array(value, expected):
    """Return whether value is an array of expected's shape, equal within TOLERANCE."""
    if not isinstance(value, np.ndarray) or value.shape != expected.shape:
        return False
    return bool(np.allclose(value, expected, rtol=TOLERANCE, atol=TOLERANCE))


def make_layer(module, utils, spec, weights, biases):
    n_inputs, n_neurons, activation = spec
    layer = module.Layer(n_inputs, n_neurons, getattr(utils, activation))
    layer.weights = weights.copy()
    layer.biases = biases.copy()
    return layer


def random_parameters(rng, spec):
    n_inputs, n_neurons, _ = spec
    weights = rng.uniform(-1, 1, (n_neurons, n_inputs))
    biases = rng.normal(0, 0.5, (n_neurons, 1))
    return weights, biases


class Comparison:
    """Per-quantity record of matches, mismatches and crashes."""

    def __init__(self):
        self.matches = {name: [] for name in ALL_QUANTITIES}
        self.crashes = {name: [] for name in ALL_QUANTITIES}
        self.falls = None

    def record(self, name, matched):
        self.matches[name].append(bool(matched))

    def crash(self, names, error):
        for name in names:
            self.crashes[name].append(f"{type(error).__name__}: {error}")

    def differs(self, name):
        return bool(self.crashes[name]) or not all(self.matches[name])

    def same(self, name):
        return bool(self.matches[name]) and all(self.matches[name])

    def summary(self):
        parts = []
        for name in sorted(ALL_QUANTITIES):
            if self.crashes[name] and not self.matches[name]:
                state = "crash"
            elif self.crashes[name]:
                state = "crash+" + ("same" if all(self.matches[name]) else "differs")
            else:
                state = "same" if self.same(name) else "differs"
            parts.append(f"{name}={state}")
        parts.append(f"falls={self.falls}")
        return " ".join(parts)


def compare_backward(module, reference, utils, comparison):
    """Run backward() of both modules from identical states and record the differences.

    Before every call both layers get the solution's current parameters, so one
    wrong step does not hide or cause the differences of the next call, while a
    gradient the layer keeps between calls still shows.
    """
    rng = np.random.default_rng(2024)
    for spec in BACKWARD_LAYERS:
        weights, biases = random_parameters(rng, spec)
        expected_layer = make_layer(reference, utils, spec, weights, biases)
        try:
            layer = make_layer(module, utils, spec, weights, biases)
        except Exception as error:  # noqa: BLE001
            comparison.crash(BACKWARD_QUANTITIES, error)
            continue
        for call in range(BACKWARD_CALLS):
            x = rng.normal(0, 1, (spec[0], 1))
            da = rng.normal(0, 1, (spec[1], 1))
            learning_rate = LEARNING_RATES[call % len(LEARNING_RATES)]
            layer.weights = expected_layer.weights.copy()
            layer.biases = expected_layer.biases.copy()
            expected_layer.forward(x)
            expected_da_prev = expected_layer.backward(da.copy(), learning_rate)
            try:
                with (
                    contextlib.redirect_stdout(io.StringIO()),
                    np.errstate(all="ignore"),
                ):
                    layer.forward(x)
                    da_prev = layer.backward(da.copy(), learning_rate)
            except Exception as error:  # noqa: BLE001
                comparison.crash(BACKWARD_QUANTITIES, error)
                break
            comparison.record(
                "weights", same_array(layer.weights, expected_layer.weights)
            )
            comparison.record("biases", same_array(layer.biases, expected_layer.biases))
            comparison.record("da_prev", same_array(da_prev, expected_da_prev))


def fit_data():
    rng = np.random.default_rng(3)
    data = rng.uniform(-1, 1, (24, 2))
    labels = (data[:, 0] + data[:, 1] > 0).astype(float)
    return data, labels


def run_fit(module, utils, epochs, learning_rate):
    """Fit a fixed 3-layer network and return (layers, printed lines)."""
    rng = np.random.default_rng(11)
    layers = []
    for spec in FIT_LAYERS:
        weights, biases = random_parameters(rng, spec)
        layers.append(make_layer(module, utils, spec, weights, biases))
    data, labels = fit_data()
    output = io.StringIO()
    with contextlib.redirect_stdout(output), np.errstate(all="ignore"):
        module.Perceptron(layers).fit(data.copy(), labels.copy(), epochs, learning_rate)
    return layers, output.getvalue().splitlines()


def loss_falls(lines, epochs):
    """Return whether lines are one exact loss line per epoch, with falling values."""
    values = []
    for number, line in enumerate(lines, start=1):
        match = LOSS_LINE.match(line)
        if match is None or int(match.group(1)) != number:
            return False
        values.append(float(match.group(2)))
    if len(values) != epochs:
        return False
    return all(
        later < earlier for earlier, later in zip(values, values[1:], strict=False)
    )


def compare_fit(module, reference, utils, comparison):
    expected_layers, expected_lines = run_fit(
        reference, utils, FIT_EPOCHS, FIT_LEARNING_RATE
    )
    try:
        layers, lines = run_fit(module, utils, FIT_EPOCHS, FIT_LEARNING_RATE)
    except Exception as error:  # noqa: BLE001
        comparison.crash(("fit_params", "fit_lines"), error)
    else:
        matched = all(
            same_array(layer.weights, expected.weights)
            and same_array(layer.biases, expected.biases)
            for layer, expected in zip(layers, expected_layers, strict=True)
        )
        comparison.record("fit_params", matched)
        comparison.record("fit_lines", lines == expected_lines)

    _, expected_lines = run_fit(reference, utils, FIT_EPOCHS, 0.0)
    try:
        _, lines = run_fit(module, utils, FIT_EPOCHS, 0.0)
    except Exception as error:  # noqa: BLE001
        comparison.crash(("lines_lr0",), error)
    else:
        comparison.record("lines_lr0", lines == expected_lines)

    try:
        _, lines = run_fit(module, utils, FALLS_EPOCHS, FALLS_LEARNING_RATE)
    except Exception:  # noqa: BLE001
        comparison.falls = False
    else:
        comparison.falls = loss_falls(lines, FALLS_EPOCHS)


def compare_with_solution(module, reference, utils):
    comparison = Comparison()
    compare_backward(module, reference, utils, comparison)
    compare_fit(module, reference, utils, comparison)
    return comparison


def expectation_failures(comparison, expected):
    failures = []
    for name in sorted(expected["differ"]):
        if not comparison.differs(name):
            failures.append(f"{name} matches the solution but must differ")
    for name in sorted(expected["same"]):
        if not comparison.same(name):
            failures.append(f"{name} must match the solution")
    if expected["falls"] is not None and comparison.falls != expected["falls"]:
        failures.append(f"falls is {comparison.falls}, expected {expected['falls']}")
    return failures


# --------------------------------------------------------------------------
# Subprocess runs of hostile files


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (SUBPROCESS_MEMORY, SUBPROCESS_MEMORY))


def run_driver(path, stage, workdir, timeout, extra_arguments=()):
    """Run DRIVER on path in workdir and return (returncode, stdout, stderr).

    returncode is None when the run timed out and was killed.
    """
    command = [sys.executable, "-c", DRIVER, path, stage, *extra_arguments]
    environment = dict(os.environ, PYTHONPATH=workdir, OPENBLAS_NUM_THREADS="1")
    try:
        done = subprocess.run(
            command,
            cwd=workdir,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit_memory,
        )
    except subprocess.TimeoutExpired as expired:
        stdout = (
            expired.stdout.decode()
            if isinstance(expired.stdout, bytes)
            else expired.stdout
        )
        return None, stdout or "", ""
    return done.returncode, done.stdout, done.stderr


def behaviour_failure(path, stage, outcome):
    """Return why a hostile file does not behave as BEHAVIOUR describes, or None."""
    with tempfile.TemporaryDirectory() as workdir:
        write_test_utils(workdir)
        timeout = HANG_TIMEOUT if outcome == "timeout" else SUBPROCESS_TIMEOUT
        returncode, stdout, stderr = run_driver(path, stage, workdir, timeout)
    if f"REACHED {stage}" not in stdout:
        return (
            f"did not reach {stage}. "
            f"stdout: {stdout[-300:]!r}, stderr: {stderr[-300:]!r}"
        )
    if f"PASSED {stage}" in stdout:
        return f"{stage} finished normally"
    if outcome == "timeout":
        return (
            None
            if returncode is None
            else f"ended with status {returncode} instead of hanging"
        )
    if returncode is None:
        return "timed out"
    if outcome == "exit 0":
        return None if returncode == 0 else f"exit status {returncode}, expected 0"
    if outcome == "SIGSEGV":
        return (
            None
            if returncode == -11
            else f"exit status {returncode}, expected -11 (SIGSEGV)"
        )
    if outcome not in stderr:
        return f"{outcome!r} not in stderr {stderr[-300:]!r}"
    return None


def forgery_failures(path, trick):
    """Run a forgery and return the ways it fails to show its trick or the stub."""
    failures = []
    with tempfile.TemporaryDirectory() as root:
        workdir = os.path.join(root, "work")
        os.makedirs(workdir)
        write_test_utils(workdir)
        argv_target = os.path.join(root, "argv", "results.json")
        os.makedirs(os.path.dirname(argv_target))
        returncode, stdout, stderr = run_driver(
            path, "forgery", workdir, SUBPROCESS_TIMEOUT, ("--json", argv_target)
        )
        if returncode is None:
            return ["timed out"]
        for name in ("backward", "fit"):
            if f"STUB {name} NotImplementedError" not in stdout:
                failures.append(f"{name} does not raise NotImplementedError")
        forged = {
            "results.json in the working directory": [
                os.path.join(workdir, "results.json")
            ],
            "results.json at the --json path": [argv_target],
            "results.json in the parent directory": [
                os.path.join(root, "results.json"),
                os.path.join(root, "results", "results.json"),
            ],
        }.get(trick, [])
        for target in forged:
            try:
                with open(target) as handle:
                    score = json.load(handle).get("score")
            except (OSError, ValueError) as error:
                failures.append(f"no forged file at {target}: {error}")
                continue
            if score != 100:
                failures.append(f"forged file {target} has score {score!r}")
    probes = {
        "fake report on stdout": ["Score: 100/100", "All checks passed"],
        "closeness functions always true": [
            "PROBE allclose True",
            "PROBE isclose True",
            "PROBE math.isclose True",
        ],
        "print replaced": ["Score: 100/100"],
        "json and math modules replaced": [
            'PROBE json.dumps {"score": 100',
            "PROBE math.isclose True",
        ],
    }.get(trick, [])
    for probe in probes:
        if probe not in stdout:
            failures.append(f"{probe!r} not in stdout")
    if trick == "print replaced" and "PROBE print" in stdout:
        failures.append("print still writes its arguments")
    if not stdout and stderr:
        failures.append(f"stderr {stderr[-300:]!r}")
    return failures


# --------------------------------------------------------------------------
# Checks


def corpus_files():
    files = []
    for kind in KINDS:
        folder = os.path.join(CORPUS, kind)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py"):
                files.append(f"{kind}/{name}")
    return files


def check_manifest(files):
    with open(os.path.join(CORPUS, "manifest.json")) as handle:
        manifest = json.load(handle)
    problems = []
    for path in sorted(set(files) - set(manifest)):
        problems.append(f"{path}: missing from manifest.json")
    for path in sorted(set(manifest) - set(files)):
        problems.append(f"{path}: listed in manifest.json but not found")
    for path, entry in sorted(manifest.items()):
        kind = path.split("/", 1)[0]
        if set(entry) != {"kind", "fails", "mistake", "note"}:
            problems.append(
                f"{path}: keys {sorted(entry)}, expected fails, kind, mistake, note"
            )
            continue
        if entry["kind"] != kind:
            problems.append(f"{path}: kind {entry['kind']!r} but folder {kind!r}")
        unknown = set(entry["fails"]) - CHECK_NAMES
        if unknown:
            problems.append(f"{path}: unknown check names {sorted(unknown)}")
        if len(set(entry["fails"])) != len(entry["fails"]):
            problems.append(f"{path}: a check name is listed twice")
        if kind == "correct" and entry["fails"]:
            problems.append(f"{path}: a correct file lists failing checks")
        if kind != "correct" and not entry["fails"]:
            problems.append(f"{path}: lists no failing check")
        if (kind == "wrong") != isinstance(entry["mistake"], str):
            problems.append(
                f"{path}: mistake must be a string for wrong files and null otherwise"
            )
        if not isinstance(entry["note"], str) or not entry["note"]:
            problems.append(f"{path}: empty note")
    return problems


def check_compiles(files):
    problems = []
    for path in files:
        with open(os.path.join(CORPUS, path)) as handle:
            source = handle.read()
        try:
            compile(source, path, "exec")
            compiled = True
        except SyntaxError:
            compiled = False
        if compiled != (path != "hostile/syntax_error.py"):
            problems.append(f"{path}: compiles is {compiled}")
    return problems


def check_forgeries_keep_stub(files):
    """Each forgery must contain the stub from ``class Layer:`` to its end."""
    with open(STUB_PATH) as handle:
        stub = handle.read()
    stub_classes = stub[stub.index("class Layer:") :]
    problems = []
    for path in files:
        if not os.path.basename(path).startswith("forge_"):
            continue
        with open(os.path.join(CORPUS, path)) as handle:
            if stub_classes not in handle.read():
                problems.append(f"{path}: the stub's classes are changed")
    return problems


def status(failed):
    return "FAILED" if failed else "ok"


def check_in_process(files, problems):
    """Compare the submissions that are safe to load here with the solution."""
    with tempfile.TemporaryDirectory() as utils_directory:
        synthetic = write_test_utils(utils_directory)
        source = (
            "synthetic, exercise/utils.py is a placeholder" if synthetic else "real"
        )
        print(f"utils.py data: {source}")
        utils = import_utils(utils_directory)
        reference, _, error = load_file(SOLUTION_PATH, "reference_solution")
        if error is not None:
            problems.append(f"the solution does not load: {error}")
            return

        for index, path in enumerate(files):
            if path not in EXPECTED_LOAD_PROBLEMS and not (
                path.startswith("correct/") or path in EXPECTED
            ):
                continue
            module, _, error = load_file(
                os.path.join(CORPUS, path), f"submission_{index}"
            )
            problem = error or structure_problem(module)
            if path in EXPECTED_LOAD_PROBLEMS:
                expected_problem = EXPECTED_LOAD_PROBLEMS[path]
                failed = not (problem and problem.startswith(expected_problem))
                if failed:
                    problems.append(
                        f"{path}: load problem {problem!r}, "
                        f"expected {expected_problem!r}"
                    )
                print(f"{status(failed):6} {path}: {problem}")
                continue
            if problem:
                problems.append(f"{path}: does not load: {problem}")
                print(f"FAILED {path}: does not load: {problem}")
                continue
            comparison = compare_with_solution(module, reference, utils)
            expected = CORRECT if path.startswith("correct/") else EXPECTED[path]
            failures = expectation_failures(comparison, expected)
            problems.extend(f"{path}: {failure}" for failure in failures)
            print(f"{status(failures):6} {path}: {comparison.summary()}")
            for failure in failures:
                print(f"       {failure}")


def check_in_subprocess(problems):
    """Run the hostile files of BEHAVIOUR and FORGERIES in subprocesses."""
    for path, (stage, outcome) in BEHAVIOUR.items():
        failure = behaviour_failure(os.path.join(CORPUS, path), stage, outcome)
        if failure:
            problems.append(f"{path}: {failure}")
        print(f"{status(failure):6} {path}: {stage} -> {failure or outcome}")

    for path, trick in FORGERIES.items():
        failures = forgery_failures(os.path.join(CORPUS, path), trick)
        problems.extend(f"{path}: {failure}" for failure in failures)
        print(f"{status(failures):6} {path}: {'; '.join(failures) or trick}")


def main():
    # Loading the submissions must not leave __pycache__ folders in the corpus.
    sys.dont_write_bytecode = True
    files = corpus_files()
    problems = check_manifest(files) + check_compiles(files)
    problems += check_forgeries_keep_stub(files)
    for path in files:
        if path.startswith("wrong/") and path not in EXPECTED:
            problems.append(f"{path}: no entry in EXPECTED")
    run_elsewhere = set(BEHAVIOUR) | set(FORGERIES)
    run_elsewhere |= set(EXPECTED) | set(EXPECTED_LOAD_PROBLEMS)
    run_elsewhere.add("hostile/syntax_error.py")
    compiled_only = [
        path
        for path in files
        if path.startswith("hostile/") and path not in run_elsewhere
    ]
    print(f"{len(files)} files")
    print(f"compiled but not run: {', '.join(compiled_only) or 'none'}")

    check_in_process(files, problems)
    check_in_subprocess(problems)

    print()
    if problems:
        print(f"{len(problems)} problem(s):")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print("All corpus checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
