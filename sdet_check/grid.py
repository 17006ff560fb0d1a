"""Grids: versioned catalogues of SDET requirements, one YAML file per analysis axis.

A grid version is a folder ``<family>/<version>/`` holding a manifest ``grid.yaml`` and one
file per axis. Grids are data: nobody edits a released version, a change is a new version.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jsonschema

from sdet_check.errors import InputError
from sdet_check.messages import msg
from sdet_check.registry import ProbeRegistry
from sdet_check.resources import grids_dir
from sdet_check.yamlfile import LoadedYaml, describe_schema_error, read_yaml, validate

MANIFEST = "grid.yaml"


class Level(StrEnum):
    """Requirement level: ``MUST`` (exigence) or ``SHOULD`` (recommandation)."""

    MUST = "MUST"
    SHOULD = "SHOULD"


class Method(StrEnum):
    """How a requirement is verified."""

    PROBE = "probe"
    DECLARATION = "declaration"
    REVIEW = "review"


@dataclass(frozen=True)
class Text:
    """A text in French with its English rendering."""

    fr: str
    en: str

    def get(self, lang: str) -> str:
        """Return the text in ``lang`` (``fr`` or ``en``)."""
        return self.en if lang == "en" else self.fr

    @classmethod
    def from_data(cls, data: Mapping[str, str]) -> Text:
        """Build from a ``{fr:, en:}`` mapping."""
        return cls(fr=data["fr"], en=data["en"])


SOURCE_FAMILIES: Mapping[str, Text] = {
    "SDET": Text("SDET", "SDET"),
    "arrêté": Text("arrêté", "ministerial order"),
    "CNIL": Text("CNIL", "CNIL"),
    "RGPD": Text("RGPD", "GDPR"),
    "loi": Text("loi", "Act"),
    "décret": Text("décret", "decree"),
    "RGS": Text("RGS", "RGS"),
    "ANSSI": Text("ANSSI", "ANSSI"),
    "RGAA": Text("RGAA", "RGAA"),
    "OASIS": Text("OASIS", "OASIS"),
    "RFC": Text("RFC", "RFC"),
    "Apereo CAS": Text("Apereo CAS", "Apereo CAS"),
    "GAR": Text("GAR", "GAR"),
    "DNMA": Text("DNMA", "DNMA"),
    "eduscol": Text("eduscol", "eduscol"),
    "académie": Text("académie", "regional education authority"),
    "implémentation": Text("implémentation", "implementation"),
    "doctrine": Text("doctrine technique", "technical doctrine"),
}
"""Document families a source may name (the grid-axis schema's ``source.family``)."""

# Ordered: the first pattern found in a document title names its family. Used only for
# sources that do not state their family (runs and third-party grids written before it).
_FAMILY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("implémentation", r"^ENT Core\b|^OPEN-ENT-NG\b|preuve d'implémentation"),
    ("académie", r"^ENT académie\b"),
    ("SDET", r"^SDET\b"),
    ("arrêté", r"^arrêté\b"),
    ("CNIL", r"^CNIL\b"),
    ("RGPD", r"\bRGPD\b|2016/679"),
    ("décret", r"^décret\b"),
    ("loi", r"^loi\b"),
    ("RGS", r"référentiel général de sécurité|\bRGS\b"),
    ("ANSSI", r"^ANSSI\b"),
    ("RGAA", r"^RGAA\b"),
    ("OASIS", r"^OASIS\b"),
    ("RFC", r"^RFC\s*[0-9]"),
    ("Apereo CAS", r"^Apereo\b"),
    ("GAR", r"^GAR\b"),
    ("DNMA", r"\bDNMA\b|mesure d'audience"),
    ("eduscol", r"^eduscol\b"),
    ("doctrine", r"^doctrine technique"),
)


def derive_family(document: str) -> str | None:
    """The family of a source from its document title, or ``None`` when no rule names it."""
    for family, pattern in _FAMILY_PATTERNS:
        if re.search(pattern, document.strip(), re.IGNORECASE):
            return family
    return None


@dataclass(frozen=True)
class Source:
    """Where a requirement comes from: document, version, section, original wording."""

    document: str
    version: str
    section: str
    wording: str | None = None
    url: str | None = None
    also: tuple[Mapping[str, str], ...] = ()
    family: str | None = None
    sdet_version: str | None = None

    def label(self) -> str:
        """One line: ``document version, section``."""
        return f"{self.document} {self.version}, {self.section}"


