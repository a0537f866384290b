"""Request bodies sent without a Content-Length (chunked) through gunicorn: the same 413 and 415
as bodies with one, without the server reading past its limit."""

from __future__ import annotations

import json
import socket
import threading
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e

LIMIT = 10 * 1024 * 1024  # BATON_MAX_BODY_BYTES' default


def chunked_post(
    url: str, key: str, path: str, chunks, content_type: str = "application/json"
) -> tuple[int, dict, int]:
    """POST ``chunks`` with Transfer-Encoding: chunked from a thread; answer (status, JSON body,
    bytes the client had sent when the answer arrived)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    sent = 0
    stop = threading.Event()

    def send() -> None:
        nonlocal sent
        try:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: {key}\r\n"
                f"Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()
            )
            for chunk in chunks:
                if stop.is_set():
                    return
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server answered and closed: the rest is not wanted
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    response = b""
    try:
        while b"\r\n\r\n" not in response or not _complete(response):
            data = sock.recv(65536)
            if not data:
                break
            response += data
        sent_then = sent
    finally:
        stop.set()
        sock.close()
        sender.join(30)
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    if b"chunked" in head.lower():
        body = _dechunk(body)
    return status, json.loads(body), sent_then


def _complete(response: bytes) -> bool:
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return body.endswith(b"0\r\n\r\n")


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        length = int(size, 16)
        if length == 0:
            break
        out += rest[:length]
        body = rest[length + 2 :]
    return out


def test_a_50_mb_chunked_body_is_a_413_without_being_read_to_the_end(stack):
    megabyte = b"x" * (1024 * 1024)
    chunks = [b'{"bpmnProcessId": "'] + [megabyte] * 50 + [b'"}']
    status, problem, sent = chunked_post(stack.api.url, stack.api.key, "/process-instances/query", chunks)
    assert status == 413, problem
    assert problem["type"] == "HTTP_REQUEST_BODY" and problem["title"] == "request body too large"
    # Only the limit (plus what the sockets buffer) went in before the answer: not 50 MB.
    assert sent < 40 * 1024 * 1024, f"the server read {sent} bytes before answering"


def test_a_small_chunked_body_is_read_and_checked_like_any_other(stack):
    status, answer, _ = chunked_post(
        stack.api.url, stack.api.key, "/process-instances/query", [b'{"bpmnProcess', b'Id": "nobody"}']
    )
    assert status == 200 and answer == {"count": 0, "results": []}
    status, problem, _ = chunked_post(stack.api.url, stack.api.key, "/process-instances/query", [b"{"])
    assert status == 400 and problem["type"] == "HTTP_REQUEST_BODY"
    status, problem, _ = chunked_post(
        stack.api.url, stack.api.key, "/process-instances/query", [b"{}"], content_type="text/plain"
    )
    assert status == 415, problem
