"""A tender matrix that cannot be gamed (issue 11, point 2).

The issue's scenario: the same software run in full (a MUST fails: eliminated) and with
``--skip`` on that MUST (which used to rank first, unflagged), and a rival whose MUST failure
is covered by a waiver (which used to read « MUST éliminatoires : aucune »). The ranking must
say what each run is: its rank, whether it is partial, the waiver with its justification,
approver and expiry, and the SHOULD score with its range.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from lxml import html as lxml_html

from sdet_check.api import RunRequest, evaluate
from sdet_check.compare import Standing, Weights, compare_runs
from sdet_check.registry import ProbeRegistry
from sdet_check.remarks import DEFAULT_MAX_EVIDENCE_AGE_DAYS, run_remarks, stale_evidence
from sdet_check.reporters.comparison import render_comparison_html
from sdet_check.reporters.html import HtmlReporter
from sdet_check.run import dump_run, evidence_manifest, load_run, rescore, validate_run
from sdet_check.selection import Selection

from ..records import all_pass, synthetic, with_results
from .conftest import DEMO_GRID

# The demo grid: T-PASS-001 MUST, T-FAIL-001 SHOULD (tag beta), T-SECRET-001 MUST (tag
# alpha), J-DECL-001 MUST, J-1D-001 SHOULD; axes technique and juridique.

PRODUCED = datetime(2026, 10, 15, 9, 0, tzinfo=UTC)
WAIVER = {
    "requirement": "T-SECRET-001",
    "justification": "Correctif livré avec la version 5.3, en production le 15/01/2027.",
    "author": "Paul Durand, RSSI de l'éditeur",
    "approved_by": "Chef de projet ENT de la collectivité",
    "granted": "2026-09-20",
    "expires": "2027-01-31",
    "state": "valid",
}


def run_of(name: str, changes: dict[str, dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    record = with_results(all_pass(synthetic("demo", name=name)), changes, **kwargs)
    return record


def skipped(record: dict[str, Any], *patterns: str) -> dict[str, Any]:
    """``record`` as ``sdet-check run --skip`` writes it: the skipped ones not tested."""
    edited = with_results(
        record,
        {
            p: {"status": "not_tested", "message": "Non sélectionnée : écartée par --skip."}
            for p in patterns
        },
    )
    edited["selection"]["skip"] = list(patterns)
    validate_run(edited)
    return edited


def tender() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Full run (eliminated), the same software with --skip, a rival with a waived MUST."""
    full = run_of(
        "ENT Complet", {"T-SECRET-001": {"status": "fail"}, "J-1D-001": {"status": "manual"}}
    )
    skip = skipped(copy.deepcopy(full), "T-SECRET-001")
    skip["run_id"] = "00000000-0000-4000-8000-00000000000a"
    skip["target"]["name"] = "ENT Sélectif"
    waived = run_of(
        "ENT Réserve",
        {
            "T-SECRET-001": {"status": "fail", "waived": True, "waiver_state": "valid"},
            "T-FAIL-001": {"status": "error"},
        },
        waivers=[WAIVER],
    )
    return full, skip, waived


