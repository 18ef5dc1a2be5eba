"""Bench support: the naive baseline - what a straightforward integration does without batching or delta
detection. Same PLM extract and mapping as the real sync; then one ERP write call per record:
materials created one by one (updated when they already exist), each BOM level as a new draft version
filled item by item and released. A re-sync rewrites every record of the assembly, changed or not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from orchestration.settings import load_mapping_spec
from resources.erp import ERPClient, ERPResource
from resources.plm import PLMResource
from resources.transport.errors import ApiError
from sync.keys import KEY_FIELDS, header_key_of_item
from sync.mapping import MappedBom, map_released_bom

HEADER_KEY_FIELDS = frozenset(KEY_FIELDS["bom_header"])
PRODUCT_EXISTS = "M3/302"  # SAP answers a duplicate product with 400 and this message, not 409


@dataclass
class NaiveCounts:
    """Records written (a shared material once per assembly that uses it) and the distinct keys."""

    writes: int = 0
    keys: set[str] = field(default_factory=set)

    def add(self, entity: str, keys: Iterable[str]) -> None:
        new = [f"{entity}:{key}" for key in keys]
        self.writes += len(new)
        self.keys.update(new)


@dataclass
class NaiveSync:
    """The baseline, against its own ERP."""

    plm_url: str
    erp_url: str
    plm_requests_per_s: int = 200
    erp_requests_per_s: int | None = 15

    def extract(self, number: str) -> MappedBom:
        """The same released-BOM walk and mapping the real assets use."""
        plm = PLMResource(url=self.plm_url, rate_limit_requests=self.plm_requests_per_s)
        with plm.client() as client:
            released = client.released_bom(number)
        mapped = map_released_bom(load_mapping_spec(), released.parts, released.lines)
        if mapped.errors:
            raise ValueError(f"{number}: {len(mapped.errors)} record(s) failed to map, e.g. {mapped.errors[0]}")
        return mapped

    def sync(self, numbers: list[str], existing: bool = False) -> NaiveCounts:
        """Write every record of each assembly; `existing=True` (a re-sync) updates materials directly."""
        counts = NaiveCounts()
        erp_resource = ERPResource(url=self.erp_url, rate_limit_requests=self.erp_requests_per_s)
        with erp_resource.client() as erp:
            for number in numbers:
                mapped = self.extract(number)
                for key, material in mapped.materials.items():
                    write_material(erp, key, material, existing)
                counts.add("material", mapped.materials)
                items_by_header: dict[str, list[Mapping[str, Any]]] = {}
                for item_key, item in mapped.bom_items.items():
                    items_by_header.setdefault(header_key_of_item(item_key), []).append(item)
                for key, header in mapped.bom_headers.items():
                    items = items_by_header.get(key, [])
                    write_bom(erp, header, items)
                counts.add("bom_header", mapped.bom_headers)
                counts.add("bom_item", mapped.bom_items)
        return counts


def write_material(erp: ERPClient, key: str, material: Mapping[str, Any], existing: bool) -> None:
    """Create the material; when it exists (or is known to), overwrite it without comparing first."""
    if not existing:
        try:
            with _quiet("resources.transport"):  # the expected "already exists" is no warning here
                erp.create_material(material)
            return
        except ApiError as exc:
            if exc.code != PRODUCT_EXISTS:
                raise
            # seeded, or shared with an assembly synced earlier: overwrite it below
    erp.update_material(key, material, "*")


def write_bom(erp: ERPClient, header: Mapping[str, Any], items: list[Mapping[str, Any]]) -> None:
    """A new draft version, then one call per item, then release (a released version is read-only)."""
    bom = erp.create_bom(header, [], draft=True)
    for item in items:
        erp.create_bom_item(bom, {k: v for k, v in item.items() if k not in HEADER_KEY_FIELDS})
    erp.release_bom_version(bom)


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
