"""Platform concerns: health checks, security headers, request ids, error pages."""

from __future__ import annotations

import json
import logging
import re
import threading
from html import unescape

from app import create_app
from tests.support.waiting import LogWatch, wait_for_event


def test_healthz_and_readyz_answer(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_every_page_sends_a_strict_csp_and_hardening_headers(client):
    response = client.get("/")

    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "strict-origin" in response.headers["Referrer-Policy"]


def test_htmx_is_configured_without_eval_and_for_same_origin_only(client):
    html = client.get("/").get_data(as_text=True)
    config = json.loads(unescape(html.split('name="htmx-config" content="')[1].split('"')[0]))

    assert config["allowEval"] is False and config["selfRequestsOnly"] is True
    assert "/static/vendor/htmx-2.0.11.min." in html
    assert "https://" not in html.split("<body")[0].replace('"https://schema.org', "")


def test_request_id_is_echoed_or_generated(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    generated = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert len(generated) == 32 and generated.isalnum()


def test_anonymous_browsing_sets_no_session_cookie(client):
    response = client.get("/")

    assert "Set-Cookie" not in response.headers


def test_unexpected_error_renders_the_500_page(app, database):
    broken = create_app({**app.config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @broken.get("/__explode")
    def explode():
        raise RuntimeError("boom")

    response = broken.test_client().get("/__explode")

    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def test_with_stripe_forms_may_post_to_its_hosted_checkout(backing_services, tmp_path):
    from app import create_app
    from tests.support.fixtures import settings_for_tests

    stripe_app = create_app(
        settings_for_tests(backing_services, tmp_path, STRIPE_SECRET_KEY="sk_test_x")
    )
    policy = stripe_app.test_client().get("/robots.txt").headers["Content-Security-Policy"]
    assert "form-action 'self' https://checkout.stripe.com" in policy


def test_a_failed_in_process_job_is_tried_again_later(app):
    from app.platform import jobs

    app.config["JOB_RETRY_SECONDS"] = (0.01, 0.01)
    attempts: list[int] = []
    done = threading.Event()

    def flaky() -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("mail server down")
        done.set()

    try:
        jobs.run_inline(app, flaky, ())
        wait_for_event(done, "the third attempt")
    finally:
        app.config["JOB_RETRY_SECONDS"] = ()
    assert len(attempts) == 3


def test_an_in_process_job_gives_up_after_its_retries(app):
    from app.platform import jobs

    app.config["JOB_RETRY_SECONDS"] = (0.01,)
    attempts: list[int] = []
    watch = LogWatch("no retries left")
    logging.getLogger("marketplace.jobs").addHandler(watch)

    def broken() -> None:
        attempts.append(1)
        raise ConnectionError("mail server down")

    try:
        jobs.run_inline(app, broken, ())
        wait_for_event(watch.seen, "the job to give up")
    finally:
        app.config["JOB_RETRY_SECONDS"] = ()
        logging.getLogger("marketplace.jobs").removeHandler(watch)
    assert len(attempts) == 2


def test_layout_links_follow_the_script_root_they_are_served_under(client):
    plain = client.get("/").get_data(as_text=True)
    mounted = client.get("/", base_url="http://localhost/shop").get_data(as_text=True)
    plain_again = client.get("/").get_data(as_text=True)

    assert 'class="brand" href="/"' in plain and 'class="brand" href="/shop/"' in mounted
    assert 'href="/orders/lookup"' in plain and 'href="/shop/orders/lookup"' in mounted
    assert re.search(r"/shop/static/css/site\.[0-9a-f]{12}\.css", mounted)
    assert "/shop/" not in plain_again