def test_the_issue_scenario_full_skip_and_waived_runs() -> None:
    full, skip, waived = tender()
    comparison = compare_runs([full, skip, waived], Weights(), produced=PRODUCED)
    by_label = {s.label: s for s in comparison.solutions}
    f, s, w = by_label["ENT Complet"], by_label["ENT Sélectif"], by_label["ENT Réserve"]

    # The full run: eliminated, not ranked, complete.
    assert f.standing is Standing.ELIMINEE and f.rank is None and not f.partial
    assert f.gate_failures == ("T-SECRET-001",) and f.selection == {}
    # The --skip run: its selection shows, it is partial, and ranks after the complete one.
    assert s.partial and s.selection == {"skip": ("T-SECRET-001",)}
    assert s.unselected == ("T-SECRET-001",) and s.standing is Standing.A_COMPLETER
    assert s.gates_open == ("T-SECRET-001",) and s.must_decided == 2 and s.must_applicable == 3
    # The waived run: admissible, ranked first, the waiver listed with its details.
    assert w.standing is Standing.RECEVABLE and not w.partial
    (gate,) = w.waivers
    assert gate.requirement_id == "T-SECRET-001" and gate.state == "valid" and not gate.lapsed
    assert gate.justification == WAIVER["justification"]
    assert gate.approved_by == WAIVER["approved_by"] and gate.expires == "2027-01-31"
    assert (w.rank, s.rank) == (1, 2)
    assert [x.label for x in comparison.ranking()] == ["ENT Réserve", "ENT Sélectif", "ENT Complet"]
    # SHOULD range: T-FAIL-001 in error counts 0 then 1 (out of 2) for the waived run;
    # J-1D-001 waiting for review does the same for the two others.
    assert w.should_score == 50.0 and w.should_range == (50.0, 100.0)
    assert s.should_range == (50.0, 100.0) and s.reviews_pending == 1
    assert w.reviews_pending == 0


def ranking_rows(page: bytes) -> dict[str, Any]:
    """Per bidder label: its ranking tbody (main row and note rows)."""
    doc = lxml_html.fromstring(page.decode("utf-8"))
    table = doc.get_element_by_id("table-ranking")
    return {body.xpath("string(tr[1]/th)"): body for body in table.xpath("tbody")}


def text(node: Any) -> str:
    return " ".join(node.text_content().split())


def test_what_the_ranking_shows_for_each_run_in_french() -> None:
    full, skip, waived = tender()
    comparison = compare_runs([full, skip, waived], produced=PRODUCED)
    rows = ranking_rows(render_comparison_html(comparison, "fr"))
    labels = list(rows)
    assert [label.split("Éditeur")[0] for label in labels] == [
        "ENT Réserve",
        "ENT Sélectif",
        "ENT Complet",
    ]
    waived_row, skip_row, full_row = (rows[label] for label in labels)

    assert text(waived_row.xpath("tr[1]/td[1]")[0]) == "1"
    must = text(waived_row.xpath(".//td[contains(@class, 'must-cell')]")[0])
    assert "aucune" not in must
    assert "MUST éliminatoires : 0" in must and "levée(s) par réserve : T-SECRET-001" in must
    waiver = text(waived_row.xpath("tr[@class='detail waiver']")[0])
    assert WAIVER["justification"] in waiver
    assert "approuvée par : Chef de projet ENT de la collectivité" in waiver
    assert "expire le 31 janvier 2027" in waiver and "accordée le 20 septembre 2026" in waiver
    should = text(waived_row.xpath(".//td[contains(@class, 'should-cell')]")[0])
    assert "50 %" in should and "fourchette : 50 % – 100 %" in should

    assert text(skip_row.xpath("tr[1]/td[1]")[0]) == "2 partiel"
    selection = text(skip_row.xpath("tr[@class='detail selection']")[0])
    assert "--skip T-SECRET-001" in selection and "run partiel" in selection
    assert "1 exigence(s) hors sélection, non évaluée(s) : T-SECRET-001" in selection
    assert "revues ou déclarations à examiner : 1" in text(skip_row)

    assert text(full_row.xpath("tr[1]/td[1]")[0]) == "—"
    assert "MUST éliminatoires : T-SECRET-001" in text(full_row)
    assert "grille entière" in text(full_row) and "partiel" not in text(full_row)


def test_the_ranking_in_english_has_no_french_spacing() -> None:
    full, skip, waived = tender()
    page = render_comparison_html(compare_runs([full, skip, waived], produced=PRODUCED), "en")
    rows = ranking_rows(page)
    waived_row, skip_row, _ = rows.values()
    assert text(skip_row.xpath("tr[1]/td[1]")[0]) == "2 partial"
    assert "lifted by a waiver: T-SECRET-001" in text(waived_row)
    assert "approved by: Chef de projet" in text(waived_row)
    assert "none" not in text(waived_row.xpath(".//td[contains(@class, 'must-cell')]")[0])
    assert "range: 50% – 100%" in text(waived_row)
    body = lxml_html.fromstring(page.decode("utf-8")).get_element_by_id("table-ranking")
    assert " :" not in text(body) and " ;" not in text(body) and "«" not in text(body)


