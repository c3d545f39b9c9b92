"""Kubernetes resource quantities (``500m``, ``2Gi``, ``1e3``): read, compared, explained.

The pattern is the one the API server (and KServe's CRD) accepts. Beyond it, a quantity
tiffin writes must be positive, and a memory quantity in milli-units (``512m``: half a
byte) is refused as the slip it always is.
"""

from __future__ import annotations

import re
from decimal import Decimal

QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?P<suffix>[KMGTPE]i|[numkMGTPE]|[eE][+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))?$"
)
BINARY = {f"{p}i": Decimal(1024) ** (n + 1) for n, p in enumerate("KMGTPE")}
DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
EXAMPLES = {"cpu": "500m, 1 or 2.5 (cores)", "memory": "512Mi, 2Gi or 2G"}


def parse(text: str) -> Decimal | None:
    """The value of a quantity in base units (cores, bytes), or None if it is not one."""
    found = QUANTITY.match(text)
    if not found:
        return None
    number, suffix = Decimal(found["number"]), found["suffix"] or ""
    scale = BINARY.get(suffix) or DECIMAL.get(suffix)
    if scale is None:  # an exponent: e3, E-2
        scale = Decimal(10) ** Decimal(suffix[1:])
    return number * scale


def problem(resource: str, text: str) -> str | None:
    """What is wrong with ``text`` as a quantity of ``resource``, or None when it is fine."""
    value = parse(text)
    if value is None:
        return f"{text!r} is not a Kubernetes quantity ({hint(resource)})"
    if value <= 0:
        return f"{text!r} is not positive"
    if resource == "memory" and text.endswith("m"):
        return f"{text!r} is {value.normalize():f} bytes: 'm' means thousandths ({hint(resource)})"
    return None


def hint(resource: str) -> str:
    """Examples of good quantities of ``resource``."""
    return f"e.g. {EXAMPLES.get(resource, '1, 500m or 2Gi')}"
