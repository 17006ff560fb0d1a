"""Load YAML input files and validate them against the project's JSON Schemas.

Errors carry the file, the line and the key path, so a user can fix the file at once.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError

from sdet_check.errors import InputError, Place
from sdet_check.messages import msg
from sdet_check.resources import schemas_dir

# YAML nodes are kept next to the data so that a schema error can point at a line.
_Node = yaml.Node


def schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema ``name`` (for example ``"grid-axis"``) shipped with the package."""
    return _load_schema(name)


@cache
def _load_schema(name: str) -> dict[str, Any]:
    text = (schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


MAX_YAML_BYTES = 8 * 1024 * 1024
"""Largest YAML input accepted (grids are under 200 KB); ``SDET_CHECK_MAX_YAML_MB`` raises it."""

MAX_YAML_DEPTH = 64
"""Deepest nesting of mappings and lists accepted in a YAML input (sdet-check formats use < 10)."""


def max_yaml_bytes() -> int:
    """The size limit in force: :data:`MAX_YAML_BYTES` or ``SDET_CHECK_MAX_YAML_MB`` megabytes."""
    override = os.environ.get("SDET_CHECK_MAX_YAML_MB", "").strip()
    try:
        return int(float(override) * 1024 * 1024) if override else MAX_YAML_BYTES
    except ValueError:
        return MAX_YAML_BYTES


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that refuses duplicate keys, aliases, deep nesting and impossible dates.

    A duplicate key silently overrides the first one and hides typos; aliases (``*name``)
    let a few hundred bytes expand into gigabytes, and no sdet-check format needs them.
    Nesting is bounded before the recursive composer can exhaust the stack.
    """

    def __init__(self, stream: str) -> None:
        """Start at depth 0."""
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Refuse aliases before they are expanded, and nesting beyond :data:`MAX_YAML_DEPTH`."""
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None,
                None,
                "alias YAML (*nom) refusé : écrire la valeur en entier",
                event.start_mark,
            )
        if self._depth >= MAX_YAML_DEPTH:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None,
                None,
                f"imbrication de plus de {MAX_YAML_DEPTH} niveaux refusée",
                event.start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> date | datetime:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"date impossible « {node.value} » ({_date_problem(exc)})",
            node.start_mark,
        ) from None


def _date_problem(exc: ValueError) -> str:
    text = str(exc)
    if "month" in text:
        return "le mois doit être entre 01 et 12"
    if "day" in text:
        return "ce jour n'existe pas dans ce mois"
    return "valeur hors limites"


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"clé « {key} » répétée (déjà à la ligne {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


class LoadedYaml:
    """A parsed YAML document with its node tree, to map key paths back to lines."""

    def __init__(self, file: Path, data: Any, node: _Node | None):
        """Keep the file name, the plain data and the root node."""
        self.file = file
        self.data = data
        self._node = node

    def line_of(self, path: Iterable[str | int]) -> int | None:
        """Return the 1-based line of the value at ``path``, or of its nearest parent."""
        node = self._node
        line = node.start_mark.line + 1 if node is not None else None
        for step in path:
            if isinstance(node, yaml.MappingNode):
                found = None
                for key_node, value_node in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                        found = value_node
                        line = key_node.start_mark.line + 1
                        break
                node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                node = node.value[step] if step < len(node.value) else None
                if node is not None:
                    line = node.start_mark.line + 1
            else:
                break
            if node is None:
                break
        return line

    def place(self, path: Iterable[str | int]) -> Place:
        """Return the :class:`Place` (line and dotted key path) of ``path``."""
        steps = list(path)
        return Place(line=self.line_of(steps), path=format_path(steps))

    def error(self, path: Iterable[str | int], problem: str, fix: str) -> InputError:
        """Build an :class:`InputError` pointing at ``path`` in this file."""
        return InputError(self.file, problem, fix, self.place(path))


