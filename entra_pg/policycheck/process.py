"""The policy pack's process: started as the engine starts a Python pack, ended for sure.

The engine runs `python -u -m pulumi.policy <engine-address> .` in the pack directory and
reads the port of the pack's gRPC analyzer from its stdout. The Python policy host
(`pulumi/policy/__main__.py` in pulumi 3.x) parses the engine address but never dials it, and
the policy SDK reports everything through RPC responses; with no engine configured,
`pulumi.log` writes to stderr, which is kept (the last lines) for error messages. So no Engine
service is served: an unroutable placeholder is passed instead, which a future host that did
dial it would fail on at once rather than hang.

Every wait has a timeout; the process is ended (terminate, then kill) on `stop`, on a failed
start, and when the `PackProcess` is garbage-collected or the interpreter exits.
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import subprocess
import threading
import weakref
from collections.abc import Mapping
from importlib.util import find_spec
from pathlib import Path
from typing import IO, Any, Final

import grpc  # type: ignore[import-untyped, unused-ignore]

from entra_pg.policycheck.errors import PolicyPackStartError

__all__ = ["CHANNEL_OPTIONS", "ENGINE_ADDRESS_PLACEHOLDER", "PackProcess", "default_pack_dir"]

ENGINE_ADDRESS_PLACEHOLDER: Final = "127.0.0.1:0"
"""Passed where the engine passes its gRPC address; the Python policy host never dials it."""

_MAX_MESSAGE_BYTES: Final = 400 * 1024 * 1024  # what the engine and the policy SDK allow
CHANNEL_OPTIONS: Final = [
    ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
]
_STDERR_LINES: Final = 200


def default_pack_dir() -> Path:
    """The directory of `entra_pg.policies`: the pack shipped with this project (the checkout's
    `policies/` folder, or its copy in the installed wheel)."""
    spec = find_spec("entra_pg.policies")
    if spec is None or not spec.submodule_search_locations:
        raise PolicyPackStartError(
            "the `entra_pg.policies` package (the policy pack) is not installed"
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def _drain(stream: IO[bytes], lines: collections.deque[str], first: queue.Queue[str]) -> None:
    """Reads `stream` to its end so the pack never blocks on a full pipe; the first line goes
    to `first` (the port), every line to `lines`."""
    sent = False
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if not sent:
            first.put(line)
            sent = True
        lines.append(line)
    if not sent:
        first.put("")


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


class PackProcess:
    """One running pack process and the gRPC channel to its analyzer."""

    def __init__(
        self, pack_dir: Path, *, python: str, startup_timeout: float, env: Mapping[str, str]
    ) -> None:
        self.pack_dir = pack_dir
        self._python = python
        self._startup_timeout = startup_timeout
        self._env = dict(env)
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        self._stdout: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        self._threads: list[threading.Thread] = []
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self.channel: Any = None
        #: `host:port` of the running pack's analyzer (None when not running).
        self.address: str | None = None

    @property
    def running(self) -> bool:
        """Whether `start` succeeded and `stop` has not been called since."""
        return self.channel is not None

    def start(self) -> Any:
        """Starts the pack and returns a ready gRPC channel to it. Raises
        `PolicyPackStartError` when the directory is not a Python policy pack, the process
        exits, or no port arrives (or no connection is accepted) in time."""
        if self.channel is not None:
            return self.channel
        manifest = self.pack_dir / "PulumiPolicy.yaml"
        if not manifest.is_file():
            raise PolicyPackStartError(
                f"{self.pack_dir} is not a policy pack: no PulumiPolicy.yaml"
            )
        command = [self._python, "-u", "-m", "pulumi.policy", ENGINE_ADDRESS_PLACEHOLDER, "."]
        try:
            process = subprocess.Popen(  # noqa: S603  (fixed argument list, no shell)
                command,
                cwd=self.pack_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, **self._env},
                start_new_session=True,  # a Ctrl-C in the terminal is ours to handle, not its
            )
        except OSError as error:
            raise PolicyPackStartError(f"cannot run {self._python}: {error}") from None
        self._process = process
        self._finalizer = weakref.finalize(self, _terminate, process)
        first_line: queue.Queue[str] = queue.Queue()
        ignored: queue.Queue[str] = queue.Queue()
        if process.stdout is None or process.stderr is None:  # pragma: no cover  (PIPE)
            raise PolicyPackStartError("the pack's output pipes were not created")
        for stream, lines, first in (
            (process.stdout, self._stdout, first_line),
            (process.stderr, self._stderr, ignored),
        ):
            thread = threading.Thread(target=_drain, args=(stream, lines, first), daemon=True)
            thread.start()
            self._threads.append(thread)
        try:
            self.channel = self._connect(first_line)
        except BaseException:
            self.stop()
            raise
        return self.channel

    def _connect(self, first_line: queue.Queue[str]) -> Any:
        try:
            line = first_line.get(timeout=self._startup_timeout)
        except queue.Empty:
            raise PolicyPackStartError(
                f"the policy pack in {self.pack_dir} did not report its port within "
                f"{self._startup_timeout:g}s{self.stderr_tail()}"
            ) from None
        if not line.strip().isdigit():
            if not line and self._process is not None:
                # stdout closed: the pack is exiting; let it finish so its status is known.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(timeout=5)
            raise PolicyPackStartError(
                f"the policy pack in {self.pack_dir} failed to start (expected its port on "
                f"stdout, got {line!r}){self.stderr_tail()}"
            )
        address = f"127.0.0.1:{line.strip()}"
        channel = grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
        try:
            grpc.channel_ready_future(channel).result(timeout=self._startup_timeout)
        except grpc.FutureTimeoutError:
            channel.close()
            raise PolicyPackStartError(
                f"the policy pack's analyzer on port {line.strip()} did not accept a connection "
                f"within {self._startup_timeout:g}s{self.stderr_tail()}"
            ) from None
        self.address = address
        return channel

    def stop(self) -> None:
        """Closes the channel and ends the process (terminate, then kill). Idempotent."""
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        self.address = None
        if self._finalizer is not None:
            self._finalizer()  # runs _terminate once
            self._finalizer = None
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()
        self._process = None

    def stderr_tail(self) -> str:
        """For error messages: the exit status (if it exited) and the last lines of stderr."""
        process = self._process
        if process is not None and process.poll() is not None:
            for thread in self._threads:  # let the readers collect the last words
                thread.join(timeout=2)
        lines = [line for line in self._stderr if line.strip()][-30:]
        status = ""
        if process is not None and process.poll() is not None:
            status = f" (exit status {process.returncode})"
        if not lines:
            return status
        return f"{status}; its stderr ends with:\n" + "\n".join(lines)
