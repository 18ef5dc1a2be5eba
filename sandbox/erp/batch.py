"""OData v2 `$batch`: multipart/mixed requests; change sets are all-or-nothing.

Query parts run one by one; a change set runs inside one savepoint: if any operation fails, the savepoint is
rolled back and the change set's answer is that single error response (OData v2, section 2.2.7.6.2).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from starlette.routing import compile_path

from sandbox.erp.errors import ODataError, bad_request
from sandbox.erp.http import TUNNELED, Call, Reply, ServiceRoute, error_reply

if TYPE_CHECKING:
    from sandbox.erp.system import ERPSystem

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


@dataclass
class Part:
    headers: dict[str, str]  # lower-case names
    body: str


def boundary_of(content_type: str) -> str:
    m = _BOUNDARY.search(content_type or "")
    if not content_type.lower().startswith("multipart/mixed") or not m:
        raise bad_request("$batch needs Content-Type multipart/mixed with a boundary")
    return m.group(1)


def _split_head(text: str) -> tuple[dict[str, str], str]:
    m = re.search(r"\r?\n\r?\n", text)
    head, body = (text[: m.start()], text[m.end() :]) if m else (text, "")
    headers = {}
    for line in head.splitlines():
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return headers, body


def parse_multipart(text: str, boundary: str) -> list[Part]:
    delimiter = "--" + boundary
    if delimiter not in text:
        raise bad_request(f"$batch body has no part delimited by boundary '{boundary}'")
    parts = []
    for chunk in text.split(delimiter)[1:]:
        if chunk.startswith("--"):
            break
        chunk = chunk.split("\n", 1)[1] if "\n" in chunk else ""
        chunk = re.sub(r"\r?\n$", "", chunk)
        headers, body = _split_head(chunk)
        parts.append(Part(headers, body))
    return parts


@dataclass
class Operation:
    method: str
    url: str
    headers: dict[str, str]
    body: str
    content_id: str | None


def parse_operation(part: Part) -> Operation:
    if not part.headers.get("content-type", "").lower().startswith("application/http"):
        raise bad_request("Each $batch operation must have Content-Type application/http")
    request_line, _, rest = part.body.lstrip("\r\n").partition("\n")
    pieces = request_line.strip().split(" ")
    if len(pieces) < 2:
        raise bad_request(f"Invalid request line in $batch: '{request_line.strip()}'")
    if rest.startswith(("\r\n", "\n")) or not rest.strip():
        headers, body = {}, rest.split("\n", 1)[1] if "\n" in rest else ""
    else:
        headers, body = _split_head(rest)
    return Operation(pieces[0].upper(), pieces[1], headers, body, part.headers.get("content-id"))


class BatchRunner:
    """Runs the operations of one $batch request against the service's routes."""

    def __init__(self, system: ERPSystem, call: Call, routes: list[ServiceRoute], service_path: str) -> None:
        self.system, self.call, self.service_path = system, call, service_path
        self.routes = [(compile_path(r.template)[0], r) for r in routes]
        self.writes = 0

    def run(self) -> Reply:
        boundary = boundary_of(self.call.headers.get("content-type", ""))
        out_boundary = f"batch_{uuid.uuid4()}"
        chunks = []
        for part in parse_multipart(self.call.body.decode("utf-8", "replace"), boundary):
            content_type = part.headers.get("content-type", "")
            if content_type.lower().startswith("multipart/mixed"):
                chunks.append(self._change_set(part, boundary_of(content_type)))
            else:
                chunks.append(_http_part(self._query(part)))
        body = "".join(f"--{out_boundary}\r\n{c}\r\n" for c in chunks) + f"--{out_boundary}--\r\n"
        return Reply(202, text=body, content_type=f"multipart/mixed; boundary={out_boundary}", writes=self.writes)

    def _query(self, part: Part) -> Reply:
        try:
            op = parse_operation(part)
            if op.method != "GET":
                raise bad_request(f"{op.method} outside a change set: only GET is allowed there")
            with self.system.store.transaction():
                return self._dispatch(op, {})
        except ODataError as exc:
            return error_reply(exc)

    def _change_set(self, part: Part, boundary: str) -> str:
        replies: list[tuple[Operation, Reply]] = []
        locations: dict[str, str] = {}
        try:
            with self.system.store.transaction():
                for sub in parse_multipart(part.body, boundary):
                    op = parse_operation(sub)
                    if op.method == "GET":
                        raise bad_request("GET is not allowed inside a change set")
                    reply = self._dispatch(op, locations)
                    if op.content_id and "Location" in reply.headers:
                        locations[op.content_id] = reply.headers["Location"]
                    replies.append((op, reply))
        except ODataError as exc:
            return _http_part(error_reply(exc))  # nothing of the change set is stored
        self.writes += sum(r.writes for _, r in replies)
        inner = f"changeset_{uuid.uuid4()}"
        body = "".join(f"--{inner}\r\n{_http_part(r, op.content_id)}\r\n" for op, r in replies) + f"--{inner}--"
        return f"Content-Type: multipart/mixed; boundary={inner}\r\n\r\n{body}"

    def _dispatch(self, op: Operation, locations: dict[str, str]) -> Reply:
        url = op.url
        if url.startswith("$") and url[1:].split("/")[0] in locations:
            ref = url[1:].split("/")[0]
            url = locations[ref] + url[1 + len(ref) :]
        split = urlsplit(url)
        path = split.path
        if path.startswith(self.service_path):
            path = path[len(self.service_path) :]
        path = "/" + path.lstrip("/")
        method = op.method
        if method == "POST" and op.headers.get("x-http-method", "").upper() in TUNNELED:
            method = op.headers["x-http-method"].upper()
        path = unquote(path)
        for regex, route in self.routes:
            m = regex.match(path)
            if m is None:
                continue
            if method not in route.methods:
                raise ODataError(405, "/IWBEP/CM_MGW_RT/004", f"Method {method} is not allowed on '{path}'")
            call = Call(
                method,
                path,
                m.groupdict(),
                dict(parse_qsl(split.query, keep_blank_values=True)),
                {**op.headers, "authorization": ""},
                op.body.encode("utf-8"),
                self.call.service_root,
                user=self.call.user,
            )
            return route.handler(self.system, call)
        raise ODataError(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{path}'")


def _http_part(reply: Reply, content_id: str | None = None) -> str:
    reason = HTTPStatus(reply.status).phrase
    headers = {**reply.headers}
    if reply.body is not None and reply.status != 204:
        payload = json.dumps(reply.body)
        headers["Content-Type"] = "application/json"
    else:
        payload = ""
    headers["Content-Length"] = str(len(payload.encode("utf-8")))
    headers["DataServiceVersion"] = "2.0"
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    cid = f"Content-ID: {content_id}\r\n" if content_id else ""
    return (
        f"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n{cid}\r\n"
        f"HTTP/1.1 {reply.status} {reason}\r\n{head}\r\n{payload}"
    )


def batch_handler(routes: list[ServiceRoute], service_path: str):
    def handler(system: ERPSystem, call: Call) -> Reply:
        if call.method != "POST":
            raise ODataError(405, "/IWBEP/CM_MGW_RT/004", "$batch accepts POST only")
        return BatchRunner(system, call, routes, service_path).run()

    return handler
