"""Durations on the command line: "90", "90s", "5m", "1h30m", "11.5h"."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)([hms]?)")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "": 1.0}


def parse_duration(text: str) -> float:
    """Seconds in ``text``; a bare number is seconds. Raises ``ValueError`` with the accepted forms."""
    cleaned = text.strip().lower().replace(" ", "")
    parts = _PART.findall(cleaned)
    if not cleaned or "".join(n + u for n, u in parts) != cleaned or (len(parts) > 1 and any(u == "" for _, u in parts)):
        raise ValueError(f"cannot read duration {text!r}; use e.g. 90s, 5m, 1h30m or 11.5h")
    return sum(float(number) * _SECONDS[unit] for number, unit in parts)
