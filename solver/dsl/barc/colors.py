"""The ten ARC colours under BARC's names (``Color.RED == 2``, ...)."""

from __future__ import annotations


class _Palette(type):
    """Gives ``Color`` its colour lists as class attributes that are fresh lists on every access.

    BARC's lists are plain mutable class attributes, so a program that does
    ``Color.NOT_BLACK.remove(c)`` would change them for every later program sharing the class.
    A fresh list per access keeps list behaviour (``+``, ``remove``, ``random.sample``) without
    that leak.
    """

    @property
    def ALL_COLORS(cls) -> list[int]:
        """All ten colours, black first."""
        return [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]

    @property
    def NOT_BLACK(cls) -> list[int]:
        """The nine colours other than black."""
        return [1, 2, 3, 4, 5, 6, 7, 8, 9]


class Color(metaclass=_Palette):
    """Integer constants for the ARC palette, named as BARC's ``common.py`` names them.

    ``Color.ALL_COLORS`` and ``Color.NOT_BLACK`` are lists (see ``_Palette``). TRANSPARENT and
    BACKGROUND are BARC's aliases of BLACK; GRAY is an alias of GREY.
    """

    BLACK = 0
    BLUE = 1
    RED = 2
    GREEN = 3
    YELLOW = 4
    GREY = 5
    GRAY = 5
    PINK = 6
    ORANGE = 7
    TEAL = 8
    MAROON = 9
    TRANSPARENT = 0
    BACKGROUND = 0
