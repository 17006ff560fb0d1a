"""The message catalogue: complete in both languages, used everywhere, safe to render."""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sdet_check.messages import (
    LANGUAGES,
    Message,
    UnknownMessage,
    catalogue,
    click_texts,
    early_language,
    from_json,
    message_text,
    msg,
    placeholders,
    render,
    set_language,
)
from sdet_check.probe import NotTestable, ProbeError, Status
from sdet_check.results import RequirementResult
from tests.strategies import budget

ROOT = Path(__file__).resolve().parents[2]
NBSP = "\u00a0"

# Calls whose first argument is a message a user reads.
_OUTCOME = {"passed", "failed", "not_applicable"}
_EXCEPTIONS = {
    "ProbeError",
    "NotTestable",
    "TargetUnreachable",
    "ProbeTimeout",
    "BadParams",
    "HostileResponse",
    "UnsafeCredentialsDestination",
    "_TlsRefused",
    "InputError",
    "BadParameter",
}
_CONSOLES = {"console", "err_console"}


def _is_literal_text(node: ast.expr) -> bool:
    """A string literal, an f-string, or a concatenation holding one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _is_literal_text(node.left) or _is_literal_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_literal_text(node.body) or _is_literal_text(node.orelse)
    return False


def _texts_assigned(function: ast.AST) -> set[str]:
    """Names a function binds to literal text (``message = f"..."``, ``message += "..."``)."""
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and _is_literal_text(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif (
            isinstance(node, ast.AugAssign | ast.AnnAssign)
            and node.value is not None
            and isinstance(node.target, ast.Name)
            and _is_literal_text(node.value)
        ):
            names.add(node.target.id)
    return names


def _message_call(call: ast.Call) -> str | None:
    """The name of a call that takes a user-facing message first, else ``None``."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in _EXCEPTIONS:
        return func.id
    if isinstance(func, ast.Attribute):
        owner = func.value
        if isinstance(owner, ast.Name) and owner.id == "Outcome" and func.attr in _OUTCOME:
            return f"Outcome.{func.attr}"
        if func.attr in _EXCEPTIONS:
            return func.attr
        if isinstance(owner, ast.Name) and owner.id in _CONSOLES and func.attr == "print":
            return f"{owner.id}.print"
        if isinstance(owner, ast.Name) and owner.id == "typer" and func.attr == "echo":
            return "typer.echo"
    return None


