"""Dead letters grouped into incidents: the records one failure took down together (an outage failing a
`$batch` call, one rejected change set) share their run, error code and message, so a person sees one
incident with its records, not one line per record. Each record keeps its own dead letter (and its link to
the record's state); a later success resolves each, so replaying the incident resolves it as a whole."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from resources.state.dead_letters import DeadLetter
from sync.severity import gravest


@dataclass(frozen=True)
class Incident:
    flow: str
    run_id: int | None
    error_code: str
    message: str
    retryable: bool
    status: str
    records: tuple[tuple[str, str], ...]  # (entity, key), in dead-letter order
    dead_letter_ids: tuple[int, ...]
    attempts: int  # the most attempts of any of its records
    first_seen: datetime
    last_seen: datetime
    severity: str = "operational"  # the gravest of its records'

    @property
    def by_entity(self) -> dict[str, int]:
        return dict(Counter(entity for entity, _ in self.records))


def group_incidents(letters: Sequence[DeadLetter]) -> list[Incident]:
    """Live dead letters (oldest first) as incidents, oldest first: one per run, code and message."""
    groups: dict[tuple, list[DeadLetter]] = {}
    for letter in letters:
        groups.setdefault((letter.flow, letter.run_id, letter.error_code, letter.message), []).append(letter)
    return [
        Incident(
            flow,
            run_id,
            code,
            message,
            any(d.retryable for d in group),
            "retrying" if all(d.status == "retrying" for d in group) else "open",
            tuple((d.entity, d.key) for d in group),
            tuple(d.id for d in group),
            max(d.attempts for d in group),
            min(d.first_seen for d in group),
            max(d.last_seen for d in group),
            gravest([d.severity for d in group]),
        )
        for (flow, run_id, code, message), group in groups.items()
    ]
