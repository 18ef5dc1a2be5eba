"""The seed catalog: deterministic parts, BOMs and change orders every sandbox system starts from.

`build_catalog("demo")` gives three released top-level assemblies (a pump skid with 600+ distinct
components over 10 BOM levels, a conveyor module and a control cabinet) that share subassemblies and a
standard-hardware library. `build_catalog("large", assemblies=..., depth=..., breadth=...)` gives a
parametric catalog of up to 50,000 parts for benchmarks. Same profile + seed + params => same catalog.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

MAX_PARTS = 50_000
DEMO_MIN_DEEP_COMPONENTS = 620  # the brief asks for at least 600; a margin keeps it true for every seed
DEMO_DEEP_LEVELS = 10


@dataclass(frozen=True)
class CatalogPart:
    """One PLM item at its effective revision."""

    number: str
    name: str
    revision: str
    uom: str
    category: str
    make_buy: str  # "MAKE" | "BUY"
    lifecycle_phase: str
    attributes: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class CatalogBomLine:
    """One line of a parent's single-level BOM; (parent, find_number) is unique."""

    parent: str
    find_number: int
    component: str
    quantity: Decimal
    ref_des: str = ""
    notes: str = ""


@dataclass
class CatalogChange:
    """A change order: EFFECTIVE ones explain revisions past A; OPEN ones are still being worked."""

    number: str
    title: str
    status: str  # "OPEN" | "EFFECTIVE"
    affected: list[str]  # item numbers


@dataclass
class Catalog:
    parts: list[CatalogPart]
    bom_lines: list[CatalogBomLine]
    top_assemblies: list[str]
    changes: list[CatalogChange]

    def purchased_parts(self) -> list[CatalogPart]:
        """BUY parts sorted by number (the ERP seeds a few of these as existing materials)."""
        return sorted((p for p in self.parts if p.make_buy == "BUY"), key=lambda p: p.number)

    def part(self, number: str) -> CatalogPart:
        """The part with this item number (KeyError naming it if unknown)."""
        for p in self.parts:
            if p.number == number:
                return p
        raise KeyError(f"catalog has no part {number!r}")

    def children(self, parent: str) -> list[CatalogBomLine]:
        """The single-level BOM of `parent`, by find number."""
        return sorted((b for b in self.bom_lines if b.parent == parent), key=lambda b: b.find_number)


# --- the part kinds: category, make/buy, unit, names, attribute and quantity generators -------------


@dataclass(frozen=True)
class _Kind:
    category: str
    make_buy: str
    uom: str
    nouns: tuple[str, ...]
    qualifiers: tuple[str, ...]
    quantities: tuple[str, ...]  # typical quantities per parent, in `uom`
    ref_prefix: str = ""  # electrical reference designator prefix


