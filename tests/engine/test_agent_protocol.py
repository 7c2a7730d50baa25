"""The agent's wire format on its own: versioned JSON lines, anything else refused, a line
read across chunks and capped, and socket paths of any length over a real Unix socket.

The agent and its clients talking over it are tested in test_agent_server.py."""

from __future__ import annotations

import contextlib
import os
import socket
import threading

import pytest

from tui.engine.agent.protocol import (
    MAX_LINE,
    VERSION,
    ProtocolError,
    SocketAddress,
    decode,
    encode,
    read_line,
)


def test_a_message_travels_as_one_versioned_line():
    line = encode({"op": "session", "profile": "work", "for_pid": 4121})
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode(line.rstrip(b"\n")) == {"v": VERSION, "op": "session", "profile": "work",
                                          "for_pid": 4121}


@pytest.mark.parametrize(("line", "why"), [
    (b"not json", "not a JSON line"),
    (b"\xff\xfe", "not a JSON line"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"op": "hello"}', "protocol version None, not 1"),
    (b'{"v": 2, "op": "hello"}', "protocol version 2, not 1"),
])
def test_anything_else_is_refused(line, why):
    with pytest.raises(ProtocolError, match=why):
        decode(line)


def _pair() -> tuple[socket.socket, socket.socket]:
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def test_a_line_is_read_across_chunks_and_a_closed_peer_is_empty():
    ours, theirs = _pair()
    with ours, theirs:
        message = encode({"op": "hello", "pad": "x" * 50_000})  # several chunks, < MAX_LINE

        def send() -> None:
            for start in range(0, len(message), 7000):
                theirs.sendall(message[start:start + 7000])

        sender = threading.Thread(target=send)
        sender.start()
        line = read_line(ours)
        sender.join()
        assert decode(line)["pad"] == "x" * 50_000
        theirs.close()
        assert read_line(ours) == b""


def test_a_line_too_long_is_refused_without_reading_on():
    ours, theirs = _pair()
    with ours, theirs:
        def send() -> None:
            with contextlib.suppress(OSError):  # the reader hangs up part-way
                theirs.sendall(b"x" * (MAX_LINE * 2))

        sender = threading.Thread(target=send)
        sender.start()
        with pytest.raises(ProtocolError, match="too long"):
            read_line(ours)
        ours.close()
        sender.join(timeout=5)


@pytest.mark.parametrize("depth", [1, 12])  # a short path, and one past AF_UNIX's limit
def test_a_socket_path_of_any_length_can_be_bound_and_reached(tmp_path, depth):
    folder = tmp_path.joinpath(*["a-rather-long-folder-name"] * depth)
    folder.mkdir(parents=True)
    path = folder / "agent.sock"
    assert (len(os.fsencode(str(path))) > 108) is (depth > 1)
    with SocketAddress(path) as address, socket.socket(socket.AF_UNIX) as server:
        server.bind(address)
        server.listen()
        with SocketAddress(path) as again, socket.socket(socket.AF_UNIX) as client:
            client.connect(again)
            client.sendall(encode({"op": "hello"}))
            peer, _ = server.accept()
            with peer:
                assert decode(read_line(peer))["op"] == "hello"
    assert path.exists()


def test_a_long_address_leaves_no_descriptor_open(tmp_path):
    folder = tmp_path.joinpath(*["a-rather-long-folder-name"] * 12)
    folder.mkdir(parents=True)
    before = len(os.listdir("/proc/self/fd"))
    with SocketAddress(folder / "agent.sock") as address:
        assert address.startswith("/proc/self/fd/")
        assert len(os.listdir("/proc/self/fd")) == before + 1
    assert len(os.listdir("/proc/self/fd")) == before