def test_english_comparison_numbers_are_english() -> None:
    # Found by trial: the English comparison printed "33,3 %" and "1,5 / 4,5 points".
    record = run_of("ENT", {"J-1D-001": {"status": "fail"}, "T-FAIL-001": {"status": "pass"}})
    weights = Weights(requirements={"T-FAIL-001": 1.5, "J-1D-001": 3.0})
    comparison = compare_runs([record], weights, produced=PRODUCED)
    page = lxml_html.fromstring(render_comparison_html(comparison, "en").decode("utf-8"))
    ranking = text(page.get_element_by_id("table-ranking"))
    assert "33.3% (1.5 / 4.5 points)" in ranking
    chart = text(page.xpath("//svg[@aria-labelledby='chart-scores-caption']")[0])
    assert "33.3%" in chart
    assert "1.5" in text(page.get_element_by_id("table-weights"))
    everything = text(page)
    assert "33,3" not in everything and "1,5" not in everything
    french = lxml_html.fromstring(render_comparison_html(comparison, "fr").decode("utf-8"))
    assert "33,3 % (1,5 / 4,5 points)" in text(french.get_element_by_id("table-ranking"))


def test_score_chart_labels_of_runs_of_one_target_stay_distinct() -> None:
    # Found by trial: three runs of "ENT de démonstration (pile de référence locale)" were
    # all labelled "ENT de démonstration (pil…" beside their bars.
    name = "ENT de démonstration (pile de référence locale)"
    runs = [run_of(name, {}) for _ in range(3)]
    for n, record in enumerate(runs):
        record["run_id"] = f"00000000-0000-4000-8000-00000000000{n}"
    page = lxml_html.fromstring(render_comparison_html(compare_runs(runs, produced=PRODUCED)))
    chart = page.xpath("//svg[@aria-labelledby='chart-scores-caption']")[0]
    shown = [label.text.strip() for label in chart.xpath(".//text[title]")]
    assert len(shown) == 3 and len(set(shown)) == 3, shown
    assert all(len(label) <= 22 and label.endswith(("#1", "#2", "#3")) for label in shown)
    titles = {title.text for title in chart.xpath(".//text/title")}
    assert all(title.startswith(name) for title in titles) and len(titles) == 3


def test_a_partial_run_never_outranks_a_complete_one_even_when_better() -> None:
    # The complete run has a MUST in error (à compléter); the partial one evaluated the
    # MUST only (recevable): by standing it used to come first.
    complete = run_of("Complet", {"J-DECL-001": {"status": "error"}})
    partial = run_of(
        "Partiel",
        {
            "T-FAIL-001": {"status": "not_tested", "message": "Non sélectionnée."},
            "J-1D-001": {"status": "not_tested", "message": "Non sélectionnée."},
        },
    )
    partial["selection"]["levels"] = ["MUST"]
    comparison = compare_runs([partial, complete], produced=PRODUCED)
    p, c = comparison.solutions
    assert p.standing is Standing.RECEVABLE and c.standing is Standing.A_COMPLETER
    assert p.partial and p.unselected == ("T-FAIL-001", "J-1D-001")
    assert (c.rank, p.rank) == (1, 2)
    assert p.should_range == (0.0, 100.0)


def test_missing_results_make_a_run_partial() -> None:
    record = run_of("Amputé", {})
    record["results"] = [e for e in record["results"] if e["requirement"] != "J-1D-001"]
    record["evidence_manifest"] = evidence_manifest(record["results"])
    record["score"] = rescore(record).to_json()
    (solution,) = compare_runs([record], produced=PRODUCED).solutions
    assert solution.partial and solution.missing == ("J-1D-001",) and not solution.unselected


