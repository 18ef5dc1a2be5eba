"""What the MES holds on day one: an article per manufactured catalog part (keyed by its ERP material
number, in the part's category) with one released work instruction each; no product orders, no triggers."""

from __future__ import annotations

import functools

from sandbox.catalog import CatalogPart, build_catalog
from sandbox.mes.store import MESStore

# what an operator records at the end of each work instruction (name -> unit)
MEASURED = {"Assembly": {"torque_nm": "Nm"}, "Weldment": {"seam_length_mm": "mm"}}
DEFAULT_MEASURED = {"flatness_mm": "mm"}


@functools.lru_cache(maxsize=4)
def manufactured_parts(profile: str, seed: int) -> tuple[CatalogPart, ...]:
    return tuple(
        sorted((p for p in build_catalog(profile, seed).parts if p.make_buy == "MAKE"), key=lambda p: p.number)
    )


def seed_store(store: MESStore, profile: str, seed: int) -> None:
    """Wipe and reseed in one transaction."""
    with store.tx() as c:
        store.clear(c)
        store.set_meta(c, "profile", profile)
        store.set_meta(c, "seed", str(seed))
        for index, part in enumerate(manufactured_parts(profile, seed), 1):
            article_id, instruction_id = f"ART-{index:06d}", f"WI-{index:06d}"
            measured = MEASURED.get(part.category, DEFAULT_MEASURED)
            store.put(
                c,
                "work_instruction",
                instruction_id,
                {
                    "id": instruction_id,
                    "articleId": article_id,
                    "name": f"Build {part.name}"[:80],
                    "version": 1,
                    "status": "RELEASED",
                    "steps": [
                        {"position": 1, "title": "Pick the components of the order"},
                        {"position": 2, "title": f"Assemble {part.number}"},
                        {"position": 3, "title": "Inspect and record", "measures": sorted(measured)},
                    ],
                },
            )
            store.put(
                c,
                "article",
                article_id,
                {
                    "id": article_id,
                    "number": part.number,
                    "erpMaterial": part.number,
                    "name": part.name[:80],
                    "category": part.category,
                    "unit": part.uom,
                    "workInstructionId": instruction_id,
                    "measuredParameters": measured,
                },
            )
