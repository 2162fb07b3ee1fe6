"""Configuration from the environment."""

import pytest

from app.config import ConfigurationError, load_settings


def test_defaults_are_embedded(tmp_path):
    settings = load_settings(tmp_path, {})
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'marketplace.db'}"
    assert settings["REDIS_URL"] == ""
    assert settings["PRODUCTION"] is False


def test_development_secret_key_is_generated_once_and_kept(tmp_path):
    first = load_settings(tmp_path, {})["SECRET_KEY"]
    second = load_settings(tmp_path, {})["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("variable", ["APP_ENV", "FLASK_ENV"])
def test_production_refuses_to_start_without_a_secret_key(tmp_path, variable):
    with pytest.raises(ConfigurationError):
        load_settings(tmp_path, {variable: "production"})


def test_production_refuses_to_start_without_a_site_url(tmp_path):
    with pytest.raises(ConfigurationError, match="SITE_URL"):
        load_settings(tmp_path, {"APP_ENV": "production", "SECRET_KEY": "x" * 64})


def test_production_settings_harden_cookies(tmp_path):
    settings = load_settings(
        tmp_path,
        {"APP_ENV": "production", "SECRET_KEY": "x" * 64, "SITE_URL": "https://shop.example"},
    )
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]
    assert settings["TRUSTED_HOSTS"] == ["shop.example", "127.0.0.1", "localhost"]


def test_development_links_and_hosts_default_to_the_local_address(tmp_path):
    settings = load_settings(tmp_path, {})

    assert settings["SITE_URL"] == "http://127.0.0.1:5000"
    assert settings["TRUSTED_HOSTS"] == ["127.0.0.1", "localhost"]


def test_trusted_hosts_replace_the_local_defaults(tmp_path):
    settings = load_settings(
        tmp_path, {"SITE_URL": "https://shop.example/", "TRUSTED_HOSTS": "www.shop.example, "}
    )

    assert settings["SITE_URL"] == "https://shop.example"
    assert settings["TRUSTED_HOSTS"] == ["shop.example", "www.shop.example"]


def test_trusted_proxies_is_a_count(tmp_path):
    assert load_settings(tmp_path, {})["TRUSTED_PROXIES"] == 0
    assert load_settings(tmp_path, {"TRUSTED_PROXIES": "2"})["TRUSTED_PROXIES"] == 2
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        load_settings(tmp_path, {"TRUSTED_PROXIES": "yes"})


def test_request_bodies_are_bounded_by_default(tmp_path):
    settings = load_settings(tmp_path, {})

    assert settings["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert settings["MAX_FORM_MEMORY_SIZE"] == 64 * 1024


def test_postgres_urls_use_psycopg3(tmp_path):
    settings = load_settings(tmp_path, {"DATABASE_URL": "postgres://u@h/db"})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
