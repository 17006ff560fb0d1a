"""The terminal reporter: a summary a person reads right after a run, drawn with rich."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sdet_check.labels import status_code
from sdet_check.messages import message_text
from sdet_check.redaction import shortened, visible_controls
from sdet_check.reporters.base import Reporter, percent, rows
from sdet_check.scoring import Verdict

_STATUS_STYLE = {
    "pass": "green",
    "fail": "bold red",
    "not_applicable": "dim",
    "not_tested": "yellow",
    "error": "bold magenta",
    "manual": "cyan",
}
_VERDICT_STYLE = {
    Verdict.CONFORME: "bold green",
    Verdict.CONFORME_AVEC_RESERVES: "bold yellow",
    Verdict.NON_CONFORME: "bold red",
    Verdict.INCOMPLETE: "bold magenta",
}
_SHORT_VERDICT = {
    "fr": {
        Verdict.CONFORME: "conforme",
        Verdict.CONFORME_AVEC_RESERVES: "avec réserves",
        Verdict.NON_CONFORME: "non conforme",
        Verdict.INCOMPLETE: "incomplète",
    },
    "en": {
        Verdict.CONFORME: "compliant",
        Verdict.CONFORME_AVEC_RESERVES: "reservations",
        Verdict.NON_CONFORME: "not compliant",
        Verdict.INCOMPLETE: "incomplete",
    },
}
_WORDS = {
    "fr": {
        "target": "Cible", "grid": "Grille", "verdict": "Verdict", "axis": "Axe",
        "must": "MUST", "should": "SHOULD", "practical": "Pratique",
        "theoretical": "Théorique", "overall": "Ensemble", "findings": "À traiter",
        "none": "Aucune non-conformité ni erreur.",
        "legend": "MUST, SHOULD : taux de conformité · couverture (décidées / applicables). "
                  "Pratique, Théorique : notes (part des exigences conformes).",
        "waived": "couverte par une réserve", "expired": "réserve expirée",
        "counts": "C {pass} · NC {fail} · NA {not_applicable} · NT {not_tested} · "
                  "erreur {error} · à examiner {manual}",
        "errors": "Erreurs", "requirements": "{n} exigence(s)", "same_error": "même erreur",
        "proofs": "Preuves non conformes (déclarations exclues de la note théorique)",
        "mismatch": "empreinte sha256 différente : le document a changé",
        "missing": "document introuvable",
        "untested": "MUST non testées", "colon": " : ",
        "declared": "Note théorique : {note} de conformité déclarée ({conforme} déclarée(s) "
                    "conforme(s) sur {declared} déclarée(s) ; {declared} réponse(s) sur {items} "
                    "exigence(s) à déclarer).",
    },
    "en": {
        "target": "Target", "grid": "Grid", "verdict": "Verdict", "axis": "Axis",
        "must": "MUST", "should": "SHOULD", "practical": "Practical",
        "theoretical": "Declared", "overall": "Overall", "findings": "To address",
        "none": "No failure and no error.",
        "legend": "MUST, SHOULD: pass rate · coverage (decided / applicable). "
                  "Practical, Declared: share of requirements that pass.",
        "waived": "covered by a waiver", "expired": "waiver expired",
        "counts": "pass {pass} · fail {fail} · n/a {not_applicable} · not tested {not_tested} · "
                  "error {error} · manual {manual}",
        "errors": "Errors", "requirements": "{n} requirement(s)", "same_error": "same error",
        "proofs": "Proof documents failing their check (declarations left out of Declared)",
        "mismatch": "sha256 differs: the document changed",
        "missing": "document not found",
        "untested": "MUST not tested", "colon": ": ",
        "declared": "Declared score: {note} declared conformity ({conforme} declared compliant "
                    "out of {declared} declared; {declared} answer(s) out of {items} "
                    "requirement(s) to declare).",
    },
}  # fmt: skip


TERMINAL_MAX_CHARS = 1000
"""Longest single text the terminal shows (the full text stays in run.json)."""


def terminal_safe(value: Any) -> Any:
    """A copy of JSON data whose strings can be printed to a terminal as they are."""
    if isinstance(value, str):
        return shortened(visible_controls(value), TERMINAL_MAX_CHARS)
    if isinstance(value, Mapping):
        return {key: terminal_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [terminal_safe(item) for item in value]
    return value


_CAUSES = {
    "fr": {
        "dns": "cible injoignable (DNS)", "refused": "cible injoignable (connexion refusée)",
        "tls": "cible injoignable (TLS)", "unreachable": "cible injoignable",
        "timeout": "délai dépassé", "run_timeout": "temps du run épuisé",
        "hostile_response": "réponse hostile ou mal formée",
        "bad_params": "paramètres de sonde invalides", "probe_bug": "défaut de sonde",
        "cannot_decide": "impossible de décider", "error": "erreur",
    },
    "en": {
        "dns": "target unreachable (DNS)", "refused": "target unreachable (connection refused)",
        "tls": "target unreachable (TLS)", "unreachable": "target unreachable",
        "timeout": "timed out", "run_timeout": "run time exhausted",
        "hostile_response": "hostile or malformed answer",
        "bad_params": "invalid probe parameters", "probe_bug": "probe bug",
        "cannot_decide": "cannot decide", "error": "error",
    },
}  # fmt: skip
_DNS = ("name or service not known", "name resolution", "nodename nor servname",
        "invalid server address", "getaddrinfo")  # fmt: skip


def error_cause(result: Mapping[str, Any]) -> str:
    """The kind of an error result: ``dns``, ``refused``, ``tls`` or its ``error_reason``."""
    reason = str(result.get("error_reason") or "error")
    if reason == "unreachable":
        message = str(result.get("message", "")).lower()
        if any(mark in message for mark in _DNS):
            return "dns"
        if "refused" in message or "refusée" in message:
            return "refused"
        if "ssl" in message or "tls" in message or "certificat" in message:
            return "tls"
    return reason if reason in _CAUSES["fr"] else "error"


def untested_must_summary(record: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """The MUST a run did not test, grouped by the reason it gives, largest group first.

    For example ``[("option --allow-cleartext-credentials absente …", ["SSO-CAS-001", …])]``:
    what an editor must change (a target section, an option) to have them decided.
    """
    groups: dict[str, list[str]] = {}
    for requirement, result in rows(record):
        if result["status"] == "not_tested" and requirement.get("level") == "MUST":
            groups.setdefault(str(result.get("message", "")), []).append(requirement["id"])
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))


def error_summary(record: Mapping[str, Any], lang: str = "fr") -> list[tuple[str, int]]:
    """Error results counted by cause, most frequent first.

    For example ``[("cible injoignable (DNS)", 62)]``.
    """
    counts: dict[str, int] = {}
    for _, result in rows(record):
        if result["status"] == "error":
            cause = _CAUSES[lang][error_cause(result)]
            counts[cause] = counts.get(cause, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


class TerminalReporter(Reporter):
    """Verdicts and scores per axis, then every failure and error with its evidence."""

    format = "terminal"
    filename = "summary.txt"

    def __init__(self, verbose: bool = False) -> None:
        """``verbose`` also lists every requirement, not only those to address."""
        self.verbose = verbose

    def render(self, record: Mapping[str, Any], lang: str = "fr") -> bytes:
        """Plain text (no colour), 110 columns wide, for a file."""
        buffer = io.StringIO()
        console = Console(file=buffer, width=110, color_system=None, force_terminal=False)
        console.print(self.renderable(record, lang))
        return buffer.getvalue().encode("utf-8")

    def renderable(self, record: Mapping[str, Any], lang: str = "fr") -> RenderableType:
        """What the command line prints to a live console (with colour when allowed).

        Every text of the record is shown with its control characters made visible and its
        length bounded: a run file or a target may carry terminal escapes.
        """
        record = terminal_safe(record)
        words = _WORDS[lang]
        grid = record["grid"]
        overall = record["score"]["overall"]
        verdict = Verdict(overall["verdict"])
        colon = words["colon"]
        head = Text.assemble(
            (f"{words['target']}{colon}", "bold"), record["target"]["name"], "\n",
            (f"{words['grid']}{colon}", "bold"),
            f"{grid['id']}/{grid['version']} (sha256 {grid['content_hash'][:12]}…)", "\n",
            (f"{words['verdict']}{colon}", "bold"), (verdict.label(lang), _VERDICT_STYLE[verdict]),
        )  # fmt: skip
        parts: list[RenderableType] = [
            Panel(head, expand=False),
            self._scores(record, lang),
            Text(words["legend"], style="dim"),
        ]
        counts = dict.fromkeys(_STATUS_STYLE, 0)
        for _, result in rows(record):
            counts[result["status"]] += 1
        parts.append(Text(words["counts"].format(**counts)))
        conformity = declared_conformity(record)
        if conformity["items"]:
            parts.append(
                Text(
                    words["declared"].format(note=percent(overall["note_theorique"]), **conformity)
                )
            )
        summary = error_summary(record, lang)
        if summary:
            parts.append(
                Text.assemble(
                    (f"{words['errors']}{colon}", "bold magenta"),
                    " · ".join(
                        f"{words['requirements'].format(n=n)}{colon}{cause}" for cause, n in summary
                    ),
                )
            )
        untested = untested_must_summary(record)
        if untested:
            lines = [
                f"  {words['requirements'].format(n=len(ids))}{colon}{reason}\n"
                f"    {', '.join(ids[:8])}{', …' if len(ids) > 8 else ''}"
                for reason, ids in untested[:6]
            ]
            parts.append(Text.assemble((words["untested"], "bold yellow"), "\n", "\n".join(lines)))
        proofs = self._proofs(record, lang)
        if proofs is not None:
            parts.append(proofs)
        parts.append(self._findings(record, lang))
        return Group(*parts)

    def _proofs(self, record: Mapping[str, Any], lang: str) -> Text | None:
        words = _WORDS[lang]
        lines = [
            f"  {declaration.get('requirement', '?')} · {document.get('title', '')}"
            f"{words['colon']}"
            f"{words[document['check']]}"
            for declaration in _mappings(record.get("declarations"))
            for document in _mappings(declaration.get("documents"))
            if document.get("check") in ("mismatch", "missing")
        ]
        if not lines:
            return None
        return Text.assemble((words["proofs"], "bold yellow"), "\n", "\n".join(lines))

    def _scores(self, record: Mapping[str, Any], lang: str) -> Table:
        words = _WORDS[lang]
        # Collapsed padding: the six columns keep their figures whole at 80 columns.
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
        table.add_column(words["axis"], no_wrap=True)
        table.add_column(words["verdict"], no_wrap=True, max_width=14)
        for column in ("must", "should", "practical", "theoretical"):
            table.add_column(words[column], no_wrap=True, justify="right")
        # Axis labels carry a parenthesised gloss; the short head is enough in a table.
        labels = {a["id"]: a["label"][lang].split(" (")[0] for a in record["grid"]["axes"]}
        entries = [*record["score"]["axes"], record["score"]["overall"]]
        for entry in entries:
            verdict = Verdict(entry["verdict"])
            # An edited run may score an axis its grid does not declare: shown by its id.
            axis = str(entry["axis"])
            name = words["overall"] if axis == "global" else labels.get(axis, axis or "?")
            table.add_row(
                Text(name, style="bold" if entry["axis"] == "global" else ""),
                Text(_SHORT_VERDICT[lang][verdict], style=_VERDICT_STYLE[verdict]),
                f"{percent(entry['must']['rate'])} · {percent(entry['must']['coverage'])}",
                f"{percent(entry['should']['rate'])} · {percent(entry['should']['coverage'])}",
                percent(entry["note_pratique"]),
                percent(entry["note_theorique"]),
            )
        return table

    def _findings(self, record: Mapping[str, Any], lang: str) -> RenderableType:
        words = _WORDS[lang]
        table = Table(title=words["findings"], show_edge=False, pad_edge=False, expand=True)
        table.add_column("", no_wrap=True)
        table.add_column("id", no_wrap=True)
        table.add_column("", no_wrap=True)
        table.add_column("", ratio=1)
        shown = 0
        # Errors with the same message are shown once, with the requirements they concern.
        same: dict[str, list[str]] = {}
        for requirement, result in rows(record):
            if result["status"] == "error":
                same.setdefault(message_text(result, lang), []).append(requirement["id"])
        done: set[str] = set()
        for requirement, result in rows(record):
            status = result["status"]
            if not self.verbose and status not in ("fail", "error"):
                continue
            ids = same.get(message_text(result, lang), []) if status == "error" else []
            if len(ids) > 1 and not self.verbose:
                if message_text(result, lang) in done:
                    continue
                done.add(message_text(result, lang))
                others = ", ".join(ids[1:6]) + (", …" if len(ids) > 6 else "")
                message = Text(message_text(result, lang))
                message.append(
                    f"\n  · {words['same_error']} ({words['requirements'].format(n=len(ids))})"
                    f"{words['colon']}{others}",
                    style="dim",
                )
                table.add_row(
                    Text(status_code(status, False), style=_STATUS_STYLE[status]),
                    f"{requirement['id']} +{len(ids) - 1}",
                    requirement["level"],
                    message,
                )
                shown += 1
                continue
            shown += 1
            message = Text(message_text(result, lang))
            if result.get("waived"):
                message.append(f" [{words['waived']}]", style="yellow")
            elif result.get("waiver_state") == "expired":
                message.append(f" [{words['expired']}]", style="red")
            for piece in result["evidence"][:3]:
                message.append(f"\n  · {piece['summary']}", style="dim")
            table.add_row(
                Text(status_code(status, result.get("waived", False)), style=_STATUS_STYLE[status]),
                requirement["id"],
                requirement["level"],
                message,
            )
        return table if shown else Text(words["none"], style="green")


def declared_conformity(record: Mapping[str, Any]) -> dict[str, int]:
    """What the note théorique is made of, from a run record.

    ``items``: applicable requirements verified by declaration; ``declared``: applicable
    requirements the editor declared conforme or non conforme with proofs that check out
    (the note's denominator); ``conforme``: those declared conforme (its numerator).
    """
    items = declared = conforme = 0
    for requirement, result in rows(record):
        if result.get("status") == "not_applicable":
            continue
        verification = requirement.get("verification")
        if isinstance(verification, Mapping) and verification.get("method") == "declaration":
            items += 1
        status = None if result.get("declaration_proof") else result.get("declared")
        if status in ("conforme", "non_conforme"):
            declared += 1
            conforme += status == "conforme"
    return {"items": items, "declared": declared, "conforme": conforme}


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    """The mappings of a list read from a run (anything else, from an edited run, ignored)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]
