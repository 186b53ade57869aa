"""Child side of the sandbox: the zygote and the worker that runs student code.

This file runs as a script under ``python -I -S -B -X utf8``, in a fresh
interpreter that the grader starts. It imports only the standard library and
NumPy, and it never imports the grader package, so nothing in its process can
compute the expected values. The grader's own process computes every verdict.

The zygote imports NumPy once, then waits on a control socket. For each
``spawn`` message it forks a worker, which becomes the leader of a new process
group, applies the resource limits, moves into its working directory and then
serves requests: ``load`` runs the submission, ``backward`` and ``fit`` call the
student's methods on values the grader chose. Requests and replies are JSON
lines on two pipes that the student's prints never reach. Replies carry only
plain data: arrays travel as shape plus a flat list of float64 values.

The zygote is also a child subreaper, so processes a submission forks and
detaches end up as its children, and ``kill`` ends them all.
"""

import builtins
import ctypes
import io
import json
import os
import resource
import signal
import socket
import sys
import traceback
import types
import warnings

# Captured before any student code runs, so that a submission that patches the
# json module or sys.modules cannot change how replies are encoded.
_dumps = json.dumps
_loads = json.loads

_PR_SET_CHILD_SUBREAPER = 36
_CO_VARARGS = 0x04
_MAX_ARRAY_SIZE = 100_000
_MAX_TEXT = 2_000
_STREAM_HEAD = 16_000
_STREAM_TAIL = 8_000
_MAX_EPOCH_LINES = 5_000
_MAX_LINE = 300
NICENESS = 10
_MAX_OUTPUT = 5 * 1024 * 1024
"""Characters one call may print before it is stopped; a real fit() prints
about 25 per epoch."""


class OutputLimitExceeded(BaseException):
    """Raised by print() once a call has printed more than _MAX_OUTPUT.

    It derives from BaseException so that ``except Exception`` in student
    code does not swallow it.
    """


# --------------------------------------------------------------------------
# Output capture


class _CappedStream(io.TextIOBase):
    """A text stream that keeps the head and the tail of what is written.

    Lines that mention "epoch" are also kept, up to a limit, so that the loss
    lines survive a flood of other prints.
    """

    def __init__(self):
        self._head = []
        self._head_size = 0
        self._tail = []
        self._tail_size = 0
        self.total = 0
        self._partial = ""
        self.epoch_lines = []
        self._scanning = True

    def writable(self):
        return True

    def write(self, text):
        if type(text) is not str and not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        length = len(text)
        if self.total > _MAX_OUTPUT:
            raise OutputLimitExceeded(f"more than {_MAX_OUTPUT} characters printed")
        self.total += length
        if self._scanning:
            self._scan_lines(text)
        if self._head_size < _STREAM_HEAD:
            part = text[: _STREAM_HEAD - self._head_size]
            self._head.append(part)
            self._head_size += len(part)
            text = text[len(part) :]
            if not text:
                return length
        # Chunks pile up and are cut back to the tail now and then, which
        # keeps a flood of small writes cheap.
        self._tail.append(text)
        self._tail_size += len(text)
        if self._tail_size > 4 * _STREAM_TAIL:
            kept = "".join(self._tail)[-_STREAM_TAIL:]
            self._tail = [kept]
            self._tail_size = len(kept)
        return length

    def _scan_lines(self, text):
        if len(self.epoch_lines) >= _MAX_EPOCH_LINES:
            self._scanning = False
            return
        if "\n" not in text:
            self._partial = (self._partial + text)[-_MAX_LINE:]
            return
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()[-_MAX_LINE:]
        for line in lines:
            if "epoch" in line.lower():
                self.epoch_lines.append(line[:_MAX_LINE])
                if len(self.epoch_lines) >= _MAX_EPOCH_LINES:
                    return

    def summary(self):
        """Return the captured text as plain data for the reply."""
        if "epoch" in self._partial.lower():
            if len(self.epoch_lines) < _MAX_EPOCH_LINES:
                self.epoch_lines.append(self._partial)
            self._partial = ""
        return {
            "head": "".join(self._head),
            "tail": "".join(self._tail)[-_STREAM_TAIL:],
            "total": self.total,
            "epoch_lines": self.epoch_lines,
        }


