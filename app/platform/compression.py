"""Compressed responses: HTML, CSS, JavaScript, JSON and SVG, with Brotli or gzip (Flask-Compress).

Responses smaller than COMPRESS_MIN_SIZE bytes go out as they are (compressing them saves less
than the header costs). Static files are streamed, so they are compressed as a stream, with Brotli
or deflate; hashed static names are cached for a year, so each browser fetches them once.
"""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

SETTINGS = {
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/xml",
        "image/svg+xml",
    ],
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["br", "deflate"],
    "COMPRESS_MIN_SIZE": 500,
}


def init_app(app: Flask) -> None:
    """Compress every response worth it (settings already in app.config win)."""
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    Compress(app)
