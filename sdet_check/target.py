"""Target files: the description of one ENT under test, with its secrets resolved.

Secrets are never written in a target file: keys ending in ``_env`` name environment
variables, resolved at load time into :class:`Secret` values that refuse to print.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sdet_check.messages import msg
from sdet_check.yamlfile import LoadedYaml, read_yaml, validate

DEFAULT_NETWORK_TIMEOUT_S = 10.0
DEFAULT_PROBE_TIMEOUT_S = 60.0
DEFAULT_RUN_TIMEOUT_S = 900.0

MIN_SECRET_LENGTH = 8
"""Shortest secret accepted: a shorter one would be guessed from where it is masked."""

#: Target sections that probes may declare in ``Probe.needs``.
SECTIONS = ("portal", "cas", "saml", "ldap", "aaf", "export", "accounts")


class Secret:
    """A secret value that never shows itself in ``str``, ``repr`` or f-strings."""

    __slots__ = ("_value", "env")

    def __init__(self, env: str, value: str):
        """Hold ``value`` read from environment variable ``env``."""
        self.env = env
        self._value = value

    def reveal(self) -> str:
        """Return the secret value; call it only where the value is sent to the target."""
        return self._value

    def __repr__(self) -> str:
        """Show the variable name, never the value."""
        return f"Secret(${self.env})"

    __str__ = __repr__


@dataclass(frozen=True)
class Account:
    """A test account of one profile (élève, enseignant, parent...)."""

    profile: str
    login: str
    password: Secret
    expect: Mapping[str, str | list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """One ENT under test, as described by a validated target file."""

    file: Path
    name: str
    raw: Mapping[str, Any]
    secrets: tuple[Secret, ...]
    accounts: tuple[Account, ...]

    @property
    def base_dir(self) -> Path:
        """Folder against which relative paths of the target file are resolved."""
        return self.file.parent

    @property
    def degrees(self) -> frozenset[str]:
        """School degrees served (``1d``, ``2d``); both when the file does not say."""
        return frozenset(self.raw.get("degrees", ("1d", "2d")))

    @property
    def scopes(self) -> frozenset[str]:
        """What is evaluated (``solution``, ``exploitation``, ``service_tiers``)."""
        return frozenset(self.raw.get("scopes", ("solution", "exploitation", "service_tiers")))

    def has(self, section: str) -> bool:
        """Tell whether the target describes ``section`` (``accounts`` needs at least one)."""
        if section == "accounts":
            return bool(self.accounts)
        return section in self.raw

    def section(self, name: str) -> Mapping[str, Any]:
        """Return a section of the target file (empty when absent)."""
        value = self.raw.get(name, {})
        return value if isinstance(value, Mapping) else {}

    def path(self, relative: str) -> Path:
        """Resolve a path written in the target file against the file's folder."""
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else (self.base_dir / candidate).resolve()

    @property
    def tls_verify(self) -> bool | str:
        """The ``verify`` argument for HTTP clients: a CA file path, or a boolean."""
        tls = self.section("tls")
        if tls.get("verify") is False:
            return False
        ca_file = tls.get("ca_file")
        return str(self.path(ca_file)) if ca_file else True

    def timeout(self, which: str) -> float:
        """Return the ``network_s``, ``probe_s`` or ``run_s`` bound in seconds."""
        defaults = {
            "network_s": DEFAULT_NETWORK_TIMEOUT_S,
            "probe_s": DEFAULT_PROBE_TIMEOUT_S,
            "run_s": DEFAULT_RUN_TIMEOUT_S,
        }
        return float(self.section("timeouts").get(which, defaults[which]))

    def summary(self) -> dict[str, Any]:
        """What a run records about the target: everything but secrets, and no secret values."""
        summary = dict(_without_env_keys(self.raw))
        if self.accounts:
            summary["accounts"] = [
                {"profile": account.profile, "login": account.login} for account in self.accounts
            ]
        summary["secrets"] = sorted({secret.env for secret in self.secrets})
        return summary


def _without_env_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_env_keys(v) for k, v in value.items() if not str(k).endswith("_env")}
    if isinstance(value, list):
        return [_without_env_keys(v) for v in value]
    return value


def load_target(file: Path, environ: Mapping[str, str] | None = None) -> Target:
    """Load and validate a target file, resolving its secrets from ``environ``.

    Raises :class:`~sdet_check.errors.InputError` naming the file, the line and the fix
    when the file is wrong or a secret's environment variable is unset.
    """
    environ = os.environ if environ is None else environ
    loaded = read_yaml(file)
    validate(loaded, "target", msg("input.what.target_file"))
    secrets: dict[str, Secret] = {}
    for path, env in _env_keys(loaded.data, []):
        value = environ.get(env)
        if not value:
            raise loaded.error(
                path,
                f"la variable d'environnement {env} n'est pas définie (secret attendu)",
                f"exporter {env} avant de lancer sdet-check (export {env}=...), "
                "le secret ne doit jamais être écrit dans le fichier",
            )
        if len(value) < MIN_SECRET_LENGTH:
            raise loaded.error(
                path,
                f"le secret de la variable d'environnement {env} a {len(value)} caractère(s), "
                f"moins que le minimum de {MIN_SECRET_LENGTH} (un secret court se lirait "
                "là où il est masqué, et le masquer abîmerait le texte ordinaire)",
                f"donner à {env} un mot de passe de test d'au moins {MIN_SECRET_LENGTH} "
                "caractères (le changer aussi sur le compte de test de la cible)",
            )
        secrets.setdefault(env, Secret(env, value))
    accounts = tuple(
        Account(
            profile=entry["profile"],
            login=entry["login"],
            password=secrets[entry["password_env"]],
            expect=entry.get("expect", {}),
        )
        for entry in loaded.data.get("accounts", [])
    )
    _check_paths(loaded)
    return Target(
        file=file,
        name=loaded.data["name"],
        raw=loaded.data,
        secrets=tuple(secrets.values()),
        accounts=accounts,
    )


def _env_keys(value: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).endswith("_env") and isinstance(item, str):
                yield [*path, key], item
            else:
                yield from _env_keys(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _env_keys(item, [*path, index])


def _check_paths(loaded: LoadedYaml) -> None:
    for section in ("tls", "ldap"):
        ca_file = loaded.data.get(section, {}).get("ca_file")
        if not ca_file:
            continue
        resolved = Path(ca_file).expanduser()
        if not resolved.is_absolute():
            resolved = loaded.file.parent / resolved
        if not resolved.is_file():
            raise loaded.error(
                [section, "ca_file"],
                f"le fichier d'autorité de certification {resolved} n'existe pas",
                "indiquer le chemin d'un fichier PEM (relatif au fichier cible)",
            )
