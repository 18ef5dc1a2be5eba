"""OData v2 `$batch` for the SAP client: `Operation` constructors, the multipart/mixed body, and the parsed
per-change-set results.

One `$batch` request goes to one service (API_PRODUCT_SRV or API_BILL_OF_MATERIAL_SRV;v=0002), so a change
set must not mix materials and BOMs. A change set is all-or-nothing on the ERP side: a failed change set
answers with ONE error response, which this module reports for the change set as a whole, naming the failing
operation when the ERP says which (Content-ID of the failing part, or the error's target/ContentID).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from resources.erp.sap.odata import key_predicate, odata_literal
from resources.erp.sap.payloads import (
    bom_header_from_sap,
    bom_header_to_sap,
    bom_item_from_sap,
    bom_item_to_sap,
    created_bom_from_sap,
    material_from_sap,
    material_to_sap,
    split_material_changes,
)
from resources.transport import scrub

PRODUCT_SERVICE = "/sap/opu/odata/sap/API_PRODUCT_SRV"
BOM_SERVICE = "/sap/opu/odata/sap/API_BILL_OF_MATERIAL_SRV;v=0002"

Parser = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Part:
    """One HTTP request inside a change set."""

    method: str
    path: str  # relative to the service root, e.g. "A_Product('X')"
    body: dict[str, Any] | None = None
    etag: str | None = None


@dataclass(frozen=True)
class Operation:
    """One logical write; it may need several HTTP parts (e.g. a material update touching the product,
    its description and its plant data), which always travel in the same change set."""

    service: str
    label: str  # e.g. "create_material PRT-1", for reports and errors
    parts: tuple[Part, ...]
    parse: Parser | None = None  # turns the first part's JSON entity into the flat payload

    @classmethod
    def create_material(cls, payload: Mapping[str, Any], default_plant: str = "1000") -> Operation:
        """Deep insert of A_Product with description (EN) and plant data."""
        body = material_to_sap(payload, default_plant)
        plant = body["to_Plant"]["results"][0]["Plant"]
        return cls(
            PRODUCT_SERVICE,
            f"create_material {payload['Product']}",
            (Part("POST", "A_Product", body),),
            lambda e: material_from_sap(e, plant),
        )

    @classmethod
    def update_material(
        cls, product: str, changes: Mapping[str, Any], etag: str, default_plant: str = "1000"
    ) -> Operation:
        """PATCH only what changed: A_Product, description and plant data (which must exist: the batch cannot
        fall back to creating them). The first part carries If-Match with the etag read with the material
        (the lock check); an empty A_Product PATCH is never sent just to lock."""
        header, description, plant = split_material_changes(product, changes)
        parts = []
        if header:
            parts.append(Part("PATCH", f"A_Product{key_predicate(Product=product)}", header))
        if description:
            path = f"A_ProductDescription{key_predicate(Product=product, Language='EN')}"
            parts.append(Part("PATCH", path, description))
        plant_code = plant.pop("Plant", default_plant)
        if plant:
            parts.append(Part("PATCH", f"A_ProductPlant{key_predicate(Product=product, Plant=plant_code)}", plant))
        if not parts:
            raise ValueError(f"material {product}: update_material has no field to change")
        # later parts go unlocked: the first write already moved the product's etag inside this change set
        parts[0] = Part(parts[0].method, parts[0].path, parts[0].body, etag or "*")
        return cls(PRODUCT_SERVICE, f"update_material {product}", tuple(parts))

    @classmethod
    def mark_material_for_deletion(cls, product: str, etag: str) -> Operation:
        path = f"A_Product{key_predicate(Product=product)}"
        return cls(
            PRODUCT_SERVICE,
            f"mark_material_for_deletion {product}",
            (Part("PATCH", path, {"IsMarkedForDeletion": True}, etag or "*"),),
        )

    @classmethod
    def create_bom(
        cls, header: Mapping[str, Any], items: list[Mapping[str, Any]], draft: bool = True, version: str = "1"
    ) -> Operation:
        """Deep insert of a versioned MaterialBOM; `draft=False` releases it in the same change set."""
        body = bom_header_to_sap(header, items)
        body["BillOfMaterialVersion"] = version
        parts = [Part("POST", "MaterialBOM", body)]
        if not draft:
            parts.append(Part("POST", release_path(header["Material"], header["Plant"], version)))
        return cls(
            BOM_SERVICE,
            f"create_bom {header['Material']}/{header['Plant']} v{version}",
            tuple(parts),
            created_bom_from_sap,
        )

    @classmethod
    def create_bom_item(cls, bom: Any, item: Mapping[str, Any], change_number: str | None = None) -> Operation:
        """`change_number` (SAP ECM) lets the item change a released version, recorded under that number."""
        body = _with_change_number(bom_item_to_sap(item, bom.name), change_number)
        return cls(
            BOM_SERVICE,
            f"create_bom_item {bom.name} {item.get('BillOfMaterialItemNumber', '')}",
            (Part("POST", f"MaterialBOM{bom.key_predicate()}/to_BillOfMaterialItem", body),),
            bom_item_from_sap,
        )

    @classmethod
    def update_bom_item(
        cls,
        bom: Any,
        item_number: str,
        changes: Mapping[str, Any],
        etag: str | None = None,
        change_number: str | None = None,
    ) -> Operation:
        body = _with_change_number(bom_item_to_sap(changes, bom.name), change_number)
        return cls(
            BOM_SERVICE,
            f"update_bom_item {bom.name} {item_number}",
            (Part("PATCH", bom.item_path(item_number), body, etag or "*"),),
        )

    @classmethod
    def delete_bom_item(cls, bom: Any, item_number: str, change_number: str | None = None) -> Operation:
        path = bom.item_path(item_number)
        if change_number:  # a DELETE has no body: the change number travels as a query option
            path += f"?EngineeringChangeDocument={odata_literal(change_number)}"
        return cls(BOM_SERVICE, f"delete_bom_item {bom.name} {item_number}", (Part("DELETE", path),))

    @classmethod
    def retire_bom(cls, bom: Any, change_number: str) -> Operation:
        """SAP's "delete BOM" under engineering change management: the released version gets the deletion
        flag, recorded under `change_number` (the version and its items stay as history)."""
        _with_change_number({}, change_number)  # the same length rule as on items
        path = f"MaterialBOM{bom.key_predicate()}?EngineeringChangeDocument={odata_literal(change_number)}"
        return cls(
            BOM_SERVICE,
            f"retire_bom {bom.name}",
            (Part("PATCH", path, {"IsMarkedForDeletion": True}, bom.header.get("_etag") or "*"),),
        )

    @classmethod
    def release_bom_version(cls, bom: Any) -> Operation:
        return cls(
            BOM_SERVICE,
            f"release_bom_version {bom.name}",
            (Part("POST", release_path(bom.material, bom.plant, bom.version, bom.bom_id)),),
            bom_header_from_sap,
        )


def _with_change_number(body: dict[str, Any], change_number: str | None) -> dict[str, Any]:
    if change_number:
        if len(change_number) > 12:
            raise ValueError(f"change number {change_number!r} is longer than SAP's 12 characters")
        body["EngineeringChangeDocument"] = change_number
    return body


def release_path(material: str, plant: str, version: str, bom_id: str | None = None) -> str:
    """The ReleaseVersionBOM function import with its parameters as quoted literals."""
    params = {"Material": material, "Plant": plant, "BillOfMaterialVersion": version}
    if bom_id:
        params["BillOfMaterial"] = bom_id
    query = "&".join(f"{k}={quote(odata_literal(v), safe=chr(39))}" for k, v in params.items())
    return f"ReleaseVersionBOM?{query}"


@dataclass
class OperationResult:
    """Outcome of one operation: HTTP status of its last part, flat body (entities) or the ERP's error."""

    operation: Operation
    ok: bool
    status: int | None = None
    body: dict[str, Any] | None = None
    etag: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass
