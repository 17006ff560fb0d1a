"""The message catalogue: every probe finding, runner state and CLI string, in French and English.

Why a catalogue keyed by message id, in TOML files, rather than gettext ``.po`` files: a run
record keeps the id and the parameters of each finding beside its rendered text, so that a
run made in one language is rendered in the other; gettext keys a message by its source
text, so every rewording of a French sentence would orphan the records already written.
The catalogue is data (``sdet_check/catalogue/<family>.toml``, one file per probe family and
one for the runner and the command line, so that parallel edits do not collide), needs no
compilation step, and the tests check it whole: both languages for every id, the same
placeholders in both, no English template with French spacing. TOML because the standard
library reads it (:mod:`tomllib`): ``sdet-check --help`` must start without PyYAML.

A template is a :meth:`str.format` text with named fields only (``{url}``), no format spec:
callers format numbers themselves. French typography (a no-break space before ``:``, ``;``,
``?`` and ``!``) is applied to French templates when they are rendered, never to the
parameters (a URL keeps its ``https:``) and never in English. A catalogue file whose texts
came from French written with plain spaces says ``[_catalogue] french_spacing = false`` and
keeps them as written (its French output stays byte for byte what it was).

:class:`Message` is a :class:`str` (its text in the language current when it was made), so
that code and tests that read a message as text keep working; it also carries its id and
parameters, which :class:`~sdet_check.results.RequirementResult` writes into the run record
as ``message_id`` and ``message_params``. :func:`message_text` renders a recorded result in
any language, and falls back to the stored text for records written before the catalogue or
with an id the catalogue no longer knows.

Click's and Typer's own strings (``Show this message and exit.``) go through the standard
:mod:`gettext` API: :func:`click_translations` is a :class:`gettext.NullTranslations` fed by
the ``click`` section of the catalogue (English msgid to French text).
"""

from __future__ import annotations

import gettext
import os
import re
import string
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from sdet_check.redaction import visible_controls

LANGUAGES = ("fr", "en")
"""The languages every catalogue entry has."""

DEFAULT_LANGUAGE = "fr"
"""The users are French."""

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"
"""Where the catalogue files sit (``<family>.toml``); they ship inside the package."""

CLICK_SECTION = "click"
"""The catalogue file holding Click's and Typer's own strings, keyed by their English text."""

_NO_BREAK_SPACE = "\u00a0"
_FRENCH_SPACING = re.compile(r" ([:;?!])")
_FORMATTER = string.Formatter()

Scalar = str | int | float | bool | None
"""A plain parameter value as a record keeps it."""

Param = Scalar | list[Any]
"""A parameter: a scalar, a nested :class:`Message`, or a list of those (joined by commas)."""

CLAUSES = "core.clauses"
"""The message whose ``items`` list is joined by semicolons: findings, each a clause."""

_CLAUSE_SEPARATOR = {"fr": _NO_BREAK_SPACE + "; ", "en": "; "}

_language = DEFAULT_LANGUAGE


class UnknownMessage(KeyError):
    """A message id that no catalogue file defines (a bug in the code that asked for it)."""


def set_language(lang: str) -> None:
    """Make ``lang`` the language new messages render in (the CLI sets it once, early)."""
    global _language
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: choose among {', '.join(LANGUAGES)}")
    _language = lang


def current_language() -> str:
    """The language new messages render in."""
    return _language


