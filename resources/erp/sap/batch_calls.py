"""Sending change sets as OData `$batch` calls: checked, grouped into as few calls as `batch_size` allows
(split only between change sets, one service per call), one result per change set, in order.

The wire format (multipart body, parsed answers) is resources/erp/sap/batch.py; `ERPClient.batch` calls here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from resources.erp.sap.batch import ChangesetResult, Operation, build_batch, changeset_result, parse_batch
from resources.erp.sap.http import send_write
from resources.transport import ApiClient


def send_changesets(
    api: ApiClient, changesets: list[list[Operation]], *, batch_size: int, log: logging.Logger | Any
) -> list[ChangesetResult]:
    """Check every change set before anything is sent, then send them group by group."""
    for number, changeset in enumerate(changesets, 1):
        _check_changeset(number, changeset, batch_size)
    results: list[ChangesetResult] = []
    for group in _groups(changesets, batch_size):
        results.extend(_send_group(api, group, log))
    return results


def _check_changeset(number: int, changeset: list[Operation], batch_size: int) -> None:
    if not changeset:
        raise ValueError(f"change set {number} is empty")
    if len(changeset) > batch_size:
        raise ValueError(
            f"change set {number} has {len(changeset)} operations; batch_size is "
            f"{batch_size} and a change set cannot be split"
        )
    if len({op.service for op in changeset}) > 1:
        raise ValueError(
            f"change set {number} mixes services (materials and BOMs): a change set "
            "travels in one $batch of one OData service"
        )


def _groups(changesets: list[list[Operation]], batch_size: int) -> Iterator[list[list[Operation]]]:
    group: list[list[Operation]] = []
    size = 0
    for changeset in changesets:
        same_service = not group or group[0][0].service == changeset[0].service
        if group and (size + len(changeset) > batch_size or not same_service):
            yield group
            group, size = [], 0
        group.append(changeset)
        size += len(changeset)
    if group:
        yield group


def _send_group(api: ApiClient, group: list[list[Operation]], log: logging.Logger | Any) -> list[ChangesetResult]:
    service = group[0][0].service
    content_type, body = build_batch(group)
    response = send_write(
        api,
        "POST",
        f"{service}/$batch",
        route=f"{service}/$batch",
        content=body,
        headers={"Content-Type": content_type, "Accept": "multipart/mixed"},
    )
    answers = parse_batch(response.headers.get("Content-Type", ""), response.content)
    if len(answers) != len(group):
        raise ValueError(f"erp: $batch answered {len(answers)} parts for {len(group)} change sets")
    results = [changeset_result(cs, answer) for cs, answer in zip(group, answers, strict=True)]
    failed = sum(1 for r in results if not r.ok)
    log.info(
        "erp: $batch to %s: %d change set(s), %d operation(s), %d failed",
        service,
        len(group),
        sum(len(cs) for cs in group),
        failed,
    )
    return results