_KINDS: dict[str, _Kind] = {
    "machined": _Kind(
        "Machined Part",
        "MAKE",
        "EA",
        (
            "Shaft",
            "Bushing",
            "Spacer",
            "Flange",
            "Hub",
            "Pin",
            "Adapter Plate",
            "Coupling Half",
            "Bearing Housing",
            "Manifold Block",
            "Pulley",
            "End Cap",
            "Clamp Block",
        ),
        ("Ø25", "Ø40", "Ø60", "Stepped", "Keyed", "Threaded", "Slotted", "Drive-Side", "Idler-Side"),
        ("1", "1", "2", "2", "4"),
    ),
    "sheet": _Kind(
        "Sheet Metal",
        "MAKE",
        "EA",
        (
            "Bracket",
            "Cover Panel",
            "Gusset",
            "Mounting Plate",
            "Guard",
            "Side Rail",
            "Base Pan",
            "Cable Tray",
            "Door Panel",
            "Stiffener",
        ),
        ("2 mm", "3 mm", "Left", "Right", "Upper", "Lower", "Perforated", "Formed"),
        ("1", "1", "2", "2", "4"),
    ),
    "weldment": _Kind(
        "Weldment",
        "MAKE",
        "EA",
        ("Base Frame", "Support Leg", "Crossmember", "Lifting Lug", "Skid Rail", "Stand"),
        ("Heavy-Duty", "Galvanized", "Short", "Long", "Front", "Rear"),
        ("1", "1", "2", "4"),
    ),
    "fastener": _Kind(
        "Fastener",
        "BUY",
        "EA",
        (
            "Hex Bolt",
            "Socket Head Cap Screw",
            "Hex Nut",
            "Flat Washer",
            "Lock Washer",
            "Set Screw",
            "Rivet",
            "Threaded Insert",
            "Dowel Pin",
        ),
        ("M4x10", "M5x12", "M6x16", "M8x20", "M8x30", "M10x25", "M10x40", "M12x35", "M16x50", "A2-70", "8.8 Zinc"),
        ("2", "4", "4", "6", "8", "12", "16"),
    ),
    "bearing": _Kind(
        "Bearing & Seal",
        "BUY",
        "EA",
        ("Deep Groove Ball Bearing", "Pillow Block Bearing", "O-Ring", "Shaft Seal", "Mechanical Seal", "Gasket"),
        ("6204-2RS", "6206-ZZ", "UCP205", "NBR 70", "FKM", "EPDM", "Ø35x52x7"),
        ("1", "2", "2", "4"),
    ),
    "electrical": _Kind(
        "Electrical Component",
        "BUY",
        "EA",
        (
            "Contactor",
            "Circuit Breaker",
            "Fuse Holder",
            "Terminal Block",
            "Relay",
            "Proximity Sensor",
            "Pressure Transmitter",
            "Push Button",
            "Pilot Light",
            "Power Supply 24 VDC",
            "PLC I/O Module",
            "Motor Starter",
            "Emergency Stop",
        ),
        ("3-Pole", "2-Pole", "10 A", "16 A", "25 A", "IP67", "M12", "4-20 mA", "Green", "Red"),
        ("1", "1", "2", "3", "6"),
        ref_prefix="K",
    ),
    "purchased_asm": _Kind(
        "Purchased Assembly",
        "BUY",
        "EA",
        (
            "Gearmotor",
            "Centrifugal Pump",
            "Induction Motor",
            "Variable Frequency Drive",
            "Solenoid Valve",
            "Ball Valve",
            "Check Valve",
            "Pressure Gauge",
            "Flow Meter",
            "HMI Panel",
        ),
        ("0.75 kW", "2.2 kW", "5.5 kW", "DN25", "DN50", "PN16", "IP55", "7 in"),
        ("1", "1", "1", "2"),
    ),
    "cable": _Kind(
        "Cable & Wire",
        "BUY",
        "m",
        ("Control Cable", "Power Cable", "Hook-Up Wire", "Shielded Sensor Cable", "Earth Wire"),
        ("3G1.5", "4G2.5", "5G4", "1.5 mm² Blue", "0.75 mm² Black", "4x0.34 mm²", "Green/Yellow 6 mm²"),
        ("0.5", "1.25", "2", "3.5", "12"),
    ),
    "tube": _Kind(
        "Tubing & Hose",
        "BUY",
        "mm",
        ("Stainless Tube", "PTFE Hose", "Pneumatic Tubing", "Cable Sleeve", "Heat Shrink"),
        ("Ø6x1", "Ø8x1", "Ø12x1.5", "Ø25x2", "Ø3.2", "Ø9.5"),
        ("150", "250", "480", "750", "1200.5"),
    ),
    "fluid": _Kind(
        "Fluid & Chemical",
        "BUY",
        "L",
        ("Gear Oil", "Hydraulic Oil", "Grease", "Coolant", "Thread Locker", "Sealant"),
        ("ISO VG 220", "ISO VG 46", "EP2", "Medium Strength", "Anaerobic"),
        ("0.05", "0.25", "0.5", "1.5", "4"),
    ),
    "fluid_small": _Kind(
        "Fluid & Chemical",
        "BUY",
        "ml",
        ("Thread Locker", "Contact Cleaner", "Anti-Seize Compound", "Touch-Up Paint"),
        ("Blue 243", "Red 271", "RAL 5015", "RAL 7035", "Copper"),
        ("2", "5", "10", "25", "50"),
    ),
    "raw_kg": _Kind(
        "Raw Material",
        "BUY",
        "kg",
        ("Steel Round Bar", "Aluminium Plate", "Stainless Sheet", "Brass Hex Bar", "Welding Wire"),
        ("S355", "6061-T6", "304", "316L", "CuZn39Pb3", "ER70S-6"),
        ("0.35", "0.85", "1.2", "2.75", "6"),
    ),
    "raw_g": _Kind(
        "Raw Material",
        "BUY",
        "g",
        ("Silver Solder", "Copper Foil", "Insulating Varnish", "PTFE Tape", "Epoxy Resin"),
        ("56% Ag", "0.1 mm", "Class F", "12 mm", "2K"),
        ("5", "12.5", "30", "75", "120"),
    ),
}

