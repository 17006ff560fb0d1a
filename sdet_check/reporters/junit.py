"""The JUnit XML reporter: one testcase per requirement, for CI dashboards.

``fail`` becomes ``<failure>``, ``error`` becomes ``<error>`` (distinct, as CI tools count
them apart); a failure covered by a valid waiver, and every requirement not decided
(``not_applicable``, ``not_tested``, ``manual``), becomes ``<skipped>`` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from sdet_check.labels import status_label
from sdet_check.messages import message_text
from sdet_check.redaction import clean_values
from sdet_check.reporters.base import Reporter, rows
from sdet_check.reporters.integrity import unverified_notice

_SKIPPED = {"not_applicable", "not_tested", "manual"}


class JunitReporter(Reporter):
    """One ``<testsuite>`` per axis, one ``<testcase>`` per requirement."""

    format = "junit"
    filename = "junit.xml"

    def render(self, record: Mapping[str, Any], lang: str = "fr") -> bytes:
        r"""JUnit XML as most CI tools read it (the Jenkins / Surefire dialect).

        Control characters of the record are shown as ``\xNN`` (XML cannot carry most of
        them, and a CI log should not interpret the others).
        """
        record = clean_values(record)
        grid = record["grid"]
        root = etree.Element("testsuites", name=f"sdet-check {grid['id']}/{grid['version']}")
        suites: dict[str, etree._Element] = {}
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for axis in grid["axes"]:
            suite = etree.SubElement(
                root, "testsuite", name=f"{grid['id']}/{grid['version']}.{axis['id']}"
            )
            properties = etree.SubElement(suite, "properties")
            for name, value in _properties(record).items():
                etree.SubElement(properties, "property", name=name, value=value)
            suites[axis["id"]] = suite
        counts: dict[str, dict[str, int]] = {axis: dict.fromkeys(totals, 0) for axis in suites}

        for requirement, result in rows(record):
            axis = requirement["axis"]
            suite = suites[axis]
            case = etree.SubElement(
                suite,
                "testcase",
                name=f"[{requirement['level']}][{requirement['id']}] {requirement['title'][lang]}",
                classname=f"{grid['id']}.{grid['version']}.{axis}",
            )
            if result.get("duration_ms") is not None:
                case.set("time", f"{result['duration_ms'] / 1000:.3f}")
            counts[axis]["tests"] += 1
            status = result["status"]
            message = message_text(result, lang)
            if status == "fail" and result.get("waived"):
                skipped = etree.SubElement(case, "skipped")
                skipped.set("message", f"NC couverte par une réserve valide : {message}")
                counts[axis]["skipped"] += 1
            elif status == "fail":
                failure = etree.SubElement(case, "failure", type=requirement["level"])
                failure.set("message", message)
                failure.text = _evidence_text(result)
                counts[axis]["failures"] += 1
            elif status == "error":
                error = etree.SubElement(case, "error", type=result.get("error_reason", "error"))
                error.set("message", message)
                error.text = result.get("trace") or _evidence_text(result)
                counts[axis]["errors"] += 1
            elif status in _SKIPPED:
                skipped = etree.SubElement(case, "skipped")
                skipped.set("message", f"{status_label(status, lang)} : {message}")
                counts[axis]["skipped"] += 1
            else:
                output = etree.SubElement(case, "system-out")
                output.text = f"{message}\n{_evidence_text(result)}"

        for axis, suite in suites.items():
            for counter, count in counts[axis].items():
                suite.set(counter, str(count))
                totals[counter] += count
        for counter, count in totals.items():
            root.set(counter, str(count))
        return bytes(
            etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        )


def _properties(record: Mapping[str, Any]) -> dict[str, str]:
    grid = record["grid"]
    properties = {
        "grid": f"{grid['id']}/{grid['version']}",
        "grid.sha256": grid["content_hash"],
        "target": record["target"]["name"],
        "tool.version": record["tool"]["version"],
        "run.id": record["run_id"],
        "verdict": record["score"]["overall"]["verdict"],
    }
    notice = unverified_notice()
    if notice is not None:  # rendered with --allow-unverified: a CI must not take it as proof
        properties["verified"] = "false"
        problems = notice["problems"]
        shown = problems if isinstance(problems, list) else []
        properties["unverified.problems"] = " | ".join(str(problem) for problem in shown)
    return properties


def _evidence_text(result: Mapping[str, Any]) -> str:
    return "\n".join(f"- {piece['summary']}" for piece in result["evidence"])
