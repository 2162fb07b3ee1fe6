"""One URL, full page or fragment: htmx requests get just a block of the page's template."""

from __future__ import annotations

from flask import Response, render_template
from htmx_flask import request
from jinja2_fragments.flask import render_block


def render_page_or_block(template: str, block: str, **context) -> Response:
    """The whole page, or only `block` for an htmx request (history restores get the page)."""
    if request.htmx and not request.htmx.history_restore_request:
        response = Response(render_block(template, block, **context))
    else:
        response = Response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response