def source_label(source: Mapping[str, Any], grid_version: str | None, lang: str) -> str:
    """The heading of a source as reports print it (``Source SDET``, ``Source RFC``).

    ``source`` is the run record's form of a requirement's source. The family is the one
    the grid states, else the one its document title names (:func:`derive_family`); a
    source of an unknown family is a plain « Source ». An SDET passage taken from another
    SDET version than the grid's says so, and one whose version is not known says that.
    """
    family = str(source.get("family") or derive_family(str(source.get("document", ""))))
    if family not in SOURCE_FAMILIES:
        return "Source"
    name = SOURCE_FAMILIES[family].get(lang)
    label = f"Source {name}" if lang == "fr" else f"{name} source"
    version = source.get("sdet_version")
    if family == "SDET" and not version:
        # Never let an undated SDET passage pass for the grid's own version.
        label += " (version du SDET non précisée)" if lang == "fr" else " (SDET version not stated)"
    if family == "SDET" and version:
        label = f"Source SDET {version}" if lang == "fr" else f"SDET {version} source"
        if grid_version and version != grid_version:
            label += (
                f" (version du SDET autre que celle de la grille, {grid_version})"
                if lang == "fr"
                else f" (another SDET version than the grid's, {grid_version})"
            )
    return label


@dataclass(frozen=True)
class Verification:
    """How a requirement is verified: by a probe (with params), a declaration or a review."""

    method: Method
    probe: str | None = None
    params: Mapping[str, Any] | None = None
    proofs: Text | None = None
    guidance: Text | None = None


@dataclass(frozen=True)
class Requirement:
    """One requirement or recommendation of a grid."""

    id: str
    axis: str
    title: Text
    statement: Text
    level: Level
    level_basis: str
    source: Source
    degrees: frozenset[str]
    scopes: frozenset[str]
    tags: tuple[str, ...]
    verification: Verification
    condition: Text | None = None
    notes: str | None = None
    remediation: Text | None = None
    """How to fix a failure, for the editor (1 to 3 sentences)."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description, as the run record and exports carry it."""
        verification: dict[str, Any] = {"method": self.verification.method.value}
        if self.verification.probe:
            verification["probe"] = self.verification.probe
            verification["params"] = dict(self.verification.params or {})
        return {
            "id": self.id,
            "axis": self.axis,
            "title": {"fr": self.title.fr, "en": self.title.en},
            "statement": {"fr": self.statement.fr, "en": self.statement.en},
            "level": self.level.value,
            "level_basis": self.level_basis,
            "source": {
                k: v
                for k, v in {
                    "document": self.source.document,
                    "version": self.source.version,
                    "section": self.source.section,
                    "wording": self.source.wording,
                    "url": self.source.url,
                    "family": self.source.family,
                    "sdet_version": self.source.sdet_version,
                }.items()
                if v is not None
            },
            "degrees": sorted(self.degrees),
            "scopes": sorted(self.scopes),
            "tags": list(self.tags),
            "verification": verification,
        } | (
            {"remediation": {"fr": self.remediation.fr, "en": self.remediation.en}}
            if self.remediation
            else {}
        )


@dataclass(frozen=True)
class Axis:
    """An analysis axis of a grid (fonctionnel, technique, securite, juridique)."""

    id: str
    label: Text
    file: str


@dataclass(frozen=True)
class Grid:
    """One loaded grid version."""

    folder: Path
    id: str
    version: str
    title: Text
    published: str
    status: str
    previous: str | None
    axes: tuple[Axis, ...]
    requirements: tuple[Requirement, ...]
    manifest: Mapping[str, Any]
    content_hash: str
    """sha256 over the manifest and axis files, in manifest order: pins the exact grid."""

    @property
    def ref(self) -> str:
        """``family/version``, the name users type (``sdet/6.4``)."""
        return f"{self.id}/{self.version}"

    def requirement(self, requirement_id: str) -> Requirement:
        """Return the requirement with this id; :class:`KeyError` when absent."""
        for requirement in self.requirements:
            if requirement.id == requirement_id:
                return requirement
        raise KeyError(requirement_id)

    def axis(self, axis_id: str) -> Axis:
        """Return the axis with this id; :class:`KeyError` when absent."""
        for axis in self.axes:
            if axis.id == axis_id:
                return axis
        raise KeyError(axis_id)

    def axis_named(self, name: str) -> Axis | None:
        """The axis ``name`` designates, or ``None`` when no axis answers to it.

        ``name`` is the id or the label in either language, whole or without its
        parenthesis (``Security``, ``sécurité``, ``Technique``), letter case and accents aside.
        """
        wanted = _folded(name)
        for axis in self.axes:
            labels = [text for text in (axis.label.fr, axis.label.en) if text]
            names = {axis.id, *labels, *(label.split(" (")[0] for label in labels)}
            if wanted in {_folded(known) for known in names}:
                return axis
        return None

    def axis_id(self, name: str) -> str:
        """The id of the axis ``name`` designates (:meth:`axis_named`), else ``name`` as given.

        A name no axis answers to is kept, for the caller's refusal to name it.
        """
        axis = self.axis_named(name)
        return axis.id if axis is not None else name

    def tags(self) -> list[str]:
        """Every tag used by the grid, sorted."""
        return sorted({tag for requirement in self.requirements for tag in requirement.tags})


