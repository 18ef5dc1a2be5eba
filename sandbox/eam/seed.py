"""What the EAM holds on day one, deterministic from the shared catalog (`sandbox.catalog`).

Storerooms CENTRAL, MAINT and LINE1 of site P1000; MRO items that are ERP materials (the ERP's preloaded
purchased parts and spare parts of the pump skid, conveyor and cabinet) plus items only the EAM knows;
assets for the installed pumps, conveyors and cabinet (P-101, ...); work orders across every status with
planned materials, reservations where approved, issues and some returns where work started. The `large`
profile generates `workorders` (default 20,000) the same way, in one bulk insert.
"""

from __future__ import annotations

import functools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.catalog import Catalog, CatalogPart, build_catalog
from sandbox.eam.store import EAMStore

SITE, ORG, ITEMSET = "P1000", "MFGORG", "SET1"
STOREROOMS = {"CENTRAL": "Central MRO stores", "MAINT": "Maintenance workshop", "LINE1": "Line 1 line-side stock"}
ERP_PRELOADED = 8  # the ERP sandbox preloads the catalog's first 8 purchased parts as materials
EAM_ONLY_ITEMS = (
    ("MRO-0001", "Nitrile Gloves, box of 100", "BOX"),
    ("MRO-0002", "Lint-Free Wipes", "PAK"),
    ("MRO-0003", "Contact Cleaner Spray 400 ml", "EA"),
    ("MRO-0004", "Cable Ties 200 mm, pack", "PAK"),
    ("MRO-0005", "Lubricating Grease Cartridge EP2", "EA"),
    ("MRO-0006", "Hydraulic Filter Element", "EA"),
)
ASSETS = (
    ("P-101", "Duplex pump skid PS-200, train A", "PUMPHOUSE-1", 0),
    ("P-102", "Duplex pump skid PS-200, train B", "PUMPHOUSE-1", 0),
    ("CV-201", "Belt conveyor CM-1200, infeed", "LINE1-INFEED", 1),
    ("CV-202", "Belt conveyor CM-1200, outfeed", "LINE1-OUTFEED", 1),
    ("CC-301", "Main control cabinet CC-800", "LINE1-MCC", 2),
    ("CC-302", "Pump house control cabinet CC-800", "PUMPHOUSE-1", 2),
)
STATUS_MIX = ("WAPPR", "WAPPR", "APPR", "APPR", "WMATL", "INPRG", "INPRG", "COMP", "CLOSE", "CAN")
WORK = {
    0: ("Replace mechanical seal on", "Inspect bearings of", "Vibration check", "Repack valve on"),
    1: ("Replace drive belt on", "Realign conveyor", "Replace idler bearings on", "Lubricate"),
    2: ("Thermographic inspection of", "Replace contactor in", "Tighten terminals in", "Replace fan filter in"),
}
COST_CENTRES = ("CC4100", "CC4200", "CC4300")
# (job plan, description, asset kind, (position among the ERP-known items, quantity) per spare part)
JOB_PLANS = (
    ("JP-PUMP-BRG", "Replace pump bearings", 0, ((0, 2.0), (1, 1.0))),
    ("JP-CONV-BRG", "Replace conveyor idler bearings", 1, ((2, 4.0),)),
    ("JP-CAB-FAN", "Replace cabinet fan and filter", 2, ((3, 1.0),)),
)
BASE_DATE = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.isoformat()


def _spares(catalog: Catalog, top: str, categories: tuple[str, ...], count: int) -> list[CatalogPart]:
    seen, stack = set(), [top]
    while stack:
        for line in catalog.children(stack.pop()):
            if line.component not in seen:
                seen.add(line.component)
                stack.append(line.component)
    return [p for p in (catalog.part(n) for n in sorted(seen)) if p.category in categories][:count]


@functools.lru_cache(maxsize=4)
def mro_items(seed: int) -> tuple[tuple[str, str, str, str], ...]:
    """(itemnum, description, unit, source) per item; source is ERP, SPARE:<kind> or EAM.

    Always from the demo catalog: the large profile scales work orders, not the storeroom's item list.
    """
    catalog = build_catalog("demo", seed)
    items: dict[str, tuple[str, str, str, str]] = {}
    for part in catalog.purchased_parts()[:ERP_PRELOADED]:
        items[part.number] = (part.number, part.name, part.uom.upper(), "ERP")
    pump, conveyor, cabinet = catalog.top_assemblies[:3]
    for kind, (top, cats) in enumerate(
        (
            (pump, ("Bearing & Seal", "Purchased Assembly")),
            (conveyor, ("Bearing & Seal", "Purchased Assembly")),
            (cabinet, ("Electrical Component",)),
        )
    ):
        for part in _spares(catalog, top, cats, 6):
            items.setdefault(part.number, (part.number, part.name, part.uom.upper(), f"SPARE:{kind}"))
    for number, name, unit in EAM_ONLY_ITEMS:
        items[number] = (number, name, unit, "EAM")
    return tuple(items.values())


