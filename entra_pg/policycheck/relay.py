"""The engine's `Analyze` calls, made from a process of their own (see `stream`).

Run as a script, never imported by the rest of the package:
`python -I relay.py <host:port> <in_flight> <rpc_timeout> <channel options as JSON>`. It
imports nothing but grpc (no protobuf messages, no Pulumi, no entra_pg): requests arrive
already serialized and responses leave as they came, so its only work is the gRPC client's,
which in Python costs about a millisecond of CPU per call, under the GIL: in the plan's own
process that time was taken from the program it overlaps.

Protocol, over stdin and stdout, each frame a 4-byte little-endian length and that many
bytes:
- stdin: one frame per `AnalyzeRequest`, in order; a frame of length 0xFFFFFFFF ends the
  stream (EOF before it: the parent is gone, so the relay exits);
- stdout, once every answer is in: `R` and a frame per request, in the same order (the
  serialized `AnalyzeResponse`); or, at the first failed call, `E` and one frame with the
  gRPC status and details (UTF-8), then exit status 2.
Each call has the deadline `rpc_timeout`; at most `in_flight` are outstanding. A reader
thread drains stdin as it comes, so the parent's writes never wait for the pack.
"""

from __future__ import annotations

import collections
import json
import struct
import sys
import threading
from typing import Any, BinaryIO, Final

import grpc  # type: ignore[import-untyped, unused-ignore]

END: Final = 0xFFFFFFFF
"""The length that ends the request stream."""

_HEADER: Final = struct.Struct("<I")
_METHOD: Final = "/pulumirpc.Analyzer/Analyze"


def frame(data: bytes) -> bytes:
    """One length-prefixed frame."""
    return _HEADER.pack(len(data)) + data


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame's bytes, or None at the end frame; raises EOFError when the stream ends
    before the end frame (or inside a frame)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the stream ended without its end frame")
    (length,) = _HEADER.unpack(header)
    if length == END:
        return None
    data = stream.read(length)
    if len(data) < length:
        raise EOFError("the stream ended inside a frame")
    return data


class _Inbox:
    """Requests read from stdin by a thread of their own, handed out in order."""

    def __init__(self, stream: BinaryIO) -> None:
        self._items: collections.deque[bytes | None] = collections.deque()
        self._ready = threading.Condition()
        self._stream = stream
        self.broken = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                item = read_frame(self._stream)
            except (EOFError, OSError):
                self.broken = True
                item = None
            with self._ready:
                self._items.append(item)
                self._ready.notify()
            if item is None:
                return

    def get(self) -> bytes | None:
        with self._ready:
            while not self._items:
                self._ready.wait()
            return self._items.popleft()


def relay(address: str, in_flight: int, timeout: float, options: list[Any]) -> int:
    """Send every request from stdin, write the answers to stdout; the exit status."""
    out = sys.stdout.buffer
    inbox = _Inbox(sys.stdin.buffer)
    channel = grpc.insecure_channel(address, options=[tuple(o) for o in options])
    call = channel.unary_unary(_METHOD)  # bytes in, bytes out: no (de)serializers
    window: collections.deque[Any] = collections.deque()
    answers: list[bytes] = []
    try:
        while True:
            request = inbox.get()
            if request is None:
                break
            window.append(call.future(request, timeout=timeout))
            if len(window) >= in_flight:
                answers.append(window.popleft().result())
        if inbox.broken:
            return 1  # the parent went away: nobody to answer
        while window:
            answers.append(window.popleft().result())
    except grpc.RpcError as error:
        code = error.code().name if hasattr(error, "code") else "UNKNOWN"
        details = error.details() if hasattr(error, "details") else str(error)
        out.write(b"E" + frame(f"Analyze failed ({code}): {details}".encode()))
        out.flush()
        return 2
    finally:
        for pending in window:
            pending.cancel()
        channel.close()
    out.write(b"R" + b"".join(frame(answer) for answer in answers))
    out.flush()
    return 0


def main(argv: list[str]) -> int:
    """Entry point; `argv` as the module doc gives it."""
    address, in_flight, timeout, options = argv
    return relay(address, int(in_flight), float(timeout), json.loads(options))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
