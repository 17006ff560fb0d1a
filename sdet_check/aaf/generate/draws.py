"""Random draws of the population: names, titles, phones, addresses, birth dates."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sdet_check.aaf import names

if TYPE_CHECKING:
    from sdet_check.aaf.generate.structures import Structure


class Draws:
    """Draws people's details from the run's one random generator (the order makes the set)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def person(self, girl: bool | None = None) -> tuple[str, str, str]:
        """A surname, a first name and a title (drawn girl or boy unless ``girl`` says)."""
        rng = self.rng
        if girl is None:
            girl = rng.random() < 0.5
        first = rng.choice(names.GIRLS if girl else names.BOYS)
        return rng.choice(names.SURNAMES), first, "Mme" if girl else "M."

    def phone(self, prefix: str) -> str:
        """A ten-digit phone number starting with ``prefix``."""
        return prefix + "".join(str(self.rng.randint(0, 9)) for _ in range(8))

    def address(self, s: Structure) -> list[tuple[str, list[str]]]:
        """The address attributes of someone living in the structure's town."""
        town, postcode, _, _ = s.town
        street = f"{self.rng.randint(1, 150)} {self.rng.choice(names.STREETS).upper()}"
        return [
            ("ENTPersonAdresse", [f"{street}$$$"]),
            ("ENTPersonCodePostal", [postcode]),
            ("ENTPersonVille", [town]),
            ("ENTPersonPays", ["FRANCE"]),
        ]

    def birth(self, year: int) -> str:
        """A birth date in ``year``, as AAF writes it (dd/mm/yyyy)."""
        day = date(year, 1, 1) + timedelta(days=self.rng.randint(0, 364))
        return day.strftime("%d/%m/%Y")


def ascii_text(text: str) -> str:
    """``text`` without its accents (for mail addresses)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("Œ", "OE").replace("œ", "oe"))
    return "".join(c for c in decomposed if c.isascii())
