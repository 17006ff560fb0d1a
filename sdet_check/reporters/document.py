"""What the document reporters (HTML and PDF) share: templates, filters, the PDF engine.

Templates render with autoescaping on and ``StrictUndefined``: anything a target sent is
data, never markup, and a misspelt variable fails loudly instead of printing nothing.
The PDF is the same HTML laid out by WeasyPrint with its print CSS; WeasyPrint gets a URL
fetcher that refuses everything, so a report never reaches the network.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from sdet_check import __version__
from sdet_check.errors import SdetCheckError
from sdet_check.labels import LEVEL_LABELS, STATUS_LABELS, status_short
from sdet_check.redaction import MAX_DISPLAY_CHARS, displayable, visible_controls
from sdet_check.reporters.base import percent
from sdet_check.reporters.integrity import unverified_notice
from sdet_check.resources import templates_dir
from sdet_check.scoring import Verdict

STATUSES = ("pass", "fail", "not_applicable", "not_tested", "error", "manual")
"""Result statuses in the order reports list them."""

_MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_YEAR_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
_SAFE_LINK = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of every report template (autoescape on, strict undefined)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_displayed,
    )
    env.filters.update(
        percent=localized_percent,
        number=localized_number,
        day=long_date,
        when=long_datetime,
        short_hash=short_hash,
        safe_link=safe_link,
    )
    env.globals.update(
        status_short=status_short,
        status_labels=STATUS_LABELS,
        level_labels=LEVEL_LABELS,
        verdict_label=lambda verdict, lang: Verdict(verdict).label(lang),
        statuses=STATUSES,
        tool_version=__version__,
        unverified_notice=unverified_notice,
    )
    return env


def _displayed(value: Any) -> Any:
    """Every ``{{ … }}`` of every template goes through here before it is escaped.

    Plain text (anything a target or a run file may carry) gets its control characters
    made visible, its length bounded and its long tokens made breakable, so a hostile value
    can neither hide text nor hold the layout hostage. Markup built by sdet-check itself
    (charts, links) only gets its control characters made visible.
    """
    if value is None:
        # A missing value reads as nothing rather than as Python's ``None``.
        return ""
    if isinstance(value, Markup):
        return Markup(visible_controls(str(value)))
    if isinstance(value, str):
        return displayable(value)
    return value


def render_template(name: str, context: Mapping[str, Any]) -> str:
    """Render the template ``name`` of ``reports/templates/`` with ``context``."""
    return environment().get_template(name).render(**context)


def localized_percent(value: float | None, lang: str = "fr") -> str:
    """``43,8 %`` in French, ``43.8%`` in English, an em dash when there is nothing to rate."""
    text = percent(value)
    if lang == "fr" or value is None:
        return text
    return text.replace(",", ".").replace(" %", "%")


def localized_number(value: float | None, digits: int = 1, lang: str = "fr") -> str:
    """:func:`french_number` in French; a decimal point in English."""
    text = french_number(value, digits)
    return text if lang == "fr" else text.replace(",", ".")


def french_number(value: float | None, digits: int = 1) -> str:
    """``12,5`` (French decimal comma), or an em dash for ``None``."""
    if value is None:
        return "—"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return text.replace(".", ",")


def long_date(value: str | date | None, lang: str = "fr") -> str:
    """``1er octobre 2026`` (French) or ``2026-10-01`` (English) from an ISO date.

    A month alone (``2019-02``, a date the sources give only to the month) reads
    ``février 2019`` or ``February 2019``.
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and _YEAR_MONTH.fullmatch(value):
        year, month = int(value[:4]), int(value[5:])
        if 1 <= month <= 12:
            names = _MONTHS_FR if lang == "fr" else _MONTHS_EN
            return f"{names[month - 1]} {year}"
    day = value if isinstance(value, date) else _parse_day(value)
    if day is None:
        return str(value)
    if lang != "fr":
        return day.isoformat()
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {_MONTHS_FR[day.month - 1]} {day.year}"


def long_datetime(value: str | None, lang: str = "fr") -> str:
    """A date and time of the run record, as a reader writes it (UTC kept explicit)."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    zone = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    clock = moment.strftime("%H:%M:%S")
    at = "à" if lang == "fr" else "at"
    return f"{long_date(moment.date(), lang)} {at} {clock}{zone}"


def short_hash(value: str, length: int = 12) -> str:
    """The first characters of a hash, for tables; the full hash is in the appendix."""
    return value[:length] + "…" if len(value) > length else value


def safe_link(value: str | None) -> Markup | None:
    """``value`` (escaped) when it is a plain http(s) URL a report may link to, else ``None``.

    Links come from grids and declarations; a ``javascript:`` or ``data:`` URL is shown as
    text, never made clickable. The link is markup, so that no break is put inside it.
    """
    if value and len(value) <= MAX_DISPLAY_CHARS and _SAFE_LINK.match(value):
        return escape(value)
    return None


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


@dataclass
class FetchGuard:
    """WeasyPrint's URL fetcher: refuses every URL and remembers what was asked.

    A report is self-contained; anything that tries to load a resource (an image, a
    stylesheet) is a bug or an injection, and must not reach the network or the disk.
    """

    attempts: list[str] = field(default_factory=list)

    def __call__(self, url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Refuse ``url`` (WeasyPrint logs it and renders without the resource)."""
        self.attempts.append(url)
        raise ValueError(f"sdet-check : ressource externe refusée ({url[:80]})")