def test_expired_and_lapsed_waivers_are_flagged() -> None:
    expired = dict(WAIVER, expires="2026-09-01", state="expired")
    eliminated = run_of(
        "Expirée",
        {"T-SECRET-001": {"status": "fail", "waiver_state": "expired"}},
        waivers=[expired],
    )
    lapsing = dict(WAIVER, expires="2026-10-10")
    lapsed = run_of(
        "Échue",
        {"T-SECRET-001": {"status": "fail", "waived": True, "waiver_state": "valid"}},
        waivers=[lapsing],
    )
    comparison = compare_runs([eliminated, lapsed], produced=PRODUCED)
    e, la = comparison.solutions
    assert e.standing is Standing.ELIMINEE and e.waivers[0].state == "expired"
    assert la.standing is Standing.RECEVABLE and la.waivers[0].lapsed
    page = text(lxml_html.fromstring(render_comparison_html(comparison).decode("utf-8")))
    assert "réserve expirée à la date du run : l'échec reste éliminatoire" in page
    assert "réserve expirée à la date de la comparaison" in page


def test_a_waiver_without_approver_says_so() -> None:
    bare = {k: v for k, v in WAIVER.items() if k not in ("approved_by", "granted")}
    record = run_of(
        "Sans visa",
        {"T-SECRET-001": {"status": "fail", "waived": True, "waiver_state": "valid"}},
        waivers=[bare],
    )
    page = render_comparison_html(compare_runs([record], produced=PRODUCED)).decode("utf-8")
    assert "approuvée par : non renseigné" in text(lxml_html.fromstring(page))
    assert 'id="partial-warning"' not in page  # a complete run raises no partial warning


def test_stale_declarations_and_reviews_are_flagged_in_compare_and_remarks() -> None:
    record = run_of("Ancien", {})
    started = datetime.fromisoformat(record["started_at"]).date()
    assert record["grid"].get("max_evidence_age_days", DEFAULT_MAX_EVIDENCE_AGE_DAYS) == 90
    record["reviews"] = [
        {
            "requirement": "J-1D-001",
            "status": "pass",
            "comment": "Vu.",
            "author": "Alice Auditrice",
            "date": "2026-06-01",
            "documents": [],
        }
    ]
    record["grid"]["max_evidence_age_days"] = 30
    remarks = stale_evidence(record)
    assert remarks == [
        {
            "kind": "stale_review",
            "requirement": "J-1D-001",
            "date": "2026-06-01",
            "author": "Alice Auditrice",
            "age_days": (started - datetime(2026, 6, 1).date()).days,
            "limit_days": 30,
        }
    ]
    (solution,) = compare_runs([record], produced=PRODUCED).solutions
    assert [(s.kind, s.requirement_id) for s in solution.stale] == [("review", "J-1D-001")]
    page = text(
        lxml_html.fromstring(render_comparison_html(compare_runs([record], produced=PRODUCED)))
    )
    assert "Pièces anciennes (datées de plus de 30 jours avant le run)" in page
    assert "revue J-1D-001 du 1er juin 2026" in page
    record["grid"]["max_evidence_age_days"] = 365
    assert stale_evidence(record) == []


def test_declared_editor_and_version_complete_the_target_and_mismatches_are_remarked() -> None:
    record = run_of("ENT", {})
    del record["target"]["editor"]
    record["target"]["solution_version"] = "5.3.0"
    record["declared_solution"] = {"editor": "Éditeur Exemple", "solution_version": "5.2.0"}
    validate_run(record)
    (solution,) = compare_runs([record], produced=PRODUCED).solutions
    assert solution.editor == "Éditeur Exemple" and solution.solution_version == "5.3.0"
    assert solution.mismatches == (("solution_version", "5.2.0", "5.3.0"),)
    assert run_remarks(record)[-1]["kind"] == "solution_mismatch"