def load_grid(folder: Path, registry: ProbeRegistry | None = None) -> Grid:
    """Load and validate a grid folder.

    When ``registry`` is given, every probe kind must be registered and its params must
    match the probe's params schema. Raises :class:`InputError` naming the file, the line
    and the fix.
    """
    manifest_file = folder / MANIFEST
    if not manifest_file.is_file():
        raise InputError(
            folder,
            msg("input.grid.load_grid.input_error", manifest=MANIFEST),
            msg("input.grid.load_grid.input_error_2"),
        )
    manifest = read_yaml(manifest_file)
    validate(manifest, "grid-manifest", msg("input.what.grid_manifest"))
    data = manifest.data
    _check_folder_names(manifest, folder)

    digest = hashlib.sha256(manifest_file.read_bytes())
    axes: list[Axis] = []
    requirements: list[Requirement] = []
    seen: dict[str, tuple[Path, int | None]] = {}
    for index, axis_data in enumerate(data["axes"]):
        axis = Axis(axis_data["id"], Text.from_data(axis_data["label"]), axis_data["file"])
        if any(existing.id == axis.id for existing in axes):
            raise manifest.error(
                ["axes", index, "id"], f"axe « {axis.id} » déclaré deux fois", "retirer le doublon"
            )
        axes.append(axis)
        axis_file = folder / axis.file
        if not axis_file.is_file():
            raise manifest.error(
                ["axes", index, "file"],
                f"le fichier d'axe {axis.file} n'existe pas dans {folder}",
                "créer le fichier ou corriger son nom dans le manifeste",
            )
        digest.update(axis_file.read_bytes())
        loaded = read_yaml(axis_file)
        validate(loaded, "grid-axis", msg("input.what.axis_file"))
        if loaded.data["axis"] != axis.id:
            raise loaded.error(
                ["axis"],
                f"le fichier déclare l'axe « {loaded.data['axis']} » alors que le manifeste "
                f"l'annonce pour l'axe « {axis.id} »",
                f"écrire axis: {axis.id}",
            )
        for position, entry in enumerate(loaded.data["requirements"]):
            path: list[str | int] = ["requirements", position]
            requirement = _requirement(entry, axis.id)
            if requirement.id in seen:
                other_file, other_line = seen[requirement.id]
                raise loaded.error(
                    [*path, "id"],
                    f"identifiant « {requirement.id} » en double (déjà dans {other_file.name}"
                    + (f", ligne {other_line}" if other_line else "")
                    + ")",
                    "donner un identifiant nouveau : un identifiant n'est jamais réutilisé",
                )
            seen[requirement.id] = (axis_file, loaded.line_of([*path, "id"]))
            if (
                data.get("requires_remediation")
                and requirement.verification.method is Method.PROBE
                and requirement.remediation is None
            ):
                raise loaded.error(
                    path,
                    f"l'exigence {requirement.id} est décidée par une sonde mais n'a pas de "
                    "texte « remediation », que le manifeste exige (requires_remediation)",
                    "ajouter remediation: {fr: …, en: …} : comment corriger un échec, "
                    "en une à trois phrases concrètes",
                )
            if registry is not None:
                _check_probe(requirement, registry, loaded, path)
            requirements.append(requirement)

    return Grid(
        folder=folder,
        id=data["id"],
        version=data["version"],
        title=Text.from_data(data["title"]),
        published=data["published"],
        status=data.get("status", "current"),
        previous=data.get("previous"),
        axes=tuple(axes),
        requirements=tuple(requirements),
        manifest=data,
        content_hash=digest.hexdigest(),
    )


def _check_folder_names(manifest: LoadedYaml, folder: Path) -> None:
    data = manifest.data
    if data["version"] != folder.name:
        raise manifest.error(
            ["version"],
            f"la version déclarée « {data['version']} » ne correspond pas au dossier "
            f"« {folder.name} »",
            f'renommer le dossier en {data["version"]}/ ou écrire version: "{folder.name}"',
        )
    if data["id"] != folder.parent.name:
        raise manifest.error(
            ["id"],
            f"l'identifiant déclaré « {data['id']} » ne correspond pas au dossier parent "
            f"« {folder.parent.name} »",
            f"ranger la grille sous {data['id']}/{folder.name}/ ou écrire id: {folder.parent.name}",
        )


