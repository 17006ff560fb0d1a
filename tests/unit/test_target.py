"""Target files: schema errors, secrets from the environment, nothing secret in the summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdet_check.errors import InputError
from sdet_check.target import load_target

from .conftest import CANARY


def test_secret_resolved_and_never_printed(target_file: Path, environ: dict[str, str]) -> None:
    target = load_target(target_file, environ)
    password = target.accounts[0].password
    assert password.reveal() == CANARY
    assert CANARY not in repr(password) and CANARY not in f"{password}"
    summary = target.summary()
    assert CANARY not in repr(summary)
    assert summary["secrets"] == ["SDET_TEST_PASSWORD"]
    assert summary["accounts"] == [{"profile": "eleve", "login": "eleve.test"}]
    assert target.degrees == frozenset({"2d"})


def test_unset_secret_names_variable_and_line(target_file: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_target(target_file, {})
    error = caught.value
    assert "SDET_TEST_PASSWORD" in error.problem
    assert error.place.line == 9
    assert "export SDET_TEST_PASSWORD" in error.fix


def test_secret_written_in_clear_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "format: 1\nname: x\naccounts:\n  - {profile: eleve, login: a, password: hunter2}\n"
    )
    with pytest.raises(InputError) as caught:
        load_target(path, {})
    assert "password" in caught.value.problem
    assert caught.value.place.line == 4


def test_http_portal_url_is_accepted_for_a_test_platform(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("format: 1\nname: x\nportal:\n  url: http://ent.example/\n")
    assert load_target(path, {}).section("portal")["url"] == "http://ent.example/"


def test_a_portal_url_must_be_http_or_https(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("format: 1\nname: x\nportal:\n  url: ftp://ent.example/\n")
    with pytest.raises(InputError) as caught:
        load_target(path, {})
    assert caught.value.place.path == "portal.url"
    assert "^https?://" in caught.value.fix


def test_missing_ca_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("format: 1\nname: x\ntls:\n  ca_file: absent.pem\n")
    with pytest.raises(InputError) as caught:
        load_target(path, {})
    assert "absent.pem" in caught.value.problem


def test_missing_ldap_ca_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "format: 1\nname: x\nldap:\n  url: ldaps://annuaire\n  base_dn: dc=x\n"
        "  ca_file: ac-annuaire.pem\n"
    )
    with pytest.raises(InputError) as caught:
        load_target(path, {})
    assert caught.value.place.path == "ldap.ca_file"
    assert "ac-annuaire.pem" in caught.value.problem


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_target(tmp_path / "nope.yaml", {})
    assert "introuvable" in str(caught.value)