def format_path(path: Iterable[str | int]) -> str:
    """Render a key path as ``requirements[3].verification.probe``."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else str(step)
    return text


def read_yaml(file: Path) -> LoadedYaml:
    """Parse ``file`` as YAML once, refusing duplicate keys; :class:`InputError` when unreadable.

    The size (:func:`max_yaml_bytes`) is checked before anything is parsed; nesting
    (:data:`MAX_YAML_DEPTH`) and impossible dates are refused with their line.
    """
    text = _read_text(file)
    try:
        # The reader refuses control characters as soon as the loader is made.
        loader = _StrictLoader(text)
    except yaml.YAMLError as exc:
        raise InputError(
            file,
            msg("input.yamlfile.read_yaml.input_error", exc=exc),
            msg("input.yamlfile.read_yaml.input_error_4"),
        ) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or msg("input.yaml.malformed_alone")
        if exc.context:
            problem = f"{exc.context}, {problem}"
        fix = _fix_for(problem)
        raise InputError(
            file,
            problem if fix != _SYNTAX_FIX else msg("input.yaml.malformed", problem=problem),
            msg(fix, max_yaml_depth=MAX_YAML_DEPTH),
            Place(line=line),
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(
            file,
            msg("input.yamlfile.read_yaml.input_error", exc=exc),
            msg("input.yamlfile.read_yaml.input_error_5"),
        ) from None
    except (ValueError, KeyError, AttributeError, TypeError) as exc:
        # PyYAML's constructors raise these on explicit tags they cannot honour
        # (``!!int x``, ``!!map x``, ``!!timestamp x``) and on unhashable keys (``? a:``).
        raise InputError(
            file,
            msg("input.yamlfile.read_yaml.input_error_2", error_type=type(exc).__name__, exc=exc),
            msg("input.yamlfile.read_yaml.input_error_6"),
        ) from None
    except RecursionError:
        raise InputError(
            file,
            msg("input.yamlfile.read_yaml.input_error_3"),
            msg("input.yamlfile.read_yaml.input_error_7", max_yaml_depth=MAX_YAML_DEPTH),
        ) from None
    finally:
        loader.dispose()
    return LoadedYaml(file, _plain(data), node)


def _fix_for(problem: str) -> str:
    """The catalogue id of the fix for a YAML problem."""
    if problem.startswith("date impossible"):
        return "input.yaml.fix_date"
    if problem.startswith("imbrication"):
        return "input.yaml.fix_depth"
    return _SYNTAX_FIX


_SYNTAX_FIX = "input.yaml.fix_syntax"


def _read_text(file: Path) -> str:
    limit = max_yaml_bytes()
    try:
        with file.open("rb") as stream:
            raw = stream.read(limit + 1)
    except FileNotFoundError:
        raise InputError(
            file,
            msg("input.yamlfile.read_text.input_error"),
            msg("input.yamlfile.read_text.input_error_6"),
        ) from None
    except IsADirectoryError:
        raise InputError(
            file,
            msg("input.yamlfile.read_text.input_error_2"),
            msg("input.yamlfile.read_text.input_error_7"),
        ) from None
    except OSError as exc:
        raise InputError(
            file,
            msg("input.yamlfile.read_text.input_error_3", strerror=exc.strerror),
            msg("input.yamlfile.read_text.input_error_8"),
        ) from None
    if len(raw) > limit:
        raise InputError(
            file,
            msg("input.yamlfile.read_text.input_error_4", value=f"{limit / 1024 / 1024:g}"),
            msg("input.yamlfile.read_text.input_error_9"),
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            file,
            msg("input.yamlfile.read_text.input_error_5", start=exc.start),
            msg("input.yamlfile.read_text.input_error_10"),
        ) from None


def _plain(value: Any) -> Any:
    """Turn YAML dates into ISO strings, so that JSON Schema ``format: date`` applies."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def validate(loaded: LoadedYaml, schema_name: str, what: str) -> None:
    """Validate ``loaded`` against a schema; raise one :class:`InputError` for the first problem.

    ``what`` names the kind of file in the message (``"grille"``, ``"cible"``...).
    """
    validator_cls = jsonschema.validators.validator_for(schema(schema_name))
    validator = validator_cls(schema(schema_name), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(loaded.data), key=_error_sort_key)
    if not errors:
        return
    error = _most_specific(errors[0])
    path: list[str | int] = list(error.absolute_path)
    if error.validator == "additionalProperties":
        # Point at the unknown key itself, not at the mapping that holds it.
        path.append(sorted(_extra_keys(error))[0])
    problem, fix = describe_schema_error(error, what)
    raise loaded.error(path, problem, fix)


# A misspelt key fires both "unknown key" and "required key missing": report the former.
_KEYWORD_PRIORITY = {"additionalProperties": 0, "required": 1}


def _error_sort_key(error: ValidationError) -> tuple[int, int, str]:
    priority = _KEYWORD_PRIORITY.get(str(error.validator), 2)
    return (len(list(error.absolute_path)), priority, error.message)


def _extra_keys(error: ValidationError) -> set[str]:
    instance: Any = error.instance
    return set(instance) - set(_properties(error))


def _properties(error: ValidationError) -> list[str]:
    """Names of the keys the failing schema allows."""
    schema_: Any = error.schema
    return sorted(schema_.get("properties", {})) if isinstance(schema_, Mapping) else []


def _most_specific(error: ValidationError) -> ValidationError:
    """For ``oneOf``/``anyOf`` failures, descend to the deepest sub-error."""
    best = error
    while best.context:
        best = max(best.context, key=lambda e: len(list(e.absolute_path)))
    return best