def seed_store(store: EAMStore, profile: str, seed: int, workorders: int | None = None) -> None:
    """Wipe and reseed in one transaction."""
    if profile not in ("demo", "large"):
        raise ValueError(f"unknown EAM profile {profile!r}; expected 'demo' or 'large'")
    count = workorders if workorders is not None else (60 if profile == "demo" else 20_000)
    if not 1 <= count <= 200_000:
        raise ValueError(f"EAM workorders must be 1..200000, got {count}")
    rng = random.Random(f"mfg-sync-eam-{seed}")
    items = mro_items(seed)
    spares = {kind: [i[0] for i in items if i[3] == f"SPARE:{kind}"] or [items[0][0]] for kind in range(3)}
    general = [i[0] for i in items if i[3] in ("ERP", "EAM")]
    bins = {number: f"A-{pos + 1:02d}" for pos, (number, *_rest) in enumerate(items)}
    next_id = iter(range(1, 10**9))
    rows: list[tuple[int, str, int | None, str | None, dict[str, Any]]] = []
    wo_rows: list[tuple[int, str, int | None, str | None, dict[str, Any]]] = []
    spacing = timedelta(days=330) / count
    for n in range(count):
        wo_id, status = next(next_id), STATUS_MIX[n % len(STATUS_MIX)]
        assetnum, description, location, kind = ASSETS[rng.randrange(len(ASSETS))]
        reported = BASE_DATE + spacing * n
        stamp = iso(reported + timedelta(hours=rng.randint(2, 72)))
        wonum = str(1001 + n)
        wo = {
            "workorderid": wo_id,
            "wonum": wonum,
            "siteid": SITE,
            "orgid": ORG,
            "status": status,
            "description": f"{rng.choice(WORK[kind])} {assetnum}",
            "assetnum": assetnum,
            "location": location,
            "wopriority": rng.randint(1, 5),
            "worktype": rng.choice(("PM", "CM", "CM", "EM")),
            "glaccount": f"6100-400-{COST_CENTRES[kind]}",
            "costcenter": COST_CENTRES[kind],
            "reportdate": iso(reported),
            "statusdate": stamp,
            "changedate": stamp,
        }
        wo_rows.append((wo_id, "workorder", None, f"{SITE}/{wonum}", wo))
        for line_no in range(rng.randint(1, 3)):
            itemnum = rng.choice(spares[kind] if line_no < 2 else general)
            qty = float(rng.choice((1, 1, 2, 2, 4)))
            store_loc = rng.choice(("CENTRAL", "CENTRAL", "MAINT")) if line_no < 2 else "CENTRAL"
            wp_id = next(next_id)
            wo_rows.append(
                (
                    wp_id,
                    "wpmaterial",
                    wo_id,
                    None,
                    {
                        "wpitemid": wp_id,
                        "itemnum": itemnum,
                        "itemqty": qty,
                        "location": store_loc,
                        "linetype": "ITEM",
                        "requiredate": iso(reported + timedelta(days=3)),
                        "wonum": wonum,
                        "siteid": SITE,
                    },
                )
            )
            actual = 0.0
            if status in ("INPRG", "COMP", "CLOSE"):
                actual = qty
                wo_rows.append(
                    _transaction(next(next_id), wo_id, wonum, itemnum, store_loc, bins[itemnum], -qty, "ISSUE", stamp)
                )
                if line_no == 0 and qty > 1 and n % 3 == 0:  # some work used less than planned: a return
                    actual -= 1
                    wo_rows.append(
                        _transaction(
                            next(next_id), wo_id, wonum, itemnum, store_loc, bins[itemnum], 1.0, "RETURN", stamp
                        )
                    )
            if status in ("APPR", "WMATL", "INPRG", "COMP"):
                res_id = next(next_id)
                wo_rows.append(
                    (
                        res_id,
                        "invreserve",
                        wo_id,
                        None,
                        {
                            "invreserveid": res_id,
                            "itemnum": itemnum,
                            "location": store_loc,
                            "reservedqty": qty,
                            "actualqty": actual,
                            "wpitemid": wp_id,
                            "wonum": wonum,
                            "siteid": SITE,
                            "requireddate": iso(reported + timedelta(days=3)),
                        },
                    )
                )
    for number, name, unit, source in items:
        item_id = next(next_id)
        rows.append(
            (
                item_id,
                "item",
                None,
                f"{number}/{ITEMSET}",
                {
                    "itemid": item_id,
                    "itemnum": number,
                    "itemsetid": ITEMSET,
                    "description": name,
                    "orderunit": unit,
                    "issueunit": unit,
                    "status": "ACTIVE",
                    "rotating": False,
                    "erpmaterial": source != "EAM",
                },
            )
        )
    for number, _name, _unit, source in items:
        for store_loc in ("CENTRAL", "MAINT") if source.startswith("SPARE") else ("CENTRAL",):
            bal_id, curbal = next(next_id), float(rng.randint(20, 120))  # counted after the seeded issues
            rows.append(
                (
                    bal_id,
                    "invbalance",
                    None,
                    f"{number}/{store_loc}/{bins[number]}/{SITE}",
                    {
                        "invbalancesid": bal_id,
                        "itemnum": number,
                        "itemsetid": ITEMSET,
                        "location": store_loc,
                        "binnum": bins[number],
                        "siteid": SITE,
                        "curbal": curbal,
                        "physcnt": curbal,
                        "conditioncode": None,
                    },
                )
            )
    for pos, (assetnum, description, location, kind) in enumerate(ASSETS):
        asset_id = next(next_id)
        rows.append(
            (
                asset_id,
                "asset",
                None,
                f"{assetnum}/{SITE}",
                {
                    "assetid": asset_id,
                    "assetnum": assetnum,
                    "siteid": SITE,
                    "orgid": ORG,
                    "description": description,
                    "location": location,
                    "status": "OPERATING",
                    "serialnum": f"SN-{seed:02d}{pos + 1:04d}",
                    "externalrefid": f"{10000001 + pos}",
                    "assettype": ("PUMP", "CONVEYOR", "PANEL")[kind],
                    "changedate": iso(BASE_DATE),
                },
            )
        )
    job_plans = _job_plans(items, next_id)  # after everything else: the seeded rowstamps stay as they were
    with store.tx() as c:
        store.clear_data(c)
        store.insert_many(c, rows + wo_rows + job_plans)
        store.set_meta(c, "profile", profile)
        store.set_meta(c, "seed", str(seed))
        store.set_meta(c, "wonum", str(1001 + count))
        store.set_meta(c, "storerooms", ",".join(STOREROOMS))


