"""The terminal view of ``aaf validate``: totals per family, findings grouped by rule, capped."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sdet_check.aaf.report import FindingCollector
from sdet_check.aaf.rules import RULES, Severity
from sdet_check.aaf.validate import ValidationResult
from sdet_check.messages import current_language
from sdet_check.messages import text as text_of
from sdet_check.redaction import visible_controls

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow"}


def render(result: ValidationResult, collector: FindingCollector) -> RenderableType:
    """Everything a person reads after ``aaf validate``."""
    parts: list[RenderableType] = [_header(result), _families(result)]
    if collector.counts:
        parts.append(_findings(collector))
    else:
        parts.append(Text(text_of("cli.aaf.none_found"), style="bold green"))
    if result.skipped:
        parts.append(_skipped(result))
    parts.append(_totals(result))
    return Group(*parts)


def _header(result: ValidationResult) -> Text:
    text = Text(text_of("cli.aaf.title") + " ", style="bold")
    text.append(str(result.path))
    text.append(
        "\n"
        + text_of(
            "cli.aaf.sizes",
            files=len(result.files),
            records=_number(result.records),
            size=_number(result.size / 1e6, 1),
            seconds=_number(result.seconds, 1),
        ),
        style="dim",
    )
    dtd = result.dtd
    text.append(f"\nDTD {dtd.origin.label} : {dtd.path}", style="dim")
    if not result.show_values:
        text.append(
            "\n" + text_of("cli.aaf.values_masked"),
            style="dim",
        )
    return text


def _families(result: ValidationResult) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    columns = text_of("cli.aaf.columns").split("|")
    for column in columns:
        table.add_column(column, justify="left" if column == columns[0] else "right")
    for name, counts in result.by_family.items():
        table.add_row(
            name,
            str(counts.files),
            _number(counts.records),
            Text(str(counts.errors), style="bold red" if counts.errors else ""),
            Text(str(counts.warnings), style="yellow" if counts.warnings else ""),
        )
    return table


def _findings(collector: FindingCollector) -> Group:
    blocks: list[RenderableType] = []
    for rule_id in (r for r in RULES if collector.counts[r]):
        rule = RULES[rule_id]
        count = collector.counts[rule_id]
        title = Text()
        title.append(f"{rule_id} ", style=_SEVERITY_STYLE[rule.severity])
        title.append(f"{rule.severity.label()} · {rule.title} ({count})", style="bold")
        title.append(f"  → {', '.join(rule.requirements)}", style="dim")
        lines = [title]
        for finding in collector.kept[rule_id]:
            line = Text("  ")
            place = visible_controls(finding.file) + (f":{finding.line}" if finding.line else "")
            line.append(place, style="cyan")
            if finding.record:
                line.append(f" [{visible_controls(finding.record)}]", style="magenta")
            line.append(f" {visible_controls(finding.message)}")
            lines.append(line)
        hidden = count - len(collector.kept[rule_id])
        if hidden:
            lines.append(
                Text(
                    "  " + text_of("cli.aaf.hidden", hidden=hidden),
                    style="dim",
                )
            )
        lines.append(Text("  " + text_of("cli.aaf.fix", fix=rule.fix), style="dim italic"))
        blocks.append(Group(*lines))
    return Group(*blocks)


def _skipped(result: ValidationResult) -> Text:
    text = Text(text_of("cli.aaf.skipped"), style="bold")
    for note in result.skipped:
        text.append(f"\n  {note.rule} : {note.reason}", style="dim")
    return text


def _totals(result: ValidationResult) -> Text:
    if result.errors:
        text = Text(text_of("cli.aaf.errors", errors=result.errors), style="bold red")
    else:
        text = Text(text_of("cli.aaf.no_error"), style="bold green")
    text.append(text_of("cli.aaf.warnings", warnings=result.warnings))
    return text


def _number(value: float, decimals: int = 0) -> str:
    """French thousands separator (narrow no-break space) and decimal comma; English in English."""
    text = f"{value:,.{decimals}f}"
    if current_language() == "en":
        return text
    return text.replace(",", "\u202f").replace(".", ",")