# --------------------------------------------------------------------------
# Encoding of values for the reply


def _encode(value):
    """Encode a value the student's code produced as plain JSON data."""
    import numpy as np

    if value is None:
        return {"type": "NoneType"}
    type_name = type(value).__name__
    if not isinstance(value, (np.ndarray, np.generic, int, float, list, tuple)):
        return {"type": type_name}
    try:
        array = np.asarray(value, dtype=np.float64)
    except Exception:  # noqa: BLE001 - any failure means "not numeric"
        return {"type": type_name, "not_numeric": True}
    encoded = {
        "type": type_name,
        "shape": list(array.shape),
        "dtype": str(getattr(value, "dtype", type_name)),
    }
    if array.size > _MAX_ARRAY_SIZE:
        encoded["too_large"] = True
    else:
        encoded["data"] = [float(v) for v in array.ravel()]
    return encoded


def _text(value):
    try:
        return str(value)[:_MAX_TEXT]
    except BaseException:  # noqa: BLE001 - a student's __str__ may raise anything
        return "<unprintable>"


def _describe_error(error, filenames):
    """Describe an exception raised by student code, with its line if known."""
    line = None
    cell = None
    frames = traceback.extract_tb(error.__traceback__)
    for frame in frames:
        if frame.filename in filenames:
            line = frame.lineno
            cell = filenames[frame.filename]
    if isinstance(error, SyntaxError) and error.filename in filenames:
        line = error.lineno
        cell = filenames[error.filename]
    try:
        shown = [f for f in frames if f.filename in filenames]
        formatted = "".join(traceback.format_list(shown[-6:]))
        formatted += "".join(traceback.format_exception_only(type(error), error))
    except BaseException:  # noqa: BLE001
        formatted = type(error).__name__
    return {
        "type": type(error).__name__,
        "message": _text(error),
        "line": line,
        "cell": cell,
        "traceback": formatted[-4_000:],
    }


# --------------------------------------------------------------------------
# The grader's own test activation


class _Tanh:
    """tanh as an activation, with a derivative that records its arguments.

    The grader passes it to the student's Layer so that a derivative evaluated
    at the activation instead of at z shows, and so that the report can say
    which value the student passed to ``derivative``.
    """

    def __init__(self):
        self.derivative_arguments = []

    def __call__(self, z):
        import numpy as np

        return np.tanh(z)

    def derivative(self, z):
        import numpy as np

        if len(self.derivative_arguments) < 20:
            self.derivative_arguments.append(_encode(np.array(z, copy=True)))
        return 1.0 - np.tanh(z) ** 2


# --------------------------------------------------------------------------
# Stand-ins for the environment a notebook or script expects


class _Anything:
    """A stand-in that accepts every call, attribute and unpacking."""

    def __call__(self, *args, **kwargs):
        return self

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __iter__(self):
        return iter((self, self))

    def __getitem__(self, key):
        return self


class _MissingPlotFinder:
    """Provide a do-nothing matplotlib when matplotlib is not installed."""

    def __init__(self, notes):
        self._notes = notes

    def find_spec(self, name, path=None, target=None):
        if name != "matplotlib" and not name.startswith("matplotlib."):
            return None
        import importlib.machinery

        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda attribute: _Anything()
        self._notes.add("matplotlib_missing")
        return module

    def exec_module(self, module):
        pass


class _BlockGrader:
    """Keep the grader package out of reach of the submission."""

    def find_spec(self, name, path=None, target=None):
        if name == "grader" or name.startswith("grader."):
            raise ImportError(f"{name} is not available to submissions")
        return None


# --------------------------------------------------------------------------
# The worker