def early_language(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> str:
    """The output language known before the command line is parsed (help is built early).

    A leading ``--lang en`` / ``--lang=en`` wins over ``SDET_CHECK_LANG``; anything unknown
    gives French, and the parser then reports the bad value in its own words.
    """
    env = os.environ if environ is None else environ
    lang = env.get("SDET_CHECK_LANG", DEFAULT_LANGUAGE)
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            lang = argv[index + 1]
            break
        if arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
            break
        if not arg.startswith("-"):
            break  # the command's own options come after its name: not a leading --lang
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


SETTINGS_TABLE = "_catalogue"
"""A catalogue file's own settings (not a message): ``french_spacing = false``."""


@cache
def _catalogue_files() -> tuple[dict[str, Mapping[str, str]], frozenset[str]]:
    """Every message with its templates, and the ids whose French keeps its plain spaces.

    Why the opt-out: the wording tables of the review, the questionnaire import and other
    commands were moved here from local dictionaries whose French was written with plain
    spaces before ``:`` and ``;``; their files say ``french_spacing = false`` so that the
    French output stays byte for byte what scripts and tests already match.
    """
    entries: dict[str, Mapping[str, str]] = {}
    plain: set[str] = set()
    for path in sorted(CATALOGUE_DIR.glob("*.toml")):
        if path.stem == CLICK_SECTION:
            continue
        loaded = tomllib.loads(path.read_text(encoding="utf-8"))
        settings = loaded.pop(SETTINGS_TABLE, {})
        for message_id, texts in loaded.items():
            if message_id in entries:
                raise ValueError(f"{path.name}: message id {message_id} defined twice")
            entries[str(message_id)] = {str(k): str(v) for k, v in texts.items()}
            if settings.get("french_spacing", True) is False:
                plain.add(str(message_id))
    return entries, frozenset(plain)


def catalogue() -> Mapping[str, Mapping[str, str]]:
    """Every message id with its templates per language, from every catalogue file."""
    return _catalogue_files()[0]


def placeholders(template: str) -> list[str]:
    """The field names of ``template``, in order (``ValueError`` on a malformed template)."""
    return [field for _, field, _, _ in _FORMATTER.parse(template) if field is not None]


def template(message_id: str, lang: str) -> str:
    """The template of ``message_id`` in ``lang``, French typography applied in French."""
    try:
        text = catalogue()[message_id][lang]
    except KeyError as missing:
        raise UnknownMessage(f"no {lang} text for message {message_id}") from missing
    if lang == "fr" and message_id not in _catalogue_files()[1]:
        text = _FRENCH_SPACING.sub(_NO_BREAK_SPACE + r"\1", text)
    return text


class _Values(dict[str, Any]):
    """Parameters seen by :meth:`str.format_map`: nested messages rendered, gaps kept visible."""

    def __init__(self, params: Mapping[str, Any], lang: str, separator: str) -> None:
        super().__init__(params)
        self.lang = lang
        self.separator = separator

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        if isinstance(value, list):
            return self.separator.join(str(_shown(item, self.lang)) for item in value)
        return _shown(value, self.lang)

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _shown(value: Any, lang: str) -> Any:
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, list):
        return ", ".join(str(_shown(item, lang)) for item in value)
    return value


def render(message_id: str, params: Mapping[str, Any], lang: str) -> str:
    """``message_id`` in ``lang`` with ``params`` filled in (:class:`UnknownMessage` if unknown).

    A list parameter is joined by commas, except in :data:`CLAUSES` (semicolons).
    """
    separator = _CLAUSE_SEPARATOR.get(lang, "; ") if message_id == CLAUSES else ", "
    return template(message_id, lang).format_map(_Values(params, lang, separator))


def _param(value: object) -> Param:
    """A parameter as a message keeps it: scalars, messages and lists of them, else text."""
    if isinstance(value, Message):
        return value
    if isinstance(value, BaseException):
        carried = getattr(value, "message", None)
        if isinstance(carried, Message):
            return carried  # a ProbeError or NotTestable wrapped in another message
        if value.args and isinstance(value.args[0], Message):
            return value.args[0]  # a ValueError raised with a catalogue message
    if isinstance(value, str):
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_param(item) for item in items]
    return str(value)


class Message(str):
    """A catalogue message: its text in the language current at creation, its id and params."""

    id: str
    params: Mapping[str, Param]
    sentence: bool

    def __new__(
        cls,
        message_id: str,
        params: Mapping[str, object] | None = None,
        *,
        sentence: bool = False,
        lang: str | None = None,
    ) -> Message:
        """Render ``message_id`` now; :class:`UnknownMessage` for an id no catalogue has."""
        kept = {name: _param(value) for name, value in (params or {}).items()}
        text = _finish(render(message_id, kept, lang or _language), sentence)
        self = super().__new__(cls, text)
        self.id = message_id
        self.params = kept
        self.sentence = sentence
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        """Copy and pickle as a message, not as plain text."""
        return (_rebuild, (self.id, dict(self.params), self.sentence, str(self)))

    def render(self, lang: str) -> str:
        """The message in ``lang``."""
        return _finish(render(self.id, self.params, lang), self.sentence)

    def as_sentence(self) -> Message:
        """The same message ending with a full stop (the runner's results are sentences)."""
        return _rebuild(self.id, dict(self.params), True, _finish(str(self), True))

    def map_text(self, change: Callable[[str], str]) -> Message:
        """The same message with ``change`` applied to every text parameter (nested too)."""
        params = {name: _mapped(value, change) for name, value in self.params.items()}
        return _rebuild(self.id, params, self.sentence, change(str(self)))

    def to_json(self) -> dict[str, Any]:
        """``message_id`` and ``message_params`` for a record (nested messages alike)."""
        return {
            "message_id": self.id,
            "message_params": {name: _json(value) for name, value in self.params.items()},
            **({"message_sentence": True} if self.sentence else {}),
        }


