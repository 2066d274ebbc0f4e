"""Real servers on loopback for tests of remote reads and writes.

* :func:`serve_http` — a static file server (stdlib ``ThreadingHTTPServer``) that
  answers ``GET`` and ``HEAD`` with single byte ranges (206, ``Content-Range``,
  416), ``ETag``/``If-None-Match``/``If-Match``, never lists directories, and
  logs every request so that tests can count requests and bytes.
* :func:`start_moto` — moto's S3 (and IAM) in a child process on a free port.
  The child exits when its stdin closes, so a killed test run leaves no
  server behind. :meth:`MotoServer.refusing` turns on moto's IAM checks to
  get real ``AccessDenied`` answers.
* pytest fixtures ``moto_server`` (session), ``s3_bucket`` (a fresh bucket with
  the ``AWS_*`` variables of the process pointing at it), ``http_server``
  (serving a fresh directory).

``tests/conftest.py`` imports the fixtures, so every test can take them.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Literal

import pytest

S3Client = Any  # boto3's client (boto3 ships no types)

__all__ = [
    "LoggedRequest",
    "MotoServer",
    "RangeFileServer",
    "S3Bucket",
    "http_server",
    "isolate_aws_environment",
    "moto_server",
    "parse_range",
    "s3_bucket",
    "serve_http",
    "start_moto",
]

TEST_REGION = "us-east-1"
TEST_KEY_ID = "testing"
TEST_SECRET = "testing"


# --- HTTP with ranges ------------------------------------------------------------


@dataclass(frozen=True)
class LoggedRequest:
    """One request the file server answered."""

    method: str
    path: str  # with the query string, if any
    range: str | None
    status: int
    body_bytes: int  # response body
    request_bytes: int = 0  # request body (uploads)


def parse_range(header: str | None, size: int) -> tuple[int, int] | Literal[False] | None:
    """The inclusive byte range ``header`` asks of a ``size``-byte file.

    None: serve the whole file (no header, a malformed one, or several ranges,
    which RFC 9110 lets a server ignore). False: not satisfiable (416).
    """
    if header is None or not header.startswith("bytes="):
        return None
    spec = header[len("bytes=") :].strip()
    if "," in spec or "-" not in spec:
        return None
    first, _, last = (part.strip() for part in spec.partition("-"))
    if not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return None
    if first == "":  # suffix: the last N bytes
        if last == "":
            return None
        count = int(last)
        if count == 0 or size == 0:
            return False
        return (max(0, size - count), size - 1)
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        return False
    return (start, end)


class RangeFileServer(ThreadingHTTPServer):
    """Serves the files under ``root`` read-only and keeps a log of the requests."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _RangeHandler)
        self.root = root.resolve()
        self.requests: list[LoggedRequest] = []
        self._log_lock = threading.Lock()

    @property
    def url(self) -> str:
        """The base URL, ending in ``/``."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def record(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            self.requests.append(entry)

    def take_log(self) -> list[LoggedRequest]:
        """The requests logged since the last call, and clear the log."""
        with self._log_lock:
            taken, self.requests = self.requests, []
        return taken


class _RangeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    server: RangeFileServer
    chunk: ClassVar[int] = 1 << 20

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the server keeps its own log."""

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _file(self) -> Path | None:
        relative = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/")
        candidate = (self.server.root / relative).resolve()
        if not candidate.is_relative_to(self.server.root) or not candidate.is_file():
            return None
        return candidate

    def _answer(self, *, body: bool) -> None:
        requested = self.headers.get("Range")
        file = self._file()
        if file is None:
            self._status_only(HTTPStatus.NOT_FOUND, requested)
            return
        stat = file.stat()
        size = stat.st_size
        etag = f'"{stat.st_mtime_ns:x}-{size:x}"'
        validators = {
            "ETag": etag,
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
            "Accept-Ranges": "bytes",
        }
        if_none = self.headers.get("If-None-Match")
        if if_none is not None and (if_none.strip() == "*" or etag in if_none):
            self._status_only(HTTPStatus.NOT_MODIFIED, requested, validators)
            return
        if_match = self.headers.get("If-Match")
        if if_match is not None and if_match.strip() != "*" and etag not in if_match:
            self._status_only(HTTPStatus.PRECONDITION_FAILED, requested)
            return
        wanted = parse_range(requested, size)
        if wanted is False:
            self._status_only(
                HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                requested,
                {"Content-Range": f"bytes */{size}"},
            )
            return
        start, end = (0, size - 1) if wanted is None else wanted
        length = max(0, end - start + 1)
        status = HTTPStatus.OK if wanted is None else HTTPStatus.PARTIAL_CONTENT
        self.send_response(status)
        for name, value in validators.items():
            self.send_header(name, value)
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        # logged before the answer: a client never sees an answer not in the log yet
        sent = length if body else 0
        self.server.record(LoggedRequest(self.command, self.path, requested, int(status), sent))
        self.end_headers()
        if body:
            with file.open("rb") as source:
                self._copy(source, start, length)

    def _copy(self, source: BinaryIO, start: int, length: int) -> None:
        source.seek(start)
        sent = 0
        while sent < length:
            block = source.read(min(self.chunk, length - sent))
            if not block:
                break
            self.wfile.write(block)
            sent += len(block)

    def _status_only(
        self, status: HTTPStatus, requested: str | None, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.server.record(LoggedRequest(self.command, self.path, requested, int(status), 0))
        self.end_headers()


@contextlib.contextmanager
def serve_http(root: Path) -> Iterator[RangeFileServer]:
    """A :class:`RangeFileServer` for ``root`` on a free loopback port, for the block."""
    server = RangeFileServer(root)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- moto ------------------------------------------------------------------------

_MOTO_CHILD = r"""
import json, logging, sys, threading
logging.disable(logging.CRITICAL)
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication, MotoRequestHandler, create_backend_app)
from werkzeug.serving import make_server

moto = DomainDispatcherApplication(create_backend_app)
log, lock = [], threading.Lock()

def app(environ, start_response):
    if environ.get("PATH_INFO") == "/_requests":
        with lock:
            body = json.dumps(log[:]).encode()
            log.clear()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    return counted(environ, start_response)

def counted(environ, start_response):
    # the whole answer first, logged before it is sent: a client never sees an
    # answer whose request is not in the log yet
    status = []
    def start(code, headers, exc_info=None):
        status.append(int(code.split()[0]))
        return start_response(code, headers, exc_info)
    body = b"".join(moto(environ, start))
    query = environ.get("QUERY_STRING", "")
    path = environ.get("PATH_INFO", "") + ("?" + query if query else "")
    entry = [environ["REQUEST_METHOD"], path, environ.get("HTTP_RANGE"),
             status[0] if status else 0, len(body), int(environ.get("CONTENT_LENGTH") or 0)]
    with lock:
        log.append(entry)
    return [body]

server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
print(server.server_address[1], flush=True)
sys.stdin.read()
server.shutdown()
"""


@dataclass
class MotoServer:
    """moto in server mode in a child process; the real S3 HTTP API on loopback."""

    endpoint: str
    process: subprocess.Popen[str]
    startup_seconds: float = 0.0
    _stderr: BinaryIO | None = field(default=None, repr=False)

    def client(self, **credentials: str) -> S3Client:
        """A boto3 S3 client for this server (test credentials unless given)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=TEST_REGION,
            aws_access_key_id=credentials.get("key_id", TEST_KEY_ID),
            aws_secret_access_key=credentials.get("secret", TEST_SECRET),
        )

    def _post(self, path: str, body: bytes = b"") -> bytes:
        request = urllib.request.Request(
            self.endpoint + path,
            data=body,
            method="POST",
            headers={"Content-Type": "text/plain"},  # a form type would eat the body
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            data: bytes = answer.read()
            return data

    def reset(self) -> None:
        """Forget every bucket, object and IAM user."""
        self._post("/moto-api/reset")

    def take_log(self) -> list[LoggedRequest]:
        """The requests moto answered since the last call (its own API excluded)."""
        with urllib.request.urlopen(self.endpoint + "/_requests", timeout=10) as answer:
            rows = json.loads(answer.read())
        return [
            LoggedRequest(method, path, rng, status, sent, received)
            for method, path, rng, status, sent, received in rows
            if not path.startswith("/moto-api/")
        ]

    @contextlib.contextmanager
    def refusing(self, allow: list[str] | None = None) -> Iterator[tuple[str, str]]:
        """For the block, moto checks every request against IAM.

        Yields the (key id, secret) of a user whose only permissions are the
        IAM actions ``allow`` (on every resource); with the default (none) every
        S3 call with these keys fails with ``AccessDenied``. Unknown keys fail
        with ``InvalidAccessKeyId``, unsigned requests with a bare 403.
        """
        import boto3

        iam = boto3.client(
            "iam",
            endpoint_url=self.endpoint,
            region_name=TEST_REGION,
            aws_access_key_id=TEST_KEY_ID,
            aws_secret_access_key=TEST_SECRET,
        )
        name = f"user-{uuid.uuid4().hex[:12]}"
        iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        if allow:
            statement = {"Effect": "Allow", "Action": allow, "Resource": "*"}
            policy = {"Version": "2012-10-17", "Statement": [statement]}
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
        self._post("/moto-api/reset-auth", b"0")
        try:
            yield key["AccessKeyId"], key["SecretAccessKey"]
        finally:
            self._post("/moto-api/reset-auth", b"inf")

    def stop(self) -> None:
        """Stop the child (closing its stdin), killing it when it does not exit in 5 s."""
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()


def start_moto(timeout: float = 60.0) -> MotoServer:
    """Start moto's server on a free loopback port; RuntimeError when not up within ``timeout``."""
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - the server keeps it; stop() closes it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    process = subprocess.Popen(
        [sys.executable, "-c", _MOTO_CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=env,
    )
    started = time.monotonic()
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    server = MotoServer("", process, _stderr=stderr)
    try:
        port = lines.get(timeout=timeout).strip()
    except queue.Empty:
        port = ""
    if not port.isdigit():
        server.stop()
        stderr_text = _tail(stderr)
        raise RuntimeError(f"moto server did not start within {timeout} s: {stderr_text}")
    server.endpoint = f"http://127.0.0.1:{port}"
    server.startup_seconds = time.monotonic() - started
    return server


def _tail(file: BinaryIO) -> str:
    with contextlib.suppress(OSError, ValueError):
        file.seek(0)
        return file.read()[-2000:].decode(errors="replace").strip() or "(no output)"
    return "(no output)"


@dataclass(frozen=True)
class S3Bucket:
    """A bucket of the test's own on the moto server."""

    name: str
    server: MotoServer
    client: S3Client

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def url(self, key: str = "") -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.name}/{key}"

    def make_public(self) -> None:
        """Let anyone read and list the bucket (a bucket policy, as public datasets have).

        moto refuses unsigned requests for objects of a private bucket (a bare 403) even
        when it checks no credentials; with this policy they succeed.
        """
        statement = {
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{self.name}", f"arn:aws:s3:::{self.name}/*"],
        }
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        self.client.put_bucket_policy(Bucket=self.name, Policy=json.dumps(policy))

    def upload_tree(self, source: Path, prefix: str) -> list[str]:
        """Upload every file under ``source`` to ``prefix/<relative path>``; the keys."""
        keys = []
        for file in sorted(p for p in source.rglob("*") if p.is_file()):
            key = f"{prefix.rstrip('/')}/{file.relative_to(source).as_posix()}"
            self.client.put_object(Bucket=self.name, Key=key, Body=file.read_bytes())
            keys.append(key)
        return keys

    def listing(self, prefix: str = "") -> list[str]:
        """Every key under ``prefix``."""
        found: list[str] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=prefix
        )
        for page in pages:
            found.extend(item["Key"] for item in page.get("Contents", []) if "Key" in item)
        return found


def isolate_aws_environment(
    monkeypatch: pytest.MonkeyPatch, home: Path, endpoint: str | None
) -> None:
    """Point the ``AWS_*`` variables at ``endpoint`` with test keys; hide ~/.aws and IMDS."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    if endpoint is not None:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_KEY_ID)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET)
        monkeypatch.setenv("AWS_REGION", TEST_REGION)
        monkeypatch.setenv("AWS_DEFAULT_REGION", TEST_REGION)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto's S3 for the whole test session (started once: about 1-2 s)."""
    server = start_moto()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[S3Bucket]:
    """A new empty bucket; ``AWS_ENDPOINT_URL`` and test keys set, ~/.aws hidden.

    moto forgets everything after the test.
    """
    isolate_aws_environment(monkeypatch, tmp_path / "aws", moto_server.endpoint)
    client = moto_server.client()
    name = f"ctlab-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    try:
        yield S3Bucket(name, moto_server, client)
    finally:
        moto_server.reset()


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[RangeFileServer]:
    """A range-capable HTTP server for a fresh directory (``server.root``)."""
    root = tmp_path / "www"
    root.mkdir()
    with serve_http(root) as server:
        yield server
