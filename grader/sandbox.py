"""Parent side of the sandbox: start the zygote, run workers, enforce limits.

The zygote is a fresh interpreter in Python's isolated mode (``-I``) with a
stripped environment, started before the grader imports NumPy so that the two
imports overlap. Each worker is forked from it, so starting one costs a fork
rather than a new interpreter. See ``_worker.py`` for the child side.

This module imports only the standard library, because the command line
starts the zygote before anything heavy is loaded.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKER_SCRIPT = Path(__file__).with_name("_worker.py")

DEFAULT_TIMEOUT = 10.0
"""Seconds each call into student code may take (import, backward, fit)."""

DEFAULT_MEMORY_MIB = 1024
"""Address-space limit of the student process; NumPy needs about 300 MiB."""

DEFAULT_FILE_SIZE_MIB = 16
"""Largest file the student process may write."""

DEFAULT_PROCESSES = 64
"""Process limit for the student's user; not enforced for root."""

OUTPUT_HEAD = 8_000
OUTPUT_TAIL = 4_000
MAX_REPLY_BYTES = 32 * 1024 * 1024

# Variables kept from the grader's environment. Everything else (tokens, CI
# variables, the user's settings) is dropped. OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE are kept because some processors need them for OpenBLAS to
# compute correct results.
_KEPT_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SYSTEMROOT")


class SandboxError(Exception):
    """The sandbox itself failed: a fault of the grader or its machine."""


@dataclasses.dataclass
class Limits:
    """Resource limits of one student process."""

    timeout: float = DEFAULT_TIMEOUT
    memory_mib: int = DEFAULT_MEMORY_MIB
    file_size_mib: int = DEFAULT_FILE_SIZE_MIB
    processes: int = DEFAULT_PROCESSES

    def cpu_seconds(self, calls: int) -> int:
        """CPU-time limit of a worker that may serve ``calls`` calls."""
        return int(self.timeout * calls) + 5


class CappedBuffer:
    """Bytes read from a stream, keeping only the head and the tail."""

    def __init__(self, head: int = OUTPUT_HEAD, tail: int = OUTPUT_TAIL):
        self._head_limit = head
        self._tail_limit = tail
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self._head_limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            del self.tail[: max(0, len(self.tail) - self._tail_limit)]

    def add_text(self, head: str, tail: str, total) -> None:
        """Add text already cut to its head and tail elsewhere."""
        data = (head + tail).encode("utf-8", "replace")
        dropped = max(0, int(total or 0) - len(head) - len(tail))
        self.add(data[: len(head.encode("utf-8", "replace"))])
        self.total += dropped
        self.add(data[len(head.encode("utf-8", "replace")) :])

    def text(self) -> dict:
        """Return head, tail and total size as the reply's output fields do."""
        return {
            "head": self.head.decode("utf-8", "replace"),
            "tail": self.tail.decode("utf-8", "replace"),
            "total": self.total,
        }


@dataclasses.dataclass
class Outcome:
    """The result of one call into the worker."""

    kind: str  # "reply", "timeout", "over_budget", "died", "invalid" or "skipped"
    reply: dict | None = None
    elapsed: float = 0.0
    status: dict | None = None


def _python_path() -> list[str]:
    """Directories the worker needs on sys.path to import NumPy and friends."""
    paths = []
    spec = importlib.util.find_spec("numpy")
    if spec is None or spec.origin is None:
        raise SandboxError(
            "NumPy is not installed for this Python; install the grader with "
            "'pip install -e .' first."
        )
    paths.append(str(Path(spec.origin).parent.parent))
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")) and entry not in paths:
            paths.append(entry)
    return paths


def _environment(home: str) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    for name in _KEPT_VARIABLES:
        if name in os.environ:
            env[name] = os.environ[name]
    return env


CONTROL_TIMEOUT = 30
"""Seconds the zygote may take to respond; it responds in milliseconds unless
something stopped it."""

_PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> bool:
    """Make this process a child subreaper (Linux); return whether it worked."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


class Sandbox:
    """A zygote process that forks one limited worker per submission run."""

    def __init__(
        self,
        limits: Limits | None = None,
        reap_orphans: bool = False,
        drop_privileges: bool = True,
    ):
        """Start the zygote.

        With ``reap_orphans``, this process becomes a child subreaper: if a
        submission kills the zygote, the processes it left behind are
        re-parented here, and close() kills them before any result is
        written. Only a process that starts no other children should ask for
        it, such as the command line.

        With ``drop_privileges`` (the default), a grader running as root runs
        student code as the unprivileged user "nobody". Tests turn it off to
        check what happens where the grader cannot switch users.
        """
        self.limits = limits or Limits()
        self.broken = False
        """Set when a submission killed or stopped the zygote; start a new one."""
        self._drop_privileges = drop_privileges
        self._home = tempfile.mkdtemp(prefix="grade-")
        # Workers that run as another user must be able to reach their
        # directory inside this one, but not to list it.
        os.chmod(self._home, 0o711)
        self._reap_orphans = reap_orphans and _become_subreaper()
        # The zygote runs a copy of its script, so that the script's path
        # does not lead a submission to the grader's package.
        script = Path(self._home, WORKER_SCRIPT.name)
        shutil.copyfile(WORKER_SCRIPT, script)
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {"path": _python_path(), "control_fd": child.fileno()}
        command = [
            sys.executable,
            "-I",
            "-S",
            "-B",
            "-X",
            "utf8",
            str(script),
            json.dumps(config),
        ]
        try:
            self._process = subprocess.Popen(
                command,
                pass_fds=(child.fileno(),),
                env=_environment(self._home),
                cwd=self._home,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError as error:
            raise SandboxError(
                f"could not start the sandbox process: {error}"
            ) from error
        finally:
            child.close()
        self._control = parent
        self._control.settimeout(CONTROL_TIMEOUT)
        self._ready = False
        self._unanswered: list[Worker] = []

    def _receive(self) -> dict:
        """Read the zygote's next message, after its one-time ready message."""
        while True:
            try:
                message = self._control.recv(65536)
            except TimeoutError as error:
                raise SandboxError(
                    f"the sandbox process did not respond within {CONTROL_TIMEOUT} s; "
                    "a submission may have stopped it"
                ) from error
            except OSError as error:
                raise SandboxError(
                    f"lost contact with the sandbox process: {error}; a submission "
                    "may have killed it"
                ) from error
            if not message:
                raise SandboxError(self._failure_detail())
            answer = json.loads(message)
            if not answer.get("ready"):
                return answer
            self._ready = True

    def _failure_detail(self) -> str:
        if self._ready or self._process.poll() is None:
            return "the sandbox process ended unexpectedly"
        detail = self._process.stderr.read().decode("utf-8", "replace")[-2000:]
        return "the sandbox process failed to start" + (
            f": {detail.strip()}" if detail.strip() else ""
        )

    def _send(self, message: dict, fds: list[int] | None = None) -> None:
        data = json.dumps(message).encode()
        try:
            if fds:
                socket.send_fds(self._control, [data], fds)
            else:
                self._control.sendall(data)
        except OSError as error:
            raise SandboxError(
                f"lost contact with the sandbox process: {error}"
            ) from error

    def _settle(self) -> None:
        """Read the process ids of workers whose spawn is still unanswered."""
        while self._unanswered:
            worker = self._unanswered.pop(0)
            worker.pid = self._receive()["pid"]

    def start_worker(self, files: dict[str, bytes], calls: int) -> Worker:
        """Ask the zygote to fork a worker in a fresh directory with ``files``.

        It returns at once, even while the zygote is still importing NumPy:
        requests sent to the worker wait in its pipe, and its process id is
        read when it is first needed.
        """
        workdir = tempfile.mkdtemp(prefix="run-", dir=self._home)
        for name, content in files.items():
            Path(workdir, name).write_bytes(content)
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        limits = {
            "cpu_seconds": self.limits.cpu_seconds(calls),
            "memory_mib": self.limits.memory_mib,
            "file_size_mib": self.limits.file_size_mib,
            "processes": self.limits.processes,
        }
        child_fds = [request_r, reply_w, out_w, err_w]
        try:
            self._send(
                {
                    "op": "spawn",
                    "workdir": workdir,
                    "limits": limits,
                    "drop_privileges": self._drop_privileges,
                },
                child_fds,
            )
        finally:
            for fd in child_fds:
                os.close(fd)
        worker = Worker(self, None, workdir, request_w, reply_r, out_r, err_r)
        self._unanswered.append(worker)
        return worker

    def kill(self, worker: Worker) -> dict:
        """Kill a worker and everything it started; return its exit status."""
        self._settle()
        self._send({"op": "kill", "pid": worker.pid})
        return self._receive()["status"]

    def close(self) -> None:
        """Stop the zygote; it kills whatever student processes remain."""
        try:
            self._control.close()
        finally:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stderr:
                self._process.stderr.close()
            if self._reap_orphans:
                # After the zygote has exited, the only children left are
                # processes a submission detached before killing it.
                from grader._worker import kill_children

                kill_children()
            shutil.rmtree(self._home, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class Worker:
    """One student process: queue requests, then wait for each reply in turn.

    Requests can be sent ahead of their replies, so that the worker runs the
    student's code while the grader computes the expected values. Each reply
    must arrive within its own time limit, counted from the moment the worker
    could start on it: the later of its sending and the previous reply.
    """

    def __init__(self, sandbox, pid, workdir, request_w, reply_r, out_r, err_r):
        self._sandbox = sandbox
        self.pid = pid
        self.workdir = workdir
        self._request_w = request_w
        os.set_blocking(request_w, False)
        self._reply_r = reply_r
        self._streams = {out_r: CappedBuffer(), err_r: CappedBuffer()}
        self.stdout = self._streams[out_r]
        self.stderr = self._streams[err_r]
        self._pending = bytearray()
        self._outbox = bytearray()
        self._sent_times: list[float] = []
        self._last_reply = 0.0
        self.status: dict | None = None
        self.alive = True

    def send(self, request: dict) -> None:
        """Queue a request; it is written as the worker's pipe takes it."""
        self._outbox += json.dumps(request).encode() + b"\n"
        self._sent_times.append(time.monotonic())
        self._flush()

    def _flush(self) -> None:
        while self._outbox and self.alive:
            try:
                written = os.write(self._request_w, self._outbox)
            except BlockingIOError:
                return
            except OSError:
                self._outbox.clear()
                return
            del self._outbox[:written]

    def receive(self, timeout: float, not_after: float | None = None) -> Outcome:
        """Wait for the reply to the oldest request that has none yet.

        ``not_after`` is a time.monotonic() deadline for the whole submission;
        a reply still missing then gives the outcome "over_budget".
        """
        if not self.alive:
            return Outcome("died", status=self.status)
        sent = self._sent_times.pop(0) if self._sent_times else time.monotonic()
        start = max(sent, self._last_reply)
        deadline = start + timeout
        over_budget = not_after is not None and not_after < deadline
        if over_budget:
            deadline = not_after
        selector = selectors.DefaultSelector()
        selector.register(self._reply_r, selectors.EVENT_READ)
        for fd in self._streams:
            selector.register(fd, selectors.EVENT_READ)
        if self._outbox:
            selector.register(self._request_w, selectors.EVENT_WRITE)
        try:
            while True:
                line = self._take_line()
                if line is not None:
                    now = time.monotonic()
                    self._last_reply = now
                    return self._parse(line, now - start)
                remaining = deadline - time.monotonic()
                if remaining <= 0 and not self._drain_reply():
                    self.close()
                    kind = "over_budget" if over_budget else "timeout"
                    elapsed = time.monotonic() - start
                    return Outcome(kind, elapsed=elapsed, status=self.status)
                if remaining <= 0:
                    continue
                for key, _ in selector.select(remaining):
                    if key.fd == self._request_w:
                        self._flush()
                        if not self._outbox:
                            selector.unregister(key.fd)
                        continue
                    data = os.read(key.fd, 65536)
                    if key.fd != self._reply_r:
                        if data:
                            self._streams[key.fd].add(data)
                        else:
                            selector.unregister(key.fd)
                        continue
                    if not data:
                        self.close()
                        elapsed = time.monotonic() - start
                        return Outcome("died", elapsed=elapsed, status=self.status)
                    self._pending += data
                    if len(self._pending) > MAX_REPLY_BYTES:
                        self.close()
                        return Outcome("invalid", elapsed=time.monotonic() - start)
        finally:
            selector.close()

    def _drain_reply(self) -> bool:
        """Read what the reply pipe contains now; True if a whole reply came.

        A reply that arrived while the grader was busy elsewhere counts as in
        time, even when the grader looks only after the deadline.
        """
        os.set_blocking(self._reply_r, False)
        try:
            while b"\n" not in self._pending:
                data = os.read(self._reply_r, 65536)
                if not data:
                    break
                self._pending += data
        except BlockingIOError:
            pass
        finally:
            os.set_blocking(self._reply_r, True)
        return b"\n" in self._pending

    def _take_line(self) -> bytes | None:
        index = self._pending.find(b"\n")
        if index < 0:
            return None
        line = bytes(self._pending[:index])
        del self._pending[: index + 1]
        return line

    def _parse(self, line: bytes, elapsed: float) -> Outcome:
        try:
            reply = json.loads(line)
        except ValueError:
            self.close()
            return Outcome("invalid", elapsed=elapsed)
        if not isinstance(reply, dict):
            self.close()
            return Outcome("invalid", elapsed=elapsed)
        return Outcome("reply", reply=reply, elapsed=elapsed)

    def close(self) -> None:
        """Kill the worker and everything it started, then drain its output."""
        if not self.alive:
            return
        self.alive = False
        self.status = self._sandbox.kill(self)
        for fd, buffer in self._streams.items():
            os.set_blocking(fd, False)
            try:
                while True:
                    data = os.read(fd, 65536)
                    if not data:
                        break
                    buffer.add(data)
            except (BlockingIOError, OSError):
                pass
        for fd in (self._request_w, self._reply_r, *self._streams):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)
