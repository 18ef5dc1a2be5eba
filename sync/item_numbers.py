"""What an item number from the PLM may look like before anything searches or stores by it.

Broader than the BOM check's part-number pattern (that one is a business rule the analysts configure): this
rule only keeps out what no item number holds and what would break a lookup - wildcards that turn a search
into "every item", control characters, lone surrogates (not encodable, so no request or row can carry them),
and unbounded lengths.
"""

from __future__ import annotations

import re

MAX_ITEM_NUMBER_LENGTH = 64
ITEM_NUMBER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/+#-]*")
WILDCARDS = frozenset("*?%")


def item_number_problem(value: object) -> str | None:
    """Why `value` is not an acceptable item number (one short phrase), or None when it is."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if not value:
        return "is empty"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        return "holds a lone surrogate (not valid Unicode text)"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value):
        return "holds a control character"
    wildcards = sorted(WILDCARDS.intersection(value))
    if wildcards:
        return f"holds the wildcard {wildcards[0]!r}"
    if len(value) > MAX_ITEM_NUMBER_LENGTH:
        return f"is {len(value)} characters long (at most {MAX_ITEM_NUMBER_LENGTH})"
    if not ITEM_NUMBER_PATTERN.fullmatch(value):
        return f"does not match {ITEM_NUMBER_PATTERN.pattern} (letters, digits and . _ / + # -)"
    return None
