"""Settings read from the environment (and an optional `.env`), with embedded defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import load_dotenv

PRODUCTION_NAMES = {"production", "prod"}


class ConfigurationError(RuntimeError):
    """The environment asks for something the app cannot run with."""


def is_production(environ: dict[str, str]) -> bool:
    """True when APP_ENV or FLASK_ENV names a production deployment."""
    name = environ.get("APP_ENV") or environ.get("FLASK_ENV") or ""
    return name.lower() in PRODUCTION_NAMES


def secret_key(environ: dict[str, str], instance_path: Path) -> str:
    """The configured SECRET_KEY, or a development key generated once and kept under instance/."""
    key = environ.get("SECRET_KEY", "")
    if key:
        return key
    if is_production(environ):
        raise ConfigurationError("SECRET_KEY must be set when APP_ENV=production.")
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def database_url(environ: dict[str, str], instance_path: Path) -> str:
    """DATABASE_URL, normalised to psycopg 3; by default a SQLite file under instance/."""
    url = environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{instance_path / 'marketplace.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str) -> dict:
    """Pooled connections recycled every 5 minutes; no pre-ping (a round trip on every request):
    connections the server closed are replaced at checkout by
    `app.database.replace_connections_the_server_closed`. On PostgreSQL no JIT (it adds about a
    second to large search statements)."""
    options: dict = {"pool_recycle": 300}
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c jit=off"}
    return options


DEVELOPMENT_SITE_URL = "http://127.0.0.1:5000"
LOCAL_HOSTS = "127.0.0.1,localhost"
MEBIBYTE = 1024 * 1024


def site_url(environ: dict[str, str]) -> str:
    """The public base URL every absolute link is built on; required in production."""
    url = environ.get("SITE_URL", "").rstrip("/")
    if url:
        return url
    if is_production(environ):
        raise ConfigurationError("SITE_URL must be set when APP_ENV=production (links in emails).")
    return DEVELOPMENT_SITE_URL


def trusted_hosts(environ: dict[str, str]) -> list[str]:
    """Host names the app answers to, in every mode: SITE_URL's, plus TRUSTED_HOSTS
    (comma-separated; by default 127.0.0.1 and localhost)."""
    hosts = [urlsplit(site_url(environ)).hostname or ""]
    hosts += [host.strip() for host in environ.get("TRUSTED_HOSTS", LOCAL_HOSTS).split(",")]
    return list(dict.fromkeys(host for host in hosts if host))


def trusted_proxies(environ: dict[str, str]) -> int:
    """How many reverse proxies in front of the app set X-Forwarded-For (0: trust none)."""
    value = environ.get("TRUSTED_PROXIES", "0")
    if not value.isdigit():
        raise ConfigurationError(f"TRUSTED_PROXIES must be a whole number, not {value!r}.")
    return int(value)


def load_settings(instance_path: Path, environ: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from environment variables."""
    load_dotenv(override=False)
    env = dict(os.environ if environ is None else environ)
    instance_path.mkdir(parents=True, exist_ok=True)
    production = is_production(env)
    return {
        "PRODUCTION": production,
        "SECRET_KEY": secret_key(env, instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(env, instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url(env, instance_path)),
        "REDIS_URL": env.get("REDIS_URL", ""),
        "SERVER_NAME": env.get("SERVER_NAME") or None,
        "PREFERRED_URL_SCHEME": env.get("PREFERRED_URL_SCHEME", "https" if production else "http"),
        "SITE_NAME": env.get("SITE_NAME", "Marketplace"),
        "SITE_URL": site_url(env),
        "TRUSTED_HOSTS": trusted_hosts(env),
        "TRUSTED_PROXIES": trusted_proxies(env),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(MEBIBYTE))),
        "MAX_FORM_MEMORY_SIZE": int(env.get("MAX_FORM_MEMORY_SIZE", str(64 * 1024))),
        "DEFAULT_CURRENCY": env.get("DEFAULT_CURRENCY", "USD"),
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE", "https://api.stripe.com"),
        "STRIPE_TIMEOUT_SECONDS": float(env.get("STRIPE_TIMEOUT_SECONDS", "10")),
        "TEST_GATEWAY_WEBHOOK_SECRET": env.get("TEST_GATEWAY_WEBHOOK_SECRET", ""),
        "TEST_GATEWAY_IN_PRODUCTION": env.get("TEST_GATEWAY_IN_PRODUCTION", "0").lower()
        in {"1", "true", "yes", "on"},
        "SHIPPING_PROVIDER": env.get("SHIPPING_PROVIDER", "table"),
        "SHIPPING_TIMEOUT_SECONDS": float(env.get("SHIPPING_TIMEOUT_SECONDS", "3")),
        "SHIPPING_RATES_FILE": env.get("SHIPPING_RATES_FILE", ""),
        "SHIPPING_PARCEL_CM": env.get("SHIPPING_PARCEL_CM", "30x20x10"),
        "SHIPPING_ORIGIN_NAME": env.get("SHIPPING_ORIGIN_NAME", "Marketplace"),
        "SHIPPING_ORIGIN_STREET": env.get("SHIPPING_ORIGIN_STREET", ""),
        "SHIPPING_ORIGIN_CITY": env.get("SHIPPING_ORIGIN_CITY", ""),
        "SHIPPING_ORIGIN_REGION": env.get("SHIPPING_ORIGIN_REGION", ""),
        "SHIPPING_ORIGIN_POSTAL_CODE": env.get("SHIPPING_ORIGIN_POSTAL_CODE", ""),
        "SHIPPING_ORIGIN_COUNTRY": env.get("SHIPPING_ORIGIN_COUNTRY", "US"),
        "SHIPPING_ORIGIN_EMAIL": env.get("SHIPPING_ORIGIN_EMAIL", ""),
        "SHIPPO_API_KEY": env.get("SHIPPO_API_KEY", ""),
        "SHIPPO_SERVER_URL": env.get("SHIPPO_SERVER_URL", "https://api.goshippo.com"),
        "MEDIA_ROOT": env.get("MEDIA_ROOT", str(instance_path / "media")),
        "IMAGE_UPLOAD_MAX_BYTES": int(env.get("IMAGE_UPLOAD_MAX_BYTES", str(10 * MEBIBYTE))),
        "MAIL_SENDER": env.get("MAIL_SENDER", "file"),
        "MAIL_FROM": env.get("MAIL_FROM", "Marketplace <no-reply@marketplace.test>"),
        "MAIL_OUTBOX_DIR": env.get("MAIL_OUTBOX_DIR", str(instance_path / "outbox")),
        "MAIL_LEASE_SECONDS": int(env.get("MAIL_LEASE_SECONDS", "120")),
        "MAIL_MAX_ATTEMPTS": int(env.get("MAIL_MAX_ATTEMPTS", "8")),
        "MAIL_RETRY_SECONDS": int(env.get("MAIL_RETRY_SECONDS", "30")),
        "SENDGRID_API_KEY": env.get("SENDGRID_API_KEY", ""),
        "SENDGRID_HOST": env.get("SENDGRID_HOST", "https://api.sendgrid.com"),
        "SMTP_HOST": env.get("SMTP_HOST", "localhost"),
        "SMTP_PORT": int(env.get("SMTP_PORT", "25")),
        "PASSWORD_RESET_MAX_AGE": int(env.get("PASSWORD_RESET_MAX_AGE", "3600")),
        "REGISTRATION_MAX_AGE": int(env.get("REGISTRATION_MAX_AGE", "86400")),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "RATELIMIT_DEFAULT": env.get("RATELIMIT_DEFAULT", "600 per minute"),
        "SESSION_LIFETIME_DAYS": int(env.get("SESSION_LIFETIME_DAYS", "30")),
        "CART_LIFETIME_DAYS": int(env.get("CART_LIFETIME_DAYS", "30")),
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "SEND_FILE_MAX_AGE_DEFAULT": 31536000,
        "RESERVATION_MINUTES": int(env.get("RESERVATION_MINUTES", "15")),
        "TAX_RATES_FILE": env.get("TAX_RATES_FILE", ""),
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1").lower() not in {"0", "false", "no"},
        "CATALOG_CACHE_SECONDS": int(env.get("CATALOG_CACHE_SECONDS", "60")),
        "SEARCH_CACHE_SECONDS": int(env.get("SEARCH_CACHE_SECONDS", "30")),
        "ACCESS_LOG": env.get("ACCESS_LOG", "1").lower() not in {"0", "false", "no", "off"},
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
    }
