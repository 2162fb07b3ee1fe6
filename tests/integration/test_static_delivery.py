"""Static files under hashed names with long cache lifetimes, compressed responses, deferred
scripts (what Lighthouse asked for)."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli
from flask import url_for


def test_static_files_have_hashed_names_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    href = html.split('rel="stylesheet" href="')[1].split('"')[0]
    digest = hashlib.sha256(Path(client.application.static_folder, "css/site.css").read_bytes())

    response = client.get(href)

    assert href == f"/static/css/site.{digest.hexdigest()[:12]}.css"
    assert response.status_code == 200 and b".product-grid" in response.data
    cache_control = response.headers["Cache-Control"]
    assert "public" in cache_control and "immutable" in cache_control
    assert "max-age=31536000" in cache_control


def test_url_for_static_builds_the_hashed_name_and_the_plain_name_still_works(app, client):
    with app.test_request_context("/"):
        hashed = url_for("static", filename="js/site.js")
        unknown = url_for("static", filename="js/nothing.js")

    plain = client.get("/static/js/site.js")

    assert re.fullmatch(r"/static/js/site\.[0-9a-f]{12}\.js", hashed)
    assert unknown == "/static/js/nothing.js"
    assert plain.status_code == 200 and plain.data == client.get(hashed).data
    assert "no-cache" in plain.headers["Cache-Control"] and "Expires" not in plain.headers
    assert client.get("/static/js/site.000000000000.js").status_code == 404


def test_pages_and_static_files_are_compressed_but_tiny_responses_are_not(client):
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    script = client.get("/static/vendor/htmx-2.0.11.min.js", headers={"Accept-Encoding": "br"})
    tiny = client.get("/healthz", headers={"Accept-Encoding": "gzip, br"})

    assert page.headers["Content-Encoding"] == "gzip"
    assert b"<!doctype html>" in gzip.decompress(page.data)
    assert "Accept-Encoding" in page.headers["Vary"]
    assert script.headers["Content-Encoding"] == "br"
    assert brotli.decompress(script.data).startswith(b"var htmx")
    assert "Content-Encoding" not in tiny.headers


def test_scripts_load_deferred(client):
    html = client.get("/").get_data(as_text=True)

    scripts = re.findall(r"<script[^>]*\bsrc=[^>]*>", html)
    assert scripts and all(" defer" in script for script in scripts)
