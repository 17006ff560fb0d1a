"""The child process of :func:`sdet_check.reporters.document.html_to_pdf`.

It reads a pickled job (HTML, identifier, attachments) on stdin, lays the PDF out and
writes the pickled outcome on stdout; the parent kills it when it exceeds the time limit.
The pickles come from the parent process only (never from a file or a target).
"""

from __future__ import annotations

import pickle
import sys
from typing import Any

from sdet_check.reporters.document import FetchGuard, PdfAttachment, layout_pdf


def main() -> None:
    """Run one job from stdin and write its outcome to stdout."""
    html, identifier, attachments = pickle.loads(sys.stdin.buffer.read())
    guard = FetchGuard()
    try:
        pdf = layout_pdf(html, identifier, [PdfAttachment(*a) for a in attachments], guard)
        outcome: tuple[str, Any, list[str]] = ("ok", pdf, guard.attempts)
    except Exception as exc:  # reported to the parent, which raises it
        outcome = ("error", f"{type(exc).__name__}: {exc}", guard.attempts)
    sys.stdout.buffer.write(pickle.dumps(outcome))


if __name__ == "__main__":
    main()
