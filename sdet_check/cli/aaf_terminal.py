"""The terminal view of ``aaf validate``: totals per family, findings grouped by rule, capped."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sdet_check.aaf.english import finding_message, reason
from sdet_check.aaf.report import FindingCollector
from sdet_check.aaf.rules import RULES, Severity
from sdet_check.aaf.validate import ValidationResult
from sdet_check.messages import table
from sdet_check.redaction import visible_controls

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow"}

_WORDING = table("cli.aaf_terminal.")
"""Every string of the view, in French and English (``cli.aaf_terminal.*`` in the catalogue)."""


def render(
    result: ValidationResult, collector: FindingCollector, lang: str = "fr"
) -> RenderableType:
    """Everything a person reads after ``aaf validate``, in ``lang`` (``fr`` or ``en``)."""
    words = _WORDING[lang]
    parts: list[RenderableType] = [_header(result, lang), _families(result, lang)]
    if collector.counts:
        parts.append(_findings(collector, lang))
    else:
        parts.append(Text(str(words["none"]), style="bold green"))
    if result.skipped:
        parts.append(_skipped(result, lang))
    parts.append(_totals(result, lang))
    return Group(*parts)


def _header(result: ValidationResult, lang: str) -> Text:
    words = _WORDING[lang]
    text = Text(str(words["title"]), style="bold")
    text.append(str(result.path))
    sizes = str(words["sizes"]).format(
        files=len(result.files),
        records=_number(result.records, lang=lang),
        size=_number(result.size / 1e6, 1, lang),
        seconds=_number(result.seconds, 1, lang),
    )
    text.append(sizes, style="dim")
    dtd = result.dtd
    origin = words[f"dtd_origin.{dtd.origin.value}"]
    text.append(str(words["dtd"]).format(origin=origin, path=dtd.path), style="dim")
    if not result.show_values:
        text.append(str(words["masked"]), style="dim")
    return text


def _families(result: ValidationResult, lang: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    columns = _WORDING[lang]["columns"]
    for position, column in enumerate(columns):
        table.add_column(column, justify="left" if position == 0 else "right")
    for name, counts in result.by_family.items():
        table.add_row(
            "unknown" if lang == "en" and name == "inconnue" else name,
            str(counts.files),
            _number(counts.records, lang=lang),
            Text(str(counts.errors), style="bold red" if counts.errors else ""),
            Text(str(counts.warnings), style="yellow" if counts.warnings else ""),
        )
    return table


def _findings(collector: FindingCollector, lang: str) -> Group:
    words = _WORDING[lang]
    blocks: list[RenderableType] = []
    for rule_id in (r for r in RULES if collector.counts[r]):
        rule = RULES[rule_id]
        rule_title, rule_fix = rule.text(lang)
        count = collector.counts[rule_id]
        title = Text()
        title.append(f"{rule_id} ", style=_SEVERITY_STYLE[rule.severity])
        title.append(f"{rule.severity.label(lang)} · {rule_title} ({count})", style="bold")
        title.append(f"  → {', '.join(rule.requirements)}", style="dim")
        lines = [title]
        for finding in collector.kept[rule_id]:
            line = Text("  ")
            place = visible_controls(finding.file) + (f":{finding.line}" if finding.line else "")
            line.append(place, style="cyan")
            if finding.record:
                line.append(f" [{visible_controls(finding.record)}]", style="magenta")
            line.append(f" {visible_controls(finding_message(finding, lang))}")
            lines.append(line)
        hidden = count - len(collector.kept[rule_id])
        if hidden:
            lines.append(Text(str(words["hidden"]).format(hidden=hidden), style="dim"))
        lines.append(Text(str(words["fix"]).format(fix=rule_fix), style="dim italic"))
        blocks.append(Group(*lines))
    return Group(*blocks)


def _skipped(result: ValidationResult, lang: str) -> Text:
    words = _WORDING[lang]
    text = Text(str(words["skipped"]), style="bold")
    for note in result.skipped:
        line = str(words["skipped_line"]).format(rule=note.rule, reason=reason(note.reason, lang))
        text.append(line, style="dim")
    return text


def _totals(result: ValidationResult, lang: str) -> Text:
    words = _WORDING[lang]
    if result.errors:
        text = Text(str(words["errors"]).format(errors=result.errors), style="bold red")
    else:
        text = Text(str(words["no_error"]), style="bold green")
    text.append(str(words["warnings"]).format(warnings=result.warnings))
    return text


def _number(value: float, decimals: int = 0, lang: str = "fr") -> str:
    """French: narrow no-break space for thousands and a decimal comma; English: 1,234.5."""
    text = f"{value:,.{decimals}f}"
    if lang == "en":
        return text
    return text.replace(",", "\u202f").replace(".", ",")