def test_cover_shows_production_date_full_hashes_fingerprint_and_visa() -> None:
    full, skip, waived = tender()
    comparison = compare_runs([full, skip, waived], produced=PRODUCED)
    page = render_comparison_html(comparison, "fr", "Marie Acheteuse, DSI").decode("utf-8")
    doc = lxml_html.fromstring(page)
    facts = text(doc.get_element_by_id("compare-facts"))
    for solution in comparison.solutions:
        assert solution.run_hash in facts  # whole, not cut
    assert text(doc.get_element_by_id("compare-produced")) == "15 octobre 2026 à 09:00:00 UTC"
    assert text(doc.get_element_by_id("compare-fingerprint")) == comparison.fingerprint
    warning = text(doc.get_element_by_id("partial-warning"))
    assert warning.startswith("Runs partiels (1) : ENT Sélectif.")
    visa = text(doc.get_element_by_id("compare-visa"))
    assert "Marie Acheteuse, DSI" in visa and "Date" in visa and "Signature" in visa
    assert '<meta name="author" content="Marie Acheteuse, DSI">' in page


def test_fingerprint_ignores_order_and_follows_weights() -> None:
    full, skip, waived = tender()
    forward = compare_runs([full, skip, waived], produced=PRODUCED)
    backward = compare_runs([waived, skip, full], produced=PRODUCED)
    assert forward.fingerprint == backward.fingerprint
    weighted = compare_runs([full, skip, waived], Weights(default=2.0), produced=PRODUCED)
    assert weighted.fingerprint != forward.fingerprint


# --- the same tender through the real run path (fake probes, no network) ---------------------


