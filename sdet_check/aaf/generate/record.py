"""One request of an AAF file (add, modify, delete) and its XML text."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from sdet_check.aaf.families import CATEGORIES, Family
from sdet_check.aaf.model import Op


@dataclass
class Record:
    """A request to write: type, family, join key and attributes in order.

    ``extra_xml`` is appended inside ``attributes`` (to build DTD breaches);
    ``category_name`` and ``category_value`` replace the family's operational attribute;
    ``note`` marks an injected defect.
    """

    op: Op
    family: Family
    key: str
    attributes: list[tuple[str, list[str]]]
    extra_xml: str = ""
    category_name: str | None = None
    category_value: str | None = None
    note: tuple[str, str] | None = None

    def get(self, name: str) -> list[str]:
        """The values of attribute ``name`` (empty if absent)."""
        return next((values for n, values in self.attributes if n == name), [])

    def set(self, name: str, values: list[str]) -> None:
        """Replace (or add) attribute ``name``."""
        for index, (n, _) in enumerate(self.attributes):
            if n == name:
                self.attributes[index] = (name, values)
                return
        self.attributes.append((name, values))

    def remove(self, name: str) -> None:
        """Drop attribute ``name``."""
        self.attributes = [(n, v) for n, v in self.attributes if n != name]

    def xml(self) -> str:
        """The request as XML text."""
        category = CATEGORIES[self.family]
        category_name = self.category_name or category.attribute
        category_value = self.category_value or category.values[0]
        lines = [
            f"<{self.op.value}>",
            f'<operationalAttributes><attr name="{category_name}"><value>'
            f"{category_value}</value></attr></operationalAttributes>",
            f"<identifier><id>{_text(self.key)}</id></identifier>",
        ]
        if self.op is not Op.DELETE:
            container, element = (
                ("attributes", "attr") if self.op is Op.ADD else ("modifications", "modification")
            )
            operation = ' operation="replace"' if self.op is Op.MODIFY else ""
            lines.append(f"<{container}>")
            for name, values in self.attributes:
                inner = "".join(f"<value>{_text(v)}</value>" if v else "<value/>" for v in values)
                lines.append(
                    f'<{element} name="{name}"{operation}>{inner or "<value/>"}</{element}>'
                )
            lines.append(
                self.extra_xml + f"</{container}>" if self.extra_xml else f"</{container}>"
            )
        lines.append(f"</{self.op.value}>\n")
        return "\n".join(lines)


def _text(value: str) -> str:
    if "&" in value or "<" in value or ">" in value:
        return escape(value)
    return value