def _job_plans(
    items: tuple[tuple[str, str, str, str], ...], next_id
) -> list[tuple[int, str, int | None, str | None, dict]]:
    """Job plans whose spare parts are items the ERP knows too (so a work request's parts can be reserved)."""
    erp_items = [i[0] for i in items if i[3] == "ERP"]
    rows: list[tuple[int, str, int | None, str | None, dict]] = []
    for jpnum, description, kind, parts in JOB_PLANS:
        jp_id = next(next_id)
        data = {"jobplanid": jp_id, "jpnum": jpnum, "siteid": SITE, "orgid": ORG, "description": description}
        data.update(status="ACTIVE", assettype=("PUMP", "CONVEYOR", "PANEL")[kind])
        rows.append((jp_id, "jobplan", None, f"{jpnum}/{SITE}", data))
        for position, quantity in parts:
            line_id = next(next_id)
            line = {"jpmaterialid": line_id, "jpnum": jpnum, "itemnum": erp_items[position], "itemqty": quantity}
            rows.append((line_id, "jpmaterial", jp_id, None, {**line, "location": "CENTRAL", "siteid": SITE}))
    return rows


def _transaction(
    trans_id: int,
    wo_id: int,
    wonum: str,
    itemnum: str,
    store_loc: str,
    binnum: str,
    quantity: float,
    issue_type: str,
    stamp: str,
) -> tuple[int, str, int, None, dict[str, Any]]:
    return (
        trans_id,
        "matusetrans",
        wo_id,
        None,
        {
            "matusetransid": trans_id,
            "itemnum": itemnum,
            "storeloc": store_loc,
            "binnum": binnum,
            "quantity": quantity,
            "positivequantity": abs(quantity),
            "issuetype": issue_type,
            "transdate": stamp,
            "refwo": wonum,
            "siteid": SITE,
        },
    )