def literal_messages(path: Path) -> list[str]:
    """Every call in ``path`` that passes a bare literal or f-string as a user-facing message."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    scopes: list[ast.AST] = [tree]
    scopes += [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for scope in scopes:
        texts = _texts_assigned(scope) if scope is not tree else set()
        for node in ast.walk(scope):
            if isinstance(node, ast.Call) and node.args:
                name = _message_call(node)
                # An input error's first argument is the file; its problem and fix follow.
                told = node.args[1:3] if name == "InputError" else node.args[:1]
                literal = any(
                    _is_literal_text(arg) or (isinstance(arg, ast.Name) and arg.id in texts)
                    for arg in told
                )
                if name is not None and literal:
                    found.add(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    return sorted(found, key=lambda entry: int(entry.split(":")[1].split(" ")[0]))


def message_ids_used(path: Path) -> list[tuple[int, str]]:
    """Every literal id given to ``msg(...)`` or ``text(...)`` in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    makers = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "sdet_check.messages"
        for alias in node.names
        if alias.name in ("msg", "text")
    }
    return [
        (node.lineno, node.args[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in makers
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ]


def _sources() -> list[Path]:
    return sorted([*(ROOT / "probes").rglob("*.py"), *(ROOT / "sdet_check").rglob("*.py")])


# --- the catalogue itself -------------------------------------------------------------------


def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    """A message missing in one language, or with other fields, would render wrong there."""
    problems = []
    for message_id, texts in catalogue().items():
        if set(texts) != set(LANGUAGES) or not all(texts[lang].strip() for lang in LANGUAGES):
            problems.append(f"{message_id}: languages {sorted(texts)}")
            continue
        fields = {lang: sorted(set(placeholders(texts[lang]))) for lang in LANGUAGES}
        if fields["fr"] != fields["en"]:
            problems.append(f"{message_id}: fr {fields['fr']} / en {fields['en']}")
    assert problems == []
    assert len(catalogue()) > 30


def test_placeholders_are_plain_names() -> None:
    """No format spec, conversion or attribute access: any value renders, nothing is looked up."""
    bad = []
    for message_id, texts in catalogue().items():
        for lang, template in texts.items():
            for _, field, spec, conversion in __import__("string").Formatter().parse(template):
                if field is not None and (not field.isidentifier() or spec or conversion):
                    bad.append(f"{message_id} ({lang}): {{{field}}}")
    assert bad == []


def test_english_has_no_french_spacing_and_french_gets_no_break_spaces() -> None:
    """French typography only in French: `a: b` in English, `a : b` (no-break) in French."""
    spaced = [
        message_id
        for message_id, texts in catalogue().items()
        # Quoted French (a mention the page must show) keeps its own spacing.
        if re.search(r"\s[:;?!](\s|$)", re.sub(r'"[^"]*"', "Q", texts["en"]))
    ]
    assert spaced == []
    assert render("runner.bad_params", {"kind": "k", "problem": "p"}, "fr") == (
        f"Paramètres de la sonde k invalides{NBSP}: p."
    )
    assert render("runner.bad_params", {"kind": "k", "problem": "p"}, "en") == (
        "Invalid parameters for the probe k: p."
    )


def test_parameters_keep_their_own_spacing() -> None:
    """French typography touches the template, never a value (a URL keeps its ``https:``)."""
    text = render("runner.target_unreachable", {"detail": "https://x : y"}, "fr")
    assert "https://x : y" in text


def test_every_id_the_code_asks_for_exists() -> None:
    """A typo in an id would make a probe fail at the worst moment: checked statically."""
    known = catalogue()
    unknown = [
        f"{path.relative_to(ROOT)}:{line} {message_id}"
        for path in _sources()
        for line, message_id in message_ids_used(path)
        if message_id not in known
    ]
    assert unknown == []


def test_every_import_scenario_requirement_has_its_description() -> None:
    """The import probe names what each requirement covers from ids built at run time."""
    from sdet_check.aaf.scenario import COVERED

    missing = [r for r in COVERED if f"ldap.import.covered.{r}" not in catalogue()]
    assert missing == []


def test_click_strings_have_french_text() -> None:
    """Click's and Typer's help words are translated (``Show this message and exit.``)."""
    texts = click_texts()
    assert texts["Show this message and exit."].startswith("Afficher")
    assert all(french.strip() for french in texts.values())


# --- no literal message left in converted modules --------------------------------------------


def test_no_module_passes_a_literal_message() -> None:
    """Outcome, ProbeError, NotTestable and console output get catalogue messages only.

    Every module of ``probes/`` and ``sdet_check/`` is scanned: a new probe that writes its
    finding as an f-string fails here, with the file and line.
    """
    found = [entry for path in _sources() for entry in literal_messages(path)]
    assert found == []


def test_the_scan_finds_literal_messages(tmp_path: Path) -> None:
    """The AST scan itself catches each form it is meant to catch."""
    sample = ROOT / "tests" / "unit" / "_literal_sample.py"
    sample.write_text(
        "Outcome.failed(f'x {y}')\n"
        "raise ProbeError('plain')\n"
        "raise NotTestable('a' + b)\n"
        "console.print(f'Écrit : {p}')\n"
        "Outcome.passed(msg('runner.no_detail'))\n"
        "raise InputError(path, f'{x} absent', msg('runner.no_detail'))\n"
        "def f():\n"
        "    message = 'a' if x else 'b'\n"
        "    return Outcome.passed(message)\n",
        encoding="utf-8",
    )
    try:
        found = literal_messages(sample)
    finally:
        sample.unlink()
    assert [entry.split(" ", 1)[1] for entry in found] == [
        "Outcome.failed",
        "ProbeError",
        "NotTestable",
        "console.print",
        "InputError",
        "Outcome.passed",
    ]


# --- messages as values -----------------------------------------------------------------------


def test_a_message_is_text_in_the_current_language_and_keeps_its_id() -> None:
    """Code reading a message as text keeps working; the id and params travel with it."""
    message = msg("runner.target_unreachable", detail="refused")
    assert isinstance(message, str)
    assert message == "Cible injoignable (refused)."
    assert message.render("en") == "Target unreachable (refused)."
    assert message.to_json() == {
        "message_id": "runner.target_unreachable",
        "message_params": {"detail": "refused"},
    }
    set_language("en")
    try:
        assert msg("runner.target_unreachable", detail="x") == "Target unreachable (x)."
    finally:
        set_language("fr")
    assert pickle.loads(pickle.dumps(message)).to_json() == message.to_json()


def test_unknown_id_is_refused() -> None:
    """An id no catalogue defines is a bug, caught where the message is made."""
    with pytest.raises(UnknownMessage):
        msg("no.such.message")


def test_exceptions_carry_their_message_and_nest() -> None:
    """A ProbeError keeps its message; wrapped in another message it stays re-renderable."""
    inner = ProbeError(msg("runner.target_timeout", detail="5 s"))
    outer = msg("runner.run_bound_cut", detail=inner)
    assert outer.render("en") == (
        "The run's time bound was reached during the probe; it was interrupted "
        "(The target did not answer in time (5 s).)"
    )
    carried = NotTestable(msg("runner.no_detail")).message
    assert isinstance(carried, Message) and carried.id == "runner.no_detail"
    again = from_json(outer.to_json())
    assert again.render("en") == outer.render("en") and again == outer


def test_a_result_records_id_and_params_and_renders_in_either_language() -> None:
    """run.json keeps the rendered text plus what re-renders it; reports pick the language."""
    result = RequirementResult("R-1", Status.ERROR, msg("runner.probe_timeout", seconds="30"))
    entry = result.to_json("en")
    assert (
        entry["message"]
        == "The probe did not conclude within its time bound (30 s); it was abandoned."
    )
    assert entry["message_id"] == "runner.probe_timeout"
    assert message_text(entry, "fr") == (
        f"La sonde n'a pas conclu dans le temps imparti (30 s){NBSP}; elle a été abandonnée."
    )
    assert message_text(entry, "en") == entry["message"]


@pytest.mark.parametrize(
    "entry",
    [
        {"message": "Ancien texte."},
        {"message": "Ancien texte.", "message_id": "gone.away", "message_params": {}},
        {"message": "Ancien texte.", "message_id": 3, "message_params": []},
        {"message": "Ancien texte.", "message_id": "runner.probe_timeout", "message_params": 5},
    ],
)
def test_old_or_edited_records_render_their_stored_text(entry: dict[str, object]) -> None:
    """Records without an id, or with an id or params that cannot be used, keep their text."""
    assert message_text(entry, "en") == "Ancien texte."


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--lang", "en", "run"], {}, "en"),
        (["--lang=en", "--help"], {}, "en"),
        (["--help"], {"SDET_CHECK_LANG": "en"}, "en"),
        (["--lang", "fr"], {"SDET_CHECK_LANG": "en"}, "fr"),
        (["run", "--lang", "en"], {}, "fr"),
        (["--lang", "de"], {}, "fr"),
    ],
)
def test_language_is_known_before_parsing(
    argv: list[str], env: dict[str, str], expected: str
) -> None:
    """Help is built before the options are parsed: a leading --lang or the variable decides."""
    assert early_language(argv, env) == expected


_values = st.one_of(
    st.text(max_size=40),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)


@budget(400)
@given(data=st.data(), message_id=st.sampled_from(sorted(catalogue())))
def test_any_message_renders_with_any_values_and_keeps_them(
    data: st.DataObject, message_id: str
) -> None:
    """Braces, quotes, percent signs, numbers, None: rendering never fails nor drops a value."""
    fields = sorted(set(placeholders(catalogue()[message_id]["fr"])))
    params = {name: data.draw(_values, label=name) for name in fields}
    for lang in LANGUAGES:
        text = render(message_id, params, lang)
        for value in params.values():
            assert str(value) in text
    message = Message(message_id, params)
    assert from_json(message.to_json()).render("en") == message.render("en")