_SUBASSEMBLY_NOUNS = (
    "Motor Mount Assembly",
    "Drive Assembly",
    "Impeller Assembly",
    "Bearing Assembly",
    "Seal Assembly",
    "Frame Assembly",
    "Piping Assembly",
    "Valve Manifold Assembly",
    "Guard Assembly",
    "Idler Assembly",
    "Tensioner Assembly",
    "Roller Assembly",
    "Belt Drive Assembly",
    "Sensor Bracket Assembly",
    "Junction Box Assembly",
    "Wiring Harness",
    "Panel Assembly",
    "DIN Rail Assembly",
    "Door Assembly",
    "Gearbox Assembly",
    "Coupling Assembly",
    "Base Assembly",
    "Instrument Assembly",
    "Lubrication Assembly",
)
_SUBASSEMBLY_QUALIFIERS = (
    "Main",
    "Auxiliary",
    "Inlet",
    "Outlet",
    "Drive-End",
    "Non-Drive-End",
    "Left",
    "Right",
    "Upper",
    "Lower",
    "Stage 1",
    "Stage 2",
    "Stage 3",
    "Primary",
    "Secondary",
)
_MATERIALS = (
    "S355 Steel",
    "316L Stainless Steel",
    "304 Stainless Steel",
    "6061-T6 Aluminium",
    "Cast Iron GJL-250",
    "Brass CuZn39Pb3",
    "POM-C",
    "PA6",
)
_FINISHES = (
    "Powder Coat RAL 5015",
    "Powder Coat RAL 7035",
    "Zinc Plated",
    "Anodized Clear",
    "Passivated",
    "Hot-Dip Galvanized",
    "As Machined",
)
_SUPPLIERS = (
    "Northwind Components",
    "Keystone Industrial Supply",
    "Baltic Motion",
    "Ridgeline Electric",
    "Harbor Fluid Systems",
    "Summit Fasteners",
    "Meridian Cable Works",
)
_REVISIONS = ("A", "A", "A", "B", "B", "C", "D")
_NOTES = (
    "",
    "",
    "",
    "",
    "",
    "Torque to 25 Nm",
    "Apply thread locker",
    "Align with index mark",
    "Cut to length at assembly",
    "Use matched pair",
    "Grease before fitting",
)
_MIX_DEEP = (
    "machined",
    "sheet",
    "fastener",
    "fastener",
    "bearing",
    "electrical",
    "purchased_asm",
    "cable",
    "tube",
    "fluid",
    "fluid_small",
    "raw_kg",
    "raw_g",
    "weldment",
)