class _Worker:
    def __init__(self, workdir):
        self.workdir = workdir
        self.namespace = None
        self.filenames = {}
        self.notes = set()

    # -- environment -------------------------------------------------------

    def prepare(self):
        sys.path.insert(0, self.workdir)
        sys.argv = ["submission.py"]
        sys.meta_path.insert(0, _BlockGrader())
        try:
            import importlib.util

            found = importlib.util.find_spec("matplotlib") is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            sys.meta_path.append(_MissingPlotFinder(self.notes))
        notes = self.notes

        def no_input(prompt=""):
            notes.add("input_called")
            return ""

        builtins.input = no_input

    # -- capture around each call into student code ------------------------

    def _call(self, function, *args):
        """Call student code with stdout and stderr captured; never raise."""
        out, err = _CappedStream(), _CappedStream()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        error = None
        result = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                result = function(*args)
        except BaseException as caught:  # noqa: BLE001 - SystemExit and more
            error = _describe_error(caught, self.filenames)
        finally:
            sys.stdout, sys.stderr = saved
        return result, error, {"stdout": out.summary(), "stderr": err.summary()}

    # -- requests ----------------------------------------------------------

    def load(self, request):
        module = types.ModuleType("submission")
        module.__file__ = os.path.join(self.workdir, "submission.py")
        sys.modules["submission"] = module
        self.namespace = module.__dict__
        cell_errors = []
        output = {"stdout": None, "stderr": None}
        for index, cell in enumerate(request["cells"]):
            filename = cell["filename"]
            self.filenames[filename] = cell.get("label")

            def run(source=cell["source"], filename=filename):
                code = compile(source, filename, "exec", dont_inherit=True)
                exec(code, self.namespace)

            _, error, captured = self._call(run)
            output = _merge_output(output, captured)
            if error is not None:
                error["index"] = index
                cell_errors.append(error)
                if request.get("stop_on_error", True):
                    break
        return {
            "cell_errors": cell_errors,
            "classes": self._describe_classes(),
            "output": output,
        }

    def _describe_classes(self):
        described = {}
        for class_name, methods in (
            ("Layer", ("__init__", "forward", "backward")),
            ("Perceptron", ("__init__", "forward", "fit")),
        ):
            value = self.namespace.get(class_name)
            entry = {"found": value is not None, "is_class": isinstance(value, type)}
            if entry["is_class"]:
                entry["methods"] = {}
                for method in methods:
                    function = getattr(value, method, None)
                    info = {"found": callable(function)}
                    code = getattr(function, "__code__", None)
                    if code is not None:
                        info["line"] = code.co_firstlineno
                        info["file"] = self.filenames.get(code.co_filename)
                    if code is not None:
                        # Read from the code object: inspect costs an import.
                        info["positional"] = code.co_argcount
                        info["varargs"] = bool(code.co_flags & _CO_VARARGS)
                    entry["methods"][method] = info
            described[class_name] = entry
        return described

    def _activation(self, name):
        utils = sys.modules.get("utils")
        if name == "tanh":
            return _Tanh()
        if utils is None:
            import utils  # the trusted copy the grader placed in the workdir
        return getattr(utils, name)

    def _new_layer(self, spec):
        import numpy as np

        activation = self._activation(spec["activation"])
        layer_class = self.namespace["Layer"]
        layer, error, captured = self._call(
            layer_class, spec["n_inputs"], spec["n_neurons"], activation
        )
        if error is not None:
            return None, activation, error, captured
        try:
            layer.weights = np.array(spec["weights"], dtype=np.float64)
            layer.biases = np.array(spec["biases"], dtype=np.float64)
        except BaseException as caught:  # noqa: BLE001 - a property may raise
            return None, activation, _describe_error(caught, self.filenames), captured
        return layer, activation, None, captured

    def backward(self, request):
        import numpy as np

        sequences = []
        output = {"stdout": None, "stderr": None}
        for calls in request["sequences"]:
            layer, activation, error, captured = self._new_layer(request["layer"])
            output = _merge_output(output, captured)
            results = []
            sequences.append({"calls": results, "error": error, "stage": "init"})
            if error is not None:
                break
            for call in calls:
                x = np.array(call["x"], dtype=np.float64)
                da = np.array(call["da"], dtype=np.float64)
                x_sent, da_sent = x.copy(), da.copy()
                forward_out, error, captured = self._call(layer.forward, x)
                output = _merge_output(output, captured)
                if error is not None:
                    sequences[-1].update(error=error, stage="forward")
                    break
                before = {
                    "weights": _encode(getattr(layer, "weights", None)),
                    "biases": _encode(getattr(layer, "biases", None)),
                }
                if isinstance(activation, _Tanh):
                    activation.derivative_arguments.clear()
                returned, error, captured = self._call(layer.backward, da, call["lr"])
                output = _merge_output(output, captured)
                result = {
                    "forward": _encode(forward_out),
                    "before": before,
                    "weights": _encode(getattr(layer, "weights", None)),
                    "biases": _encode(getattr(layer, "biases", None)),
                    "returned": _encode(returned),
                    "x_changed": not _same(x, x_sent),
                    "da_changed": not _same(da, da_sent),
                }
                if isinstance(activation, _Tanh):
                    result["derivative_arguments"] = list(
                        activation.derivative_arguments
                    )
                results.append(result)
                if error is not None:
                    sequences[-1].update(error=error, stage="backward")
                    break
            if sequences[-1]["error"] is not None:
                break
        return {"sequences": sequences, "output": output}

    def fit(self, request):
        import numpy as np

        layers = []
        output = {"stdout": None, "stderr": None}
        for spec in request["layers"]:
            layer, _, error, captured = self._new_layer(spec)
            output = _merge_output(output, captured)
            if error is not None:
                return {"error": error, "stage": "init", "output": output}
            layers.append(layer)
        network, error, captured = self._call(self.namespace["Perceptron"], layers)
        output = _merge_output(output, captured)
        if error is not None:
            return {"error": error, "stage": "init", "output": output}
        data = np.array(request["X"], dtype=np.float64)
        labels = np.array(request["y"], dtype=np.float64)
        data_sent, labels_sent = data.copy(), labels.copy()
        _, error, captured = self._call(
            network.fit, data, labels, request["epochs"], request["lr"]
        )
        output = _merge_output(output, captured)
        return {
            "error": error,
            "stage": "fit",
            "layers": [
                {
                    "weights": _encode(getattr(layer, "weights", None)),
                    "biases": _encode(getattr(layer, "biases", None)),
                }
                for layer in layers
            ],
            "data_changed": not _same(data, data_sent),
            "labels_changed": not _same(labels, labels_sent),
            "output": output,
        }

    def serve(self, request_fd, reply_fd):
        reader = os.fdopen(request_fd, "rb", buffering=0)
        writer = os.fdopen(reply_fd, "wb", buffering=0)
        buffer = b""
        handlers = {"load": self.load, "backward": self.backward, "fit": self.fit}
        while True:
            while b"\n" not in buffer:
                chunk = reader.read(65536)
                if not chunk:
                    return
                buffer += chunk
            line, buffer = buffer.split(b"\n", 1)
            request = _loads(line)
            try:
                reply = handlers[request["op"]](request)
            except BaseException as caught:  # noqa: BLE001 - report, never die
                reply = {"worker_error": _describe_error(caught, self.filenames)}
            reply["notes"] = sorted(self.notes)
            data = _dumps(reply).encode("utf-8") + b"\n"
            view = memoryview(data)
            while view:
                written = os.write(writer.fileno(), view)
                view = view[written:]