def real_tender(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``sdet-check run`` three times: in full, with ``--skip T-SECRET-001``, with a waiver.

    On the demo grid with the unit tests' fake probes, T-SECRET-001 (MUST) fails, T-FAIL-001
    (SHOULD) fails, J-DECL-001 (MUST) waits for its declaration to be examined and J-1D-001
    (SHOULD, 1er degré) is not applicable to the 2nd-degree target.
    """
    today = date.today()
    declarations = tmp_path / "declarations.yaml"
    declarations.write_text(
        "format: 1\neditor: Éditeur Déclaré\nsolution: ENT Déclaré\nsolution_version: '5.2.0'\n"
        "declarations:\n"
        "  - {requirement: J-DECL-001, status: conforme, statement: Registre tenu.,"
        f" author: Jeanne Martin, date: {(today - timedelta(days=200)).isoformat()}}}\n",
        encoding="utf-8",
    )
    waivers = tmp_path / "reserves.yaml"
    waivers.write_text(
        "format: 1\nwaivers:\n"
        f"  - {{requirement: T-SECRET-001, justification: {json.dumps(WAIVER['justification'])},"
        f" author: {json.dumps(WAIVER['author'])},"
        f" approved_by: {json.dumps(WAIVER['approved_by'])},"
        f" granted: {(today - timedelta(days=3)).isoformat()}, expires: 2999-12-31}}\n",
        encoding="utf-8",
    )

    def run(**options: Any) -> dict[str, Any]:
        request = RunRequest(
            target=target_file, grid=str(DEMO_GRID), declarations=declarations, **options
        )
        record = evaluate(request, registry=registry, environ=environ)
        saved = tmp_path / f"{record['run_id']}.json"
        saved.write_text(dump_run(record), encoding="utf-8")
        return load_run(saved)  # what `compare` reads

    full = run()
    skip = run(selection=Selection(skip=("T-SECRET-001",)))
    waived = run(waivers=waivers)
    return full, skip, waived


def test_real_runs_full_skip_and_waived_are_ranked_fairly(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    full, skip, waived = real_tender(tmp_path, registry, target_file, environ)
    # The declarations' editor and version reach run.json; the old declaration is remarked.
    assert full["declared_solution"] == {
        "editor": "Éditeur Déclaré",
        "solution": "ENT Déclaré",
        "solution_version": "5.2.0",
    }
    assert [(r["kind"], r["requirement"], r["age_days"]) for r in full["remarks"]] == [
        ("stale_declaration", "J-DECL-001", 200)
    ]
    assert full["grid"]["max_evidence_age_days"] == DEFAULT_MAX_EVIDENCE_AGE_DAYS
    comparison = compare_runs([full, skip, waived], names=["complet", "skip", "reserve"])
    f, s, w = comparison.solutions
    assert f.standing is Standing.ELIMINEE and f.rank is None and not f.partial
    assert s.partial and s.selection == {"skip": ("T-SECRET-001",)} and s.rank == 2
    assert s.standing is Standing.A_COMPLETER and s.gates_open == ("T-SECRET-001", "J-DECL-001")
    assert w.rank == 1 and not w.partial and w.gate_failures == ()
    assert [(g.requirement_id, g.state, g.approved_by, g.expires) for g in w.waivers] == [
        ("T-SECRET-001", "valid", WAIVER["approved_by"], "2999-12-31")
    ]
    assert w.should_range == (0.0, 0.0) and w.reviews_pending == 1  # J-DECL-001
    assert f.editor == "Éditeur Déclaré" and f.solution_version == "5.2.0"
    assert [x.kind for x in f.stale] == ["declaration"]

    page = lxml_html.fromstring(render_comparison_html(comparison).decode("utf-8"))
    rows = {b.get("id"): b for b in page.get_element_by_id("table-ranking").xpath("tbody")}
    assert text(rows["rank-2"].xpath("tr[1]/td[1]")[0]) == "1"
    assert text(rows["rank-1"].xpath("tr[1]/td[1]")[0]) == "2 partiel"
    assert text(rows["rank-0"].xpath("tr[1]/td[1]")[0]) == "—"
    waived_text = text(rows["rank-2"])
    assert "aucune" not in waived_text and "levée(s) par réserve : T-SECRET-001" in waived_text
    assert WAIVER["justification"] in waived_text and "expire le 31 décembre 2999" in waived_text
    assert "fourchette : 0 % – 0 %" in waived_text
    assert "--skip T-SECRET-001" in text(rows["rank-1"])
    assert "déclaration J-DECL-001" in text(rows["rank-0"])


def test_report_cover_shows_declared_editor_and_remarks(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    full, _, _ = real_tender(tmp_path, registry, target_file, environ)
    for lang, words in (
        ("fr", ["Éditeur Déclaré", "5.2.0", "Remarques", "Déclaration de J-DECL-001", "200 jours"]),
        ("en", ["Éditeur Déclaré", "5.2.0", "Remarks", "Declaration of J-DECL-001", "200 days"]),
    ):
        page = lxml_html.fromstring(HtmlReporter().render(full, lang).decode("utf-8"))
        cover = text(page.get_element_by_id("cover-facts")) + text(
            page.get_element_by_id("cover-remarks")
        )
        for word in words:
            assert word in cover, (lang, word)
    record = copy.deepcopy(full)
    record["target"]["solution_version"] = "5.3.0"
    page = lxml_html.fromstring(HtmlReporter().render(record, "fr").decode("utf-8"))
    remarks = text(page.get_element_by_id("cover-remarks"))
    assert "désigne la version « 5.2.0 », le fichier cible « 5.3.0 »" in remarks


def test_the_cover_lists_a_few_remarks_and_counts_the_others() -> None:
    record = run_of("Vieux dossier", {})
    record["grid"]["max_evidence_age_days"] = 0
    record["reviews"] = [
        {
            "requirement": requirement,
            "status": "pass",
            "comment": "Vu.",
            "author": "Alice",
            "date": "2026-01-01",
            "documents": [],
        }
        for requirement in ("T-PASS-001", "T-FAIL-001", "T-SECRET-001", "J-DECL-001", "J-1D-001")
    ] * 2
    record["declarations"] = []
    assert len(run_remarks(record)) == 10
    page = lxml_html.fromstring(HtmlReporter().render(record, "fr").decode("utf-8"))
    items = page.get_element_by_id("cover-remarks").xpath(".//li")
    assert len(items) == 7 and "et 4 autre(s) remarque(s)" in text(items[-1])