def _mapped(value: Param, change: Callable[[str], str]) -> Param:
    if isinstance(value, Message):
        return value.map_text(change)
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_mapped(item, change) for item in value]
    return value


def _json(value: Param) -> Any:
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, list):
        return [_json(item) for item in value]
    return value


def _from_json_param(value: Any) -> object:
    if isinstance(value, Mapping):
        return from_json(value)
    if isinstance(value, list):
        return [_from_json_param(item) for item in value]
    return value


def _rebuild(message_id: str, params: Mapping[str, Param], sentence: bool, text: str) -> Message:
    self = str.__new__(Message, text)
    self.id = message_id
    self.params = dict(params)
    self.sentence = sentence
    return self


def _finish(text: str, sentence: bool) -> str:
    if not sentence:
        return text
    text = text.strip() or "…"
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def msg(message_id: str, /, **params: object) -> Message:
    """The catalogue message ``message_id`` with ``params``, in the current language."""
    return Message(message_id, params)


def clauses(items: Iterable[object]) -> Message:
    """Findings joined by semicolons (``a ; b`` in French, ``a; b`` in English)."""
    return Message(CLAUSES, {"items": list(items)})


def from_json(data: Mapping[str, Any]) -> Message:
    """The message a record keeps (``message_id``, ``message_params``); raises when unusable."""
    message_id = data["message_id"]
    params = data.get("message_params") or {}
    if not isinstance(message_id, str) or not isinstance(params, Mapping):
        raise TypeError("message_id must be text and message_params a mapping")
    kept = {str(name): _from_json_param(value) for name, value in params.items()}
    return Message(message_id, kept, sentence=bool(data.get("message_sentence")))


def message_text(result: Mapping[str, Any], lang: str) -> str:
    """The message of a recorded result in ``lang``; the stored text when it cannot be re-rendered.

    Records written before the catalogue carry no ``message_id``; an edited record may carry
    anything: neither ever makes a report fail.
    """
    stored = result.get("message")
    stored_text = stored if isinstance(stored, str) else ""
    if "message_id" not in result:
        return stored_text
    try:
        return visible_controls(from_json(result).render(lang))
    except Exception:  # an old or edited record: its stored text is what it says
        return stored_text


def text(message_id: str, lang: str | None = None, /, **params: object) -> str:
    """A plain string of the catalogue (CLI help, labels), in ``lang`` or the current language."""
    return str(Message(message_id, params, lang=lang))


def table(prefix: str) -> dict[str, dict[str, Any]]:
    """The templates of every id starting with ``prefix``, by language then by the rest of the id.

    For modules that keep a table of words (``words["title"]``) rather than asking for each
    message. Ids ending in ``.0``, ``.1``… make one tuple (``columns.0`` → ``columns[0]``).
    Templates are as :func:`template` gives them (French typography unless the file opts out).
    """
    keys = [mid.removeprefix(prefix) for mid in catalogue() if mid.startswith(prefix)]
    words: dict[str, dict[str, Any]] = {}
    for lang in LANGUAGES:
        shown: dict[str, Any] = {}
        items: dict[str, dict[int, str]] = {}
        for key in keys:
            head, _, last = key.rpartition(".")
            if head and last.isdigit():
                items.setdefault(head, {})[int(last)] = template(prefix + key, lang)
            else:
                shown[key] = template(prefix + key, lang)
        for head, parts in items.items():
            shown[head] = tuple(parts[index] for index in sorted(parts))
        words[lang] = shown
    return words


class CatalogueTranslations(gettext.NullTranslations):
    """Click's and Typer's own strings in French, through the standard gettext interface."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        """Keep the English-to-French table."""
        super().__init__()
        self._texts = dict(texts)

    def gettext(self, message: str) -> str:
        """The French text of ``message``, or ``message`` when the catalogue lacks it."""
        return self._texts.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        """Singular or plural, each looked up like :meth:`gettext`."""
        return self.gettext(msgid1 if n == 1 else msgid2)


@cache
def click_texts() -> Mapping[str, str]:
    """Click's and Typer's English strings with their French text (French typography applied)."""
    path = CATALOGUE_DIR / f"{CLICK_SECTION}.toml"
    loaded = tomllib.loads(path.read_text(encoding="utf-8"))
    return {
        str(english): _FRENCH_SPACING.sub(_NO_BREAK_SPACE + r"\1", str(french))
        for english, french in loaded.items()
    }


def click_translations(lang: str) -> gettext.NullTranslations:
    """The translations to give Click and Typer for ``lang`` (English: their own strings)."""
    return CatalogueTranslations(click_texts()) if lang == "fr" else gettext.NullTranslations()