class _Factory:
    """Mints parts with realistic numbers, names and attributes from one seeded random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.parts: dict[str, CatalogPart] = {}
        self.lines: list[CatalogBomLine] = []
        self.by_parent: dict[str, list[CatalogBomLine]] = {}
        self._next_asm = 10001
        self._next_prt = 200001 + rng.randrange(0, 400)
        self._names: set[str] = set()

    def _number(self, assembly: bool) -> str:
        if assembly:
            number, self._next_asm = f"ASM-{self._next_asm}", self._next_asm + self.rng.randint(1, 3)
        else:
            number, self._next_prt = f"PRT-{self._next_prt}", self._next_prt + self.rng.randint(1, 9)
        return number

    def _unique_name(self, base: str) -> str:
        name, n = base, 2
        while name in self._names:  # engineers add a variant suffix rather than reuse a description
            name, n = f"{base}, Var. {n}", n + 1
        self._names.add(name)
        return name

    def assembly(self, noun: str | None = None, qualifier: str | None = None, phase: str = "Production") -> str:
        rng = self.rng
        noun = noun or rng.choice(_SUBASSEMBLY_NOUNS)
        qualifier = qualifier or rng.choice(_SUBASSEMBLY_QUALIFIERS)
        part = CatalogPart(
            self._number(True),
            self._unique_name(f"{noun}, {qualifier}"),
            rng.choice(_REVISIONS),
            "EA",
            "Assembly",
            "MAKE",
            phase,
            {"drawing": "", "weight_kg": ""},
        )
        attrs = {"drawing": f"DWG-{part.number[4:]}", "weight_kg": f"{rng.uniform(0.5, 180):.2f}"}
        part = CatalogPart(**{**part.__dict__, "attributes": attrs})
        self.parts[part.number] = part
        return part.number

    def leaf(self, kind_key: str, phase: str = "Production") -> str:
        rng, kind = self.rng, _KINDS[kind_key]
        name = self._unique_name(f"{rng.choice(kind.nouns)}, {rng.choice(kind.qualifiers)}")
        number = self._number(False)
        if kind.make_buy == "MAKE":
            attrs = {
                "material": rng.choice(_MATERIALS),
                "finish": rng.choice(_FINISHES),
                "drawing": f"DWG-{number[4:]}",
            }
        else:
            attrs = {
                "supplier": rng.choice(_SUPPLIERS),
                "supplier_part_number": f"{rng.randint(100000, 999999)}-{rng.choice('ABCDEFGH')}{rng.randint(10, 99)}",
                "lead_time_days": str(rng.choice((3, 5, 10, 15, 30, 45))),
            }
        self.parts[number] = CatalogPart(
            number, name, rng.choice(_REVISIONS), kind.uom, kind.category, kind.make_buy, phase, attrs
        )
        return number

    def add_line(self, parent: str, component: str, kind_key: str | None = None) -> None:
        rng = self.rng
        siblings = self.by_parent.setdefault(parent, [])
        find_number = 10 * (1 + len(siblings))
        kind = _KINDS.get(kind_key or "")
        quantity = Decimal(rng.choice(kind.quantities)) if kind else Decimal(rng.choice(("1", "1", "1", "2")))
        ref_des = ""
        if kind and kind.ref_prefix:
            start = rng.randint(1, 40)
            count = int(quantity)
            ref_des = (
                f"{kind.ref_prefix}{start}"
                if count == 1
                else ",".join(f"{kind.ref_prefix}{start + i}" for i in range(count))
            )
        line = CatalogBomLine(parent, find_number, component, quantity, ref_des, rng.choice(_NOTES))
        self.lines.append(line)
        siblings.append(line)


class _DemoBuilder:
    """Builds the three demo assemblies with shared subassemblies and a standard-hardware library."""

    def __init__(self, seed: int) -> None:
        self.f = _Factory(random.Random(f"mfg-sync-demo-{seed}"))
        self.hardware = [self.f.leaf("fastener") for _ in range(30)]  # standard hardware, used everywhere
        self.consumables = [self.f.leaf(k) for k in ("fluid_small", "fluid_small", "fluid", "raw_g")]

    def leaves(self, parent: str, count: int, mix: tuple[str, ...] = _MIX_DEEP) -> None:
        f = self.f
        for _ in range(count):
            kind = f.rng.choice(mix)
            if kind == "fastener" and f.rng.random() < 0.5:
                component = f.rng.choice(self.hardware)
                if any(b.component == component for b in f.by_parent.get(parent, ())):
                    continue  # one line per hardware item per parent, as engineers would write it
            else:
                component = f.leaf(kind)
            f.add_line(parent, component, kind)

    def deep_tree(self, parent: str, level: int, by_level: dict[int, list[str]]) -> None:
        """Subassemblies down to level 9 (their leaves sit at level 10)."""
        fanout = (3, 2, 2, 1, 1, 1, 1, 1, 1, 0)[level]
        for _ in range(fanout):
            child = self.f.assembly()
            self.f.add_line(parent, child)
            by_level.setdefault(level + 1, []).append(child)
            self.deep_tree(child, level + 1, by_level)
        self.leaves(parent, self.f.rng.randint(3, 6))

    def distinct_below(self, top: str) -> set[str]:
        seen: set[str] = set()
        stack = [top]
        while stack:
            for b in self.f.by_parent.get(stack.pop(), ()):
                if b.component not in seen:
                    seen.add(b.component)
                    stack.append(b.component)
        return seen

    def build(self) -> Catalog:
        f = self.f
        pump = f.assembly("Pump Skid", "PS-200 Duplex")
        conveyor = f.assembly("Conveyor Module", "CM-1200 Belt")
        cabinet = f.assembly("Control Cabinet", "CC-800 Main")
        # Shared across assemblies: a motor mount (pump + conveyor) and a sensor harness (conveyor + cabinet).
        motor_mount = f.assembly("Motor Mount Assembly", "IEC 112")
        self.leaves(motor_mount, 6, ("machined", "sheet", "fastener", "bearing"))
        harness = f.assembly("Wiring Harness", "Sensor M12")
        self.leaves(harness, 5, ("cable", "electrical", "tube", "fastener"))

        by_level: dict[int, list[str]] = {0: [pump]}
        self.deep_tree(pump, 0, by_level)
        f.add_line(by_level[2][0], motor_mount)
        rails = by_level[3]
        while len(self.distinct_below(pump)) < DEMO_MIN_DEEP_COMPONENTS:
            self.leaves(f.rng.choice(rails + by_level[4]), 4)

        f.add_line(conveyor, motor_mount)
        f.add_line(conveyor, harness)
        for _ in range(4):
            sub = f.assembly()
            f.add_line(conveyor, sub)
            self.leaves(sub, f.rng.randint(4, 8))
            inner = f.assembly()
            f.add_line(sub, inner)
            self.leaves(inner, f.rng.randint(3, 6))
        self.leaves(conveyor, 6)

        # Shared within one assembly: the same DIN rail assembly sits in two panels of the cabinet.
        din_rail = f.assembly("DIN Rail Assembly", "Terminal Row")
        self.leaves(din_rail, 8, ("electrical", "electrical", "fastener", "cable"))
        for qualifier in ("Power Section", "Control Section"):
            panel = f.assembly("Panel Assembly", qualifier)
            f.add_line(cabinet, panel)
            f.add_line(panel, din_rail)
            self.leaves(panel, 10, ("electrical", "electrical", "cable", "fastener", "sheet", "tube"))
        f.add_line(cabinet, harness)
        door = f.assembly("Door Assembly", "Front")
        f.add_line(cabinet, door)
        self.leaves(door, 7, ("electrical", "sheet", "fastener", "bearing"))
        self.leaves(cabinet, 5, ("sheet", "weldment", "fastener", "fluid_small"))
        return self.finish([pump, conveyor, cabinet])

    def finish(self, tops: list[str]) -> Catalog:
        f = self.f
        used = {b.component for b in f.lines} | set(tops)
        # An unused consumable costs nothing but would be a part no BOM needs; drop such strays.
        parts = [p for n, p in f.parts.items() if n in used]
        changes = _changes(f.rng, parts, tops)
        new_part = f.leaf("machined", phase="In Design")  # released by the open change, not yet in any BOM
        parts.append(f.parts[new_part])
        changes[-1].affected.append(new_part)
        return Catalog(sorted(parts, key=lambda p: p.number), f.lines, tops, changes)


def _changes(rng: random.Random, parts: list[CatalogPart], tops: list[str]) -> list[CatalogChange]:
    """EFFECTIVE changes that released every revision past A, then two OPEN ones still in work."""
    titles = (
        "Material change for corrosion resistance",
        "Tolerance update after first article",
        "Supplier change for purchased hardware",
        "Cost reduction: fewer fasteners",
        "Cable length correction",
        "Drawing cleanup and title block update",
    )
    revised = sorted(p.number for p in parts if p.revision != "A")
    changes: list[CatalogChange] = []
    for i in range(0, len(revised), 60):
        changes.append(
            CatalogChange(f"ECO-{1001 + len(changes):06d}", rng.choice(titles), "EFFECTIVE", revised[i : i + 60])
        )
    changes.append(
        CatalogChange(
            f"ECO-{1001 + len(changes):06d}",
            "Seal upgrade on pump skid",
            "OPEN",
            [tops[0], *rng.sample([p.number for p in parts if p.make_buy == "MAKE" and p.number not in tops], 2)],
        )
    )
    changes.append(CatalogChange(f"ECO-{1001 + len(changes):06d}", "New bracket for conveyor sensor", "OPEN", []))
    return changes


def _build_large(seed: int, assemblies: int, depth: int, breadth: int, width: int) -> Catalog:
    """assemblies x (1 + width*(depth-1)) assembly nodes, each with `breadth` leaf parts."""
    for name, value, low in (
        ("assemblies", assemblies, 1),
        ("depth", depth, 1),
        ("breadth", breadth, 1),
        ("width", width, 1),
    ):
        if value < low:
            raise ValueError(f"large catalog: {name} must be >= {low}, got {value}")
    expected = assemblies * (1 + width * (depth - 1)) * (breadth + 1) + 30
    if expected > MAX_PARTS:
        raise ValueError(
            f"large catalog: assemblies={assemblies} depth={depth} breadth={breadth} width={width} "
            f"gives about {expected} parts, over the limit of {MAX_PARTS}"
        )
    builder = _DemoBuilder(seed)
    builder.f.rng.seed(f"mfg-sync-large-{seed}")
    f, tops = builder.f, []
    for a in range(assemblies):
        top = f.assembly(("Pump Skid", "Conveyor Module", "Control Cabinet")[a % 3], f"Line {a + 1}")
        tops.append(top)
        previous = [top]
        for _level in range(1, depth):
            current = [f.assembly() for _ in range(width)]
            for i, child in enumerate(current):
                f.add_line(previous[i % len(previous)], child)
            if previous[-1] != previous[0]:  # one shared subassembly per level: a second parent uses it too
                f.add_line(previous[-1], current[0])
            previous = current
            for node in current:
                builder.leaves(node, breadth)
        builder.leaves(top, breadth)
    return builder.finish(tops)


def build_catalog(profile: str = "demo", seed: int = 7, **params: int) -> Catalog:
    """The seed catalog for `profile` ("demo" or "large"); deterministic for a given seed and params.

    large params (keywords): assemblies (default 3), depth (6), breadth (20 leaf parts per assembly node),
    width (3 subassemblies per level); at most 50,000 parts.
    """
    if profile == "demo":
        if params:
            raise ValueError(f"demo catalog takes no params, got {sorted(params)}")
        return _DemoBuilder(seed).build()
    if profile == "large":
        known = {"assemblies": 3, "depth": 6, "breadth": 20, "width": 3}
        unknown = set(params) - set(known)
        if unknown:
            raise ValueError(f"large catalog: unknown params {sorted(unknown)}; known: {sorted(known)}")
        return _build_large(seed, **{**known, **params})
    raise ValueError(f"unknown catalog profile {profile!r}; expected 'demo' or 'large'")