def _same(array, sent):
    import numpy as np

    return (
        isinstance(array, np.ndarray)
        and array.shape == sent.shape
        and bool(np.array_equal(array, sent, equal_nan=True))
    )


def _merge_output(total, captured):
    """Add one call's captured output to the running total of a request."""
    merged = {}
    for stream in ("stdout", "stderr"):
        old, new = total[stream], captured[stream]
        if old is None:
            merged[stream] = new
            continue
        head = (old["head"] + new["head"])[:_STREAM_HEAD]
        tail = (old["tail"] + new["tail"])[-_STREAM_TAIL:]
        merged[stream] = {
            "head": head,
            "tail": tail if old["total"] + new["total"] > _STREAM_HEAD else "",
            "total": old["total"] + new["total"],
            "epoch_lines": (old["epoch_lines"] + new["epoch_lines"])[:_MAX_EPOCH_LINES],
        }
    return merged


# --------------------------------------------------------------------------
# The zygote


def _set_limits(limits):
    megabyte = 1024 * 1024
    settings = [
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_CPU, limits["cpu_seconds"]),
        (resource.RLIMIT_AS, limits["memory_mib"] * megabyte),
        (resource.RLIMIT_FSIZE, limits["file_size_mib"] * megabyte),
        (resource.RLIMIT_NPROC, limits["processes"]),
    ]
    for which, value in settings:
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            # NOTE: a limit above the hard limit inherited from the shell cannot
            # be raised; the lower inherited limit then stays in force.
            soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY and value > hard:
                resource.setrlimit(which, (hard, hard))