class ChangesetResult:
    """One change set: committed as a whole (`ok`) or not at all; `failed_index` names the failing operation
    (index into the change set) when the ERP says which, else None."""

    ok: bool
    operations: list[OperationResult] = field(default_factory=list)
    status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    failed_index: int | None = None

    @property
    def failed_operation(self) -> Operation | None:
        return self.operations[self.failed_index].operation if self.failed_index is not None else None


# ---- wire format -------------------------------------------------------------------------------------------


def build_batch(changesets: list[list[Operation]]) -> tuple[str, bytes]:
    """(Content-Type header, body) of one $batch request; Content-ID `<cs>.<op>.<part>` (1-based)."""
    batch = f"batch_{uuid.uuid4().hex}"
    lines: list[str] = []
    for cs_no, changeset in enumerate(changesets, 1):
        boundary = f"changeset_{uuid.uuid4().hex}"
        lines += [f"--{batch}", f"Content-Type: multipart/mixed; boundary={boundary}", ""]
        for op_no, op in enumerate(changeset, 1):
            for part_no, part in enumerate(op.parts, 1):
                payload = json.dumps(part.body, separators=(",", ":"), default=str) if part.body is not None else ""
                lines += [
                    f"--{boundary}",
                    "Content-Type: application/http",
                    "Content-Transfer-Encoding: binary",
                    f"Content-ID: {cs_no}.{op_no}.{part_no}",
                    "",
                    f"{part.method} {part.path} HTTP/1.1",
                    "Accept: application/json",
                ]
                if part.body is not None:
                    lines += ["Content-Type: application/json", f"Content-Length: {len(payload.encode())}"]
                if part.etag:
                    lines.append(f"If-Match: {part.etag}")
                lines += ["", payload]
        lines += [f"--{boundary}--", ""]
    lines += [f"--{batch}--", ""]
    return f"multipart/mixed; boundary={batch}", "\r\n".join(lines).encode()


@dataclass
class HttpPart:
    """One parsed response inside a $batch answer."""

    status: int
    headers: dict[str, str]  # lower-case names: the outer MIME headers and the inner HTTP headers
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


