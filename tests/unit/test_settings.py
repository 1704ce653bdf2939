"""Settings come only from the environment; production refuses unsafe ones with a clear message."""

from __future__ import annotations

import pytest

from server.settings import SettingsError, load_settings


def test_it_defaults_to_sqlite_under_var_and_danish(tmp_path):
    settings = load_settings({"PUSTERUM_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/pusterum.sqlite3"
    assert settings.default_language == "da"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert not settings.is_postgres


def test_it_generates_a_local_secret_once_and_keeps_it(tmp_path):
    first = load_settings({"PUSTERUM_VAR_DIR": str(tmp_path)}).secret_key
    second = load_settings({"PUSTERUM_VAR_DIR": str(tmp_path)}).secret_key
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_it_selects_postgres_from_database_url(tmp_path):
    settings = load_settings({"PUSTERUM_VAR_DIR": str(tmp_path), "DATABASE_URL": "postgresql://u@h/db"})
    assert settings.is_postgres


def test_production_refuses_to_start_without_secret_and_https(tmp_path):
    with pytest.raises(SettingsError) as excinfo:
        load_settings({"PUSTERUM_ENV": "production", "PUSTERUM_VAR_DIR": str(tmp_path),
                       "BASE_URL": "http://example.org"})
    message = str(excinfo.value)
    assert "SECRET_KEY" in message and "BASE_URL" in message and "https://" in message
    assert not (tmp_path / "secret_key").exists()


def test_production_starts_with_a_secret_https_and_a_real_push_contact(tmp_path):
    settings = load_settings({"PUSTERUM_ENV": "production", "PUSTERUM_VAR_DIR": str(tmp_path),
                              "SECRET_KEY": "x" * 40, "BASE_URL": "https://pusterum.example.dk",
                              "PUSH_CONTACT": "mailto:drift@region.example.dk"})
    assert settings.production and settings.secure_cookies


@pytest.mark.parametrize("contact", [
    None,  # the default, mailto:pusterum@localhost
    "mailto:pusterum@localhost", "mailto:ops@LOCALHOST.", "mailto:ops@example.com", "mailto:ops@push.example.org",
    "mailto:ops@hospital.example", "mailto:ops@hospital.test", "mailto:ops@intranet", "mailto:ops@[10.0.0.1]",
    "https://localhost/contact", "https://example.net/", "https://127.0.0.1/ops", "mailto:",
])
def test_production_refuses_a_push_contact_that_reaches_nobody(tmp_path, contact):
    """ASVS 14.1 (a production build's configuration is checked): Apple's push service is reported to refuse a
    VAPID contact at localhost (403 BadJwtToken), and no push service can write to an example domain."""
    env = {"PUSTERUM_ENV": "production", "PUSTERUM_VAR_DIR": str(tmp_path), "SECRET_KEY": "x" * 40,
           "BASE_URL": "https://pusterum.hospital.dk"}
    if contact is not None:
        env["PUSH_CONTACT"] = contact
    with pytest.raises(SettingsError, match="PUSH_CONTACT"):
        load_settings(env)


@pytest.mark.parametrize("contact", ["mailto:drift@hospital.dk", "mailto:it-drift@rm.dk?subject=push",
                                     "https://pusterum.hospital.dk/kontakt"])
def test_production_takes_a_push_contact_of_its_own(tmp_path, contact):
    settings = load_settings({"PUSTERUM_ENV": "production", "PUSTERUM_VAR_DIR": str(tmp_path),
                              "SECRET_KEY": "x" * 40, "BASE_URL": "https://pusterum.hospital.dk",
                              "PUSH_CONTACT": contact})
    assert settings.push_contact == contact


def test_development_keeps_its_local_push_contact(tmp_path):
    assert load_settings({"PUSTERUM_VAR_DIR": str(tmp_path)}).push_contact == "mailto:pusterum@localhost"


def test_production_refuses_the_test_time_scale(tmp_path):
    with pytest.raises(SettingsError, match="PUSTERUM_TIME_SCALE"):
        load_settings({"PUSTERUM_ENV": "production", "SECRET_KEY": "x" * 40,
                       "BASE_URL": "https://p.example.dk", "PUSTERUM_TIME_SCALE": "0.1"})


@pytest.mark.parametrize(("name", "value"), [("PORT", "eighty"), ("PORT", "70000"), ("WORKERS", "0"),
                                             ("DATABASE_URL", "mysql://x"), ("DEFAULT_LANGUAGE", "de")])
def test_it_refuses_a_bad_value_and_names_the_setting(tmp_path, name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings({"PUSTERUM_VAR_DIR": str(tmp_path), name: value})


def test_it_reads_former_keys_newest_first_without_the_current_one_or_repeats(tmp_path):
    settings = load_settings({"PUSTERUM_VAR_DIR": str(tmp_path), "SECRET_KEY": "k" * 40,
                              "SECRET_KEY_FALLBACKS": f" {'b' * 40}, {'k' * 40},{'a' * 40},, {'b' * 40}"})
    assert settings.secret_key_fallbacks == ("b" * 40, "a" * 40)
    assert load_settings({"PUSTERUM_VAR_DIR": str(tmp_path)}).secret_key_fallbacks == ()


def test_production_refuses_a_short_former_key(tmp_path):
    env = {"PUSTERUM_ENV": "production", "PUSTERUM_VAR_DIR": str(tmp_path), "SECRET_KEY": "x" * 40,
           "BASE_URL": "https://pusterum.example.dk", "PUSH_CONTACT": "mailto:drift@pusterum.dk"}
    assert load_settings({**env, "SECRET_KEY_FALLBACKS": "y" * 40}).secret_key_fallbacks == ("y" * 40,)
    with pytest.raises(SettingsError, match="SECRET_KEY_FALLBACKS"):
        load_settings({**env, "SECRET_KEY_FALLBACKS": "short"})