@dataclass(frozen=True)
class PdfAttachment:
    """A file embedded in the PDF (the run record travels with its report)."""

    name: str
    content: bytes
    description: str
    relationship: str = "Unspecified"
    """PDF/A-3 ``AFRelationship`` of the file (``Source``: the data the document comes from)."""
    media_type: str | None = None
    """The file's media type, when its name would be guessed wrong (``.sig`` reads as a PGP
    signature on some systems, as nothing on others; ours are CMS)."""


@dataclass(frozen=True)
class _AttachmentBody:
    """WeasyPrint's fetcher for one attachment: its bytes, with its media type."""

    content: bytes
    media_type: str
    _fail_on_errors = True  # read by WeasyPrint when a fetcher raises; this one does not

    def __call__(self, url: str, *args: Any, **kwargs: Any) -> Any:
        """Answer any URL with the attachment (it is the only thing this fetcher serves)."""
        from weasyprint.urls import URLFetcherResponse

        return URLFetcherResponse(url, body=self.content, headers={"Content-Type": self.media_type})


PDF_TIMEOUT_S = 300.0
"""Longest time a PDF may take to lay out (``SDET_CHECK_PDF_TIMEOUT_S`` changes it)."""


class ReportTimeout(SdetCheckError):
    """A PDF did not finish within its time limit; the other outputs are not affected."""


def pdf_timeout() -> float:
    """The PDF time limit in force: ``SDET_CHECK_PDF_TIMEOUT_S`` or :data:`PDF_TIMEOUT_S`."""
    override = os.environ.get("SDET_CHECK_PDF_TIMEOUT_S", "").strip()
    try:
        return float(override) if override and float(override) > 0 else PDF_TIMEOUT_S
    except ValueError:
        return PDF_TIMEOUT_S


def html_to_pdf(
    html: str,
    *,
    identifier: str,
    attachments: Sequence[PdfAttachment] = (),
    guard: FetchGuard | None = None,
    timeout_s: float | None = None,
) -> bytes:
    """Lay out ``html`` with its print CSS and return a tagged archival PDF (PDF/A-3a).

    PDF/A-3 is the archival profile that allows attachments, so the run JSON can travel
    inside the report that cites its hash. ``identifier`` (the run hash) becomes the PDF's
    file identifier, so two renderings of one run carry the same one.

    The layout runs in a child process stopped after ``timeout_s`` seconds (default
    :func:`pdf_timeout`): a layout engine cannot be interrupted otherwise, and a report must
    never hang. Past the limit, :class:`ReportTimeout` says so and what to do.
    """
    limit = timeout_s if timeout_s is not None else pdf_timeout()
    fetcher = guard if guard is not None else FetchGuard()
    # A child interpreter started afresh (no fork: abandoned probe threads may hold locks,
    # and no multiprocessing: it would re-run the caller's main script).
    package_root = str(Path(__file__).resolve().parents[2])
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(
        [package_root, *filter(None, [environ.get("PYTHONPATH")])]
    )
    job = pickle.dumps((html, identifier, [tuple(vars(a).values()) for a in attachments]))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "sdet_check.reporters.pdf_child"],
            input=job,
            capture_output=True,
            timeout=limit,
            env=environ,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ReportTimeout(
            f"le PDF n'a pas été produit en {limit:g} s (mise en page arrêtée) ; "
            "les autres rapports ne sont pas concernés. À faire : produire le rapport "
            "HTML, ou relancer `sdet-check report RUN.json --format pdf` avec une limite "
            "plus grande (variable d'environnement SDET_CHECK_PDF_TIMEOUT_S)"
        ) from None
    try:
        outcome, payload, attempts = pickle.loads(done.stdout)
    except Exception:
        detail = done.stderr.decode("utf-8", "replace")[-500:]
        raise RuntimeError(
            f"la mise en page du PDF s'est arrêtée sans résultat : {detail}"
        ) from None
    fetcher.attempts.extend(attempts)
    if outcome != "ok":
        raise RuntimeError(f"mise en page du PDF impossible : {payload}")
    return bytes(payload)


def layout_pdf(
    html: str, identifier: str, attachments: Sequence[PdfAttachment], fetcher: FetchGuard
) -> bytes:
    """Lay ``html`` out as a tagged PDF/A-3a in this process (:func:`html_to_pdf` bounds it).

    PDF/A-3a is the accessible level of PDF/A-3: the PDF is tagged (headings, tables,
    lists and the reading order reach a screen reader, as RGAA asks of public documents)
    and still carries attachments. Title, Author, Subject, Keywords and the language come
    from the HTML head (``<title>``, ``<meta name=…>``, ``<html lang>``).
    """
    # Imported here: WeasyPrint takes most of a second to import and only PDFs need it.
    import weasyprint

    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url="about:blank")
    files = [
        weasyprint.Attachment(
            file_obj=io.BytesIO(a.content),
            name=a.name,
            description=a.description,
            url_fetcher=fetcher,
            relationship=a.relationship,
        )
        if a.media_type is None
        else weasyprint.Attachment(
            url=f"sdet-check:attachment/{index}",
            name=a.name,
            description=a.description,
            url_fetcher=_AttachmentBody(a.content, a.media_type),
            relationship=a.relationship,
        )
        for index, a in enumerate(attachments)
    ]
    pdf = document.write_pdf(
        attachments=files,
        pdf_variant="pdf/a-3a",
        pdf_tags=True,
        pdf_identifier=identifier.encode("ascii", "replace")[:64],
    )
    assert pdf is not None  # write_pdf returns the bytes when given no target
    return bytes(pdf)