def boundary_of(content_type: str) -> str:
    m = _BOUNDARY.search(content_type)
    if not m:
        raise ValueError(f"$batch answer has no multipart boundary (Content-Type: {content_type!r})")
    return m.group(1)


def _split_multipart(body: bytes, boundary: str) -> list[bytes]:
    delimiter = b"--" + boundary.encode()
    chunks = body.split(delimiter)
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        parts.append(chunk[2:] if chunk.startswith(b"\r\n") else chunk.lstrip(b"\n"))
    return parts


def _headers_and_rest(blob: bytes) -> tuple[dict[str, str], bytes]:
    head, sep, rest = (
        blob.replace(b"\r\n", b"\n").partition(b"\n\n") if b"\r\n\r\n" not in blob else blob.partition(b"\r\n\r\n")
    )
    headers = {}
    for line in head.decode("latin-1").splitlines():
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers, rest if sep else b""


def _http_part(mime_headers: dict[str, str], payload: bytes) -> HttpPart:
    status_line, _, rest = payload.partition(b"\n")
    m = re.match(rb"HTTP/\d\.\d\s+(\d{3})", status_line.strip())
    if not m:
        raise ValueError(f"$batch answer part is not an HTTP response: {status_line[:80]!r}")
    inner_headers, body = _headers_and_rest(rest)
    return HttpPart(int(m.group(1)), {**mime_headers, **inner_headers}, body.rstrip(b"\r\n"))


def parse_batch(content_type: str, body: bytes) -> list[list[HttpPart] | HttpPart]:
    """Top-level answers in request order: a list (a committed change set) or one part (a read, or a
    failed change set's single error)."""
    out: list[list[HttpPart] | HttpPart] = []
    for blob in _split_multipart(body, boundary_of(content_type)):
        headers, payload = _headers_and_rest(blob)
        ctype = headers.get("content-type", "")
        if ctype.lower().startswith("multipart/mixed"):
            inner = []
            for sub in _split_multipart(payload, boundary_of(ctype)):
                sub_headers, sub_payload = _headers_and_rest(sub)
                inner.append(_http_part(sub_headers, sub_payload))
            out.append(inner)
        else:
            out.append(_http_part(headers, payload))
    return out


# --- reading a change set's answer ---------------------------------------------------------------------


def _part_error(part: HttpPart) -> tuple[str | None, str | None, dict[str, Any]]:
    body = part.json()
    error = body.get("error", {}) if isinstance(body, dict) else {}
    message = error.get("message")
    if isinstance(message, dict):
        message = message.get("value")
    if not error and part.body:
        message = scrub(part.body.decode("utf-8", "replace")[:300])
    return error.get("code"), message, error.get("innererror") or {}


_CONTENT_ID = re.compile(r"^\d+\.(\d+)\.\d+$")


def _failed_index(changeset: list[Operation], part: HttpPart, inner: Mapping[str, Any], message: str) -> int | None:
    """Which operation failed: the Content-ID the ERP echoes (`cs.op.part`), else the one operation whose
    key the error message names (SAP messages name the material)."""
    candidates = [part.headers.get("content-id", "")]
    candidates += [
        str(d.get("ContentID") or d.get("contentid") or "")
        for d in inner.get("errordetails", []) or []
        if isinstance(d, Mapping)
    ]
    for cid in candidates:
        m = _CONTENT_ID.match(cid.strip())
        if m and 1 <= int(m.group(1)) <= len(changeset):
            return int(m.group(1)) - 1
    named = [
        i
        for i, op in enumerate(changeset)
        if re.search(rf"(?<![\w-]){re.escape(op.label.split(' ', 1)[1].split('/')[0])}(?![\w-])", message or "")
    ]
    return named[0] if len(named) == 1 else None


def changeset_result(changeset: list[Operation], answer: list[HttpPart] | HttpPart) -> ChangesetResult:
    """The outcome of one change set from its parsed `$batch` answer (a list of parts, or one error part)."""
    if isinstance(answer, HttpPart):  # the change set failed as a whole: one error for all of it
        code, message, inner = _part_error(answer)
        index = _failed_index(changeset, answer, inner, message or "")
        ops = [OperationResult(op, ok=False) for op in changeset]
        if index is not None:
            ops[index] = OperationResult(
                changeset[index], ok=False, status=answer.status, error_code=code, error_message=message
            )
        return ChangesetResult(False, ops, answer.status, code, message, index)
    expected = sum(len(op.parts) for op in changeset)
    if len(answer) != expected:
        raise ValueError(f"erp: change set answered {len(answer)} parts for {expected} requests")
    ops, cursor = [], 0
    for op in changeset:
        parts = answer[cursor : cursor + len(op.parts)]
        cursor += len(op.parts)
        first = parts[0].json()
        entity = first.get("d") if isinstance(first, dict) else None
        body = op.parse(entity) if op.parse and isinstance(entity, dict) else None
        etag = parts[0].headers.get("etag") if len(op.parts) == 1 else None
        ops.append(OperationResult(op, ok=True, status=parts[-1].status, body=body, etag=etag))
    return ChangesetResult(True, ops, 200)