STUDENT_UID = 65534
"""User and group the worker switches to when the grader runs as root: the
conventional "nobody", which owns no files. It then cannot signal the
grader, write the grader's files or results, or exceed its process limit,
which Linux does not apply to root."""


def _readable_by_others(path: str, listable: bool = True) -> bool:
    """Return whether a user who owns nothing can reach ``path``, and list it.

    Every directory from the root down must let others through; with
    ``listable``, the last one must let them list it too.
    """
    import stat

    path = os.path.abspath(path)
    parts = [path]
    while os.path.dirname(parts[-1]) != parts[-1]:
        parts.append(os.path.dirname(parts[-1]))
    try:
        for index, part in enumerate(parts):
            mode = os.stat(part).st_mode
            needed = stat.S_IXOTH | (stat.S_IROTH if index == 0 and listable else 0)
            if mode & needed != needed:
                return False
    except OSError:
        return False
    return True


def _student_can_run() -> bool:
    """Return whether Python and its packages stay importable as STUDENT_UID.

    A Python installed in a private home (pyenv under /root, say) is not, and
    then the worker keeps the grader's user: a submission could not even
    import the standard library otherwise.
    """
    places = [os.path.dirname(os.__file__), *sys.path]
    return all(_readable_by_others(place) for place in places if os.path.isdir(place))


def _drop_privileges(workdir: str, enabled: bool) -> None:
    """Switch to STUDENT_UID when running as root and Python allows it."""
    for variable in ("HOME", "TMPDIR", "MPLCONFIGDIR"):
        os.environ[variable] = workdir
    if not enabled or os.geteuid() != 0 or not _STUDENT_CAN_RUN:
        return
    # The worker's directory is its own, but the folders above it (TMPDIR)
    # must let it through.
    if not _readable_by_others(os.path.dirname(workdir), listable=False):
        return
    os.chown(workdir, STUDENT_UID, STUDENT_UID)
    os.setgroups([])
    os.setgid(STUDENT_UID)
    os.setuid(STUDENT_UID)


def _run_worker(control, fds, request):
    request_fd, reply_fd, stdout_fd, stderr_fd = fds
    try:
        control.close()
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        for fd in (null, stdout_fd, stderr_fd):
            os.close(fd)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.stdout = io.TextIOWrapper(
            os.fdopen(1, "wb", buffering=0), encoding="utf-8", write_through=True
        )
        sys.stderr = io.TextIOWrapper(
            os.fdopen(2, "wb", buffering=0), encoding="utf-8", write_through=True
        )
        sys.stdin = io.TextIOWrapper(os.fdopen(0, "rb"), encoding="utf-8")
        _drop_privileges(request["workdir"], request.get("drop_privileges", True))
        os.chdir(request["workdir"])
        # A lower priority lets a busy-looping submission take only spare CPU
        # until its time limit ends it, so that the grader and other
        # submissions in a batch keep their share.
        os.nice(NICENESS)
        _set_limits(request["limits"])
        worker = _Worker(request["workdir"])
        worker.prepare()
        worker.serve(request_fd, reply_fd)
    except BaseException:  # noqa: BLE001 - the worker must end here, always
        pass
    os._exit(0)