def describe_schema_error(error: ValidationError, what: str) -> tuple[str, str]:
    """Translate a jsonschema error into a problem and a fix, in the current language.

    ``what`` names the kind of file (a catalogue message such as ``input.what.target_file``).
    """
    keyword = error.validator
    value: Any = error.validator_value
    instance: Any = error.instance
    if keyword == "additionalProperties":
        extra = sorted(_extra_keys(error))
        known = _properties(error)
        close = difflib.get_close_matches(extra[0], known, n=1)
        hint = (
            msg("input.yamlfile.describe_schema_error.did_you_mean", close=close[0])
            if close
            else ""
        )
        return (
            msg(
                "input.yamlfile.describe_schema_error.unknown_key", keys=", ".join(extra), what=what
            ),
            msg(
                "input.yamlfile.describe_schema_error.unknown_key_fix",
                hint=hint,
                known=", ".join(known),
            ),
        )
    if keyword == "required":
        missing = ", ".join(k for k in value if k not in instance)
        return (
            msg("input.yamlfile.describe_schema_error.required", missing=missing),
            msg("input.yamlfile.describe_schema_error.required_fix", missing=missing),
        )
    if keyword == "type":
        expected = value if isinstance(value, str) else " ou ".join(value)
        if expected == "string" and isinstance(error.instance, int | float | bool):
            return (
                msg("input.yamlfile.describe_schema_error.type_text", value=_short(error.instance)),
                msg("input.yamlfile.describe_schema_error.type_text_fix"),
            )
        return (
            msg(
                "input.yamlfile.describe_schema_error.type",
                value=_short(error.instance),
                type=_type_name(expected),
            ),
            msg("input.yamlfile.describe_schema_error.type_fix", type=_type_name(expected)),
        )
    if keyword == "enum":
        return (
            msg("input.yamlfile.describe_schema_error.not_allowed", value=_short(error.instance)),
            msg(
                "input.yamlfile.describe_schema_error.enum_fix",
                choices=", ".join(str(v) for v in value),
            ),
        )
    if keyword == "const":
        return (
            msg("input.yamlfile.describe_schema_error.not_allowed", value=_short(error.instance)),
            msg("input.yamlfile.describe_schema_error.const_fix", value=repr(value)),
        )
    if keyword == "pattern":
        return (
            msg("input.yamlfile.describe_schema_error.pattern", value=_short(error.instance)),
            msg("input.yamlfile.describe_schema_error.pattern_fix", pattern=str(value)),
        )
    if keyword == "format":
        return (
            msg(
                "input.yamlfile.describe_schema_error.format",
                value=_short(error.instance),
                format=str(value),
            ),
            msg("input.yamlfile.describe_schema_error.format_date_fix")
            if value == "date"
            else msg("input.yamlfile.describe_schema_error.format_fix", format=str(value)),
        )
    if keyword in ("minimum", "maximum"):
        return (
            msg("input.yamlfile.describe_schema_error.out_of_bounds", value=_short(error.instance)),
            msg("input.yamlfile.describe_schema_error.minimum_fix", bound=str(value))
            if keyword == "minimum"
            else msg("input.yamlfile.describe_schema_error.maximum_fix", bound=str(value)),
        )
    if keyword in ("minItems", "minLength"):
        return (
            msg("input.yamlfile.describe_schema_error.too_short"),
            msg("input.yamlfile.describe_schema_error.too_short_fix"),
        )
    if keyword == "uniqueItems":
        return (
            msg("input.yamlfile.describe_schema_error.repeated"),
            msg("input.yamlfile.describe_schema_error.repeated_fix"),
        )
    return (error.message, msg("input.yamlfile.describe_schema_error.other_fix", what=what))


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def _type_name(name: str) -> str:
    """JSON Schema type names as a user reads them (``string ou integer``: either)."""
    names = [_TYPE_NAMES[part]() if part in _TYPE_NAMES else part for part in name.split(" ou ")]
    shown: str = names[0]
    for other in names[1:]:
        shown = msg("input.yamlfile.type.either", first=shown, second=other)
    return shown


_TYPE_NAMES = {
    "string": lambda: msg("input.yamlfile.type.string"),
    "integer": lambda: msg("input.yamlfile.type.integer"),
    "number": lambda: msg("input.yamlfile.type.number"),
    "boolean": lambda: msg("input.yamlfile.type.boolean"),
    "object": lambda: msg("input.yamlfile.type.object"),
    "array": lambda: msg("input.yamlfile.type.array"),
    "null": lambda: msg("input.yamlfile.type.null"),
}