def _requirement(entry: Mapping[str, Any], axis: str) -> Requirement:
    verification = entry["verification"]
    applicability = entry["applicability"]
    source = entry["source"]
    return Requirement(
        id=entry["id"],
        axis=axis,
        title=Text.from_data(entry["title"]),
        statement=Text.from_data(entry["statement"]),
        level=Level(entry["level"]),
        level_basis=entry["level_basis"],
        source=Source(
            document=source["document"],
            version=source["version"],
            section=source["section"],
            wording=source.get("wording"),
            url=source.get("url"),
            also=tuple(source.get("also", ())),
            family=source.get("family"),
            sdet_version=source.get("sdet_version"),
        ),
        degrees=frozenset(applicability["degrees"]),
        scopes=frozenset(applicability["scopes"]),
        condition=(
            Text.from_data(applicability["condition"]) if "condition" in applicability else None
        ),
        tags=tuple(entry.get("tags", ())),
        verification=Verification(
            method=Method(verification["method"]),
            probe=verification.get("probe"),
            params=verification.get("params", {}) if "probe" in verification else None,
            proofs=Text.from_data(verification["proofs"]) if "proofs" in verification else None,
            guidance=(
                Text.from_data(verification["guidance"]) if "guidance" in verification else None
            ),
        ),
        notes=entry.get("notes"),
        remediation=Text.from_data(entry["remediation"]) if "remediation" in entry else None,
    )


def _check_probe(
    requirement: Requirement, registry: ProbeRegistry, loaded: LoadedYaml, path: list[str | int]
) -> None:
    kind = requirement.verification.probe
    if kind is None:
        return
    if kind not in registry:
        known = ", ".join(registry.kinds()) or "aucune"
        raise loaded.error(
            [*path, "verification", "probe"],
            f"type de sonde inconnu « {kind} »",
            f"choisir une sonde installée ({known}) ou installer le paquet qui la fournit "
            "(voir `sdet-check probes list`)",
        )
    schema = registry.get(kind).params_schema
    params = requirement.verification.params or {}
    validator_cls = jsonschema.validators.validator_for(schema)
    errors = sorted(validator_cls(schema).iter_errors(params), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        problem, fix = describe_schema_error(error, msg("input.what.probe_params", kind=kind))
        raise loaded.error([*path, "verification", "params", *error.absolute_path], problem, fix)


# --- the catalogue of bundled grids -------------------------------------------------------


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def grid_folders(root: Path | None = None) -> Iterator[Path]:
    """Every ``<family>/<version>/`` folder holding a manifest, in family then version order."""
    root = root or grids_dir()
    for family in sorted(p for p in root.iterdir() if p.is_dir()):
        versions = [p for p in family.iterdir() if (p / MANIFEST).is_file()]
        yield from sorted(versions, key=lambda p: _version_key(p.name))


def resolve_grid(ref: str, root: Path | None = None) -> Path:
    """Turn ``sdet/6.4``, ``sdet`` (newest version) or a folder path into a grid folder."""
    candidate = Path(ref).expanduser()
    if (candidate / MANIFEST).is_file():
        return candidate
    if candidate.name == MANIFEST and candidate.is_file():
        return candidate.parent
    root = root or grids_dir()
    family, _, version = ref.strip("/").partition("/")
    family_dir = root / family
    if family_dir.is_dir() and "/" not in version and ".." not in ref:
        if version:
            if (family_dir / version / MANIFEST).is_file():
                return family_dir / version
        else:
            versions = [p for p in family_dir.iterdir() if (p / MANIFEST).is_file()]
            if versions:
                return max(versions, key=lambda p: _version_key(p.name))
    known = ", ".join(f"{p.parent.name}/{p.name}" for p in grid_folders(root)) or "aucune"
    raise InputError(
        ref,
        msg("input.grid.resolve_grid.input_error"),
        msg("input.grid.resolve_grid.input_error_2", known=known),
    )


def current_grid_ref(family: str = "sdet", root: Path | None = None) -> str:
    """The ``family/version`` of the newest bundled version of ``family``."""
    folder = resolve_grid(family, root)
    return f"{folder.parent.name}/{folder.name}"


def _folded(name: str) -> str:
    """``name`` without letter case nor accents, to compare what a user types."""
    decomposed = unicodedata.normalize("NFKD", name.strip().casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