def _children(parent_pid):
    """List the process ids whose parent is ``parent_pid``."""
    found = []
    try:
        path = f"/proc/{parent_pid}/task/{parent_pid}/children"
        with open(path) as handle:
            return [int(pid) for pid in handle.read().split()]
    except OSError:
        pass
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent_pid:
            found.append(int(entry))
    return found


def kill_children() -> None:
    """Stop, kill and reap every child of this process, until none is left.

    The grader's sandbox calls it too, after its zygote has exited.
    """
    for _ in range(200):
        children = _children(os.getpid())
        if not children:
            return
        for pid in children:
            for sig in (signal.SIGSTOP, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _kill_all(worker_pid):
    """Kill the worker's process group and every process left behind.

    Returns the worker's exit status as {"code": n} or {"signal": n}.
    """
    status = None
    try:
        os.killpg(worker_pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        _, raw = os.waitpid(worker_pid, 0)
        status = raw
    except ChildProcessError:
        pass
    # Orphans that left the process group were re-parented to this subreaper.
    kill_children()
    if status is None:
        return {"code": None}
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status)}
    return {"code": os.WEXITSTATUS(status)}


def _preload() -> None:
    """Import and warm up, once, what every worker needs.

    Each worker is a fork of this process, so whatever is loaded here costs
    it nothing: NumPy with its random module (students' __init__ uses it)
    and first calls of its kernels, and the import machinery the worker's
    load request uses.
    """
    import importlib.machinery  # noqa: F401
    import importlib.util  # noqa: F401

    import numpy as np

    a = np.random.uniform(-1, 1, (3, 2))
    b = a.T @ a + np.zeros((2, 1))
    np.maximum(0.0, b) * np.exp(-np.abs(b))
    np.array(b.tolist(), dtype=np.float64).reshape(-1, 1)


_STUDENT_CAN_RUN = False


def _zygote(control):
    # The grader handles Ctrl-C: it closes the control socket, and the loop
    # below then kills the workers. The workers restore the default handler.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _preload()
    global _STUDENT_CAN_RUN
    _STUDENT_CAN_RUN = _student_can_run()

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    control.sendall(_dumps({"ready": True}).encode())
    workers = set()
    try:
        _serve_control(control, workers)
    finally:
        # The workers are in sessions of their own, so nothing else ends them.
        for pid in workers:
            _kill_all(pid)


def _serve_control(control, workers: set) -> None:
    """Serve spawn and kill requests until the grader closes the socket."""
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 65536, 4)
        except OSError:
            message, fds = b"", []
        if not message:
            break
        request = _loads(message)
        if request["op"] == "spawn":
            pid = os.fork()
            if pid == 0:
                _run_worker(control, fds, request)
            for fd in fds:
                os.close(fd)
            workers.add(pid)
            control.sendall(_dumps({"pid": pid}).encode())
        elif request["op"] == "kill":
            workers.discard(request["pid"])
            status = _kill_all(request["pid"])
            control.sendall(_dumps({"status": status}).encode())


def main():
    config = _loads(sys.argv[1])
    for path in config["path"]:
        if path not in sys.path:
            sys.path.append(path)
    control = socket.socket(fileno=config["control_fd"])
    try:
        _zygote(control)
    except KeyboardInterrupt:
        pass
    # Every worker is dead and reaped by now; skip the interpreter's slow
    # shutdown.
    os._exit(0)


if __name__ == "__main__":
    main()
