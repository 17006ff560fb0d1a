"""Read one AAF file and turn it into an ordered stream of findings and cross-file facts.

Everything about a file that does not depend on other files is decided here: name, prolog,
encoding, well-formedness, DTD, attributes and values. The same scan runs in the calling
process or in a worker process (``jobs`` > 1); either way its events come out in the same
order, so a report does not depend on how it was computed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sdet_check.aaf.checks import Facts, RecordChecker
from sdet_check.aaf.dtd import DTD_NAME, ROOT, RequestValidator
from sdet_check.aaf.model import Finding, Op, SourceFile
from sdet_check.aaf.nomenclature import version_problem
from sdet_check.aaf.reader import Request, RequestStream
from sdet_check.aaf.rules import RULES

Event = Finding | Facts
"""What a scan yields: a finding, or the facts of a request for the cross-file checks."""


def make_finding(
    rule_id: str,
    source: SourceFile,
    line: int | None,
    record: str | None,
    attribute: str | None,
    fields: dict[str, Any],
) -> Finding:
    """Build the finding of ``rule_id`` in ``source`` with its French message."""
    rule = RULES[rule_id]
    family = source.family.value if source.family else None
    message = rule.render(attribute=attribute, **fields)
    return Finding(rule_id, rule.severity, source.name, line, record, family, attribute, message)


class FileScan:
    """The events of one file; after iteration, ``requests`` and ``complete`` describe it."""

    def __init__(
        self,
        source: SourceFile,
        validator: RequestValidator,
        show_values: bool,
        *,
        locate: bool = True,
    ):
        """Prepare to read ``source`` against ``validator``.

        With ``locate`` False, references in :class:`Facts` may carry line 0: the consumer
        then finds the line with :meth:`line_of` before taking the next event (the request
        is still there). A scan whose facts leave the process must locate them.
        """
        self.source = source
        self.validator = validator
        self.locate = locate
        self.current: Request | None = None
        self.requests = {op.value: 0 for op in Op}
        self.complete = True
        self._pending: list[Finding] = []
        self._checker = RecordChecker(self._on_request, show_values=show_values)

    def __iter__(self) -> Iterator[Event]:
        """File-level findings first, then each request's findings followed by its facts."""
        self._file_checks()
        yield from self._drain()
        stream = RequestStream(self.source, self.validator, self._on_file, locate=self.locate)
        counts = self.requests
        check = self._checker.check
        source = self.source
        pending = self._pending
        for request in stream:
            self.current = request
            counts[request.op.value] += 1
            facts = check(source, request)
            if pending:
                yield from self._drain()
            if facts is not None:
                yield facts
        self.current = None
        self.complete = stream.complete
        yield from self._drain()

    def line_of(self, attribute: str | None) -> int | None:
        """The line of ``attribute`` in the request whose facts were yielded last, if known."""
        current = self.current
        return current.line_of(attribute) if current is not None else None

    def _drain(self) -> list[Finding]:
        drained = list(self._pending)
        self._pending.clear()
        return drained

    def _on_request(
        self,
        rule_id: str,
        request: Request,
        *,
        line: int | None = None,
        attribute: str | None = None,
        **fields: Any,
    ) -> None:
        if line is None:
            line = request.line_of(attribute)
        finding = make_finding(rule_id, self.source, line, request.key, attribute, fields)
        self._pending.append(finding)

    def _on_file(self, rule_id: str, *, line: int | None, **fields: Any) -> None:
        self._pending.append(make_finding(rule_id, self.source, line, None, None, fields))

    def _file_checks(self) -> None:
        source = self.source
        issue = self._on_file
        if source.name_problem is not None:
            issue("AAF-NAME-001", line=None, name=source.path.name, detail=source.name_problem)
        if source.declared_encoding is None:
            issue("AAF-ENC-002", line=1, encoding=source.encoding)
        if source.doctype is None:
            issue("AAF-DTD-002", line=1, detail="déclaration DOCTYPE absente")
        else:
            root, _, system = source.doctype.partition(" ")
            if root != ROOT or not system.endswith(DTD_NAME):
                detail = f"DOCTYPE « {source.doctype} » : {ROOT} et {DTD_NAME} attendus"
                issue("AAF-DTD-002", line=1, detail=detail)
        if source.internal_subset:
            detail = "sous-ensemble interne de DTD ignoré (ses entités ne sont pas développées)"
            issue("AAF-DTD-002", line=1, detail=detail)
        version = source.version_af
        if version is not None:
            problem = version_problem(version)
            if problem:
                issue("AAF-VER-001", line=None, value=version, detail=problem)
