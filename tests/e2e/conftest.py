"""Headless Debian Chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's package.")
    # Playwright's sync API keeps an event loop in this thread while the browser lives; the ORM
    # calls a test makes between two clicks are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def watch_for_errors(page: Page, errors: list[str]) -> None:
    """Collect into `errors` what would make a page look fine but not work: script errors,
    CSP violations (reported on the console), failed sub-resources."""

    def on_console(msg: Any) -> None:
        # A form answered 400 is logged as a failed load: pages are checked below, by type.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            errors.append(msg.text)

    def on_response(response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: errors.append(str(exc)))


@pytest.fixture
def page(browser: Browser, live_server: Any, settings: Any) -> Iterator[Page]:
    settings.SITE_URL = live_server.url
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    watch_for_errors(page, errors)
    yield page
    context.close()
    # A CSP violation or a broken script shows up here: the page would look fine but not work.
    assert errors == [], errors


@pytest.fixture
def other_page(browser: Browser, live_server: Any, settings: Any) -> Iterator[Callable[[], Page]]:
    """More browsers, each with its own cookies (a client beside the technician of `page`),
    checked like `page`: CSP on, and no script or CSP error."""
    settings.SITE_URL = live_server.url
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_page() -> Page:
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        watch_for_errors(page, errors)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], errors


@pytest.fixture
def shoot() -> Any:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def audit_page(browser: Browser, live_server: Any, settings: Any) -> Iterator[Callable[..., Page]]:
    """Open a page for the accessibility checks, signed in as `user` when one is given.

    Its context bypasses the CSP so that axe-core can be injected as a script tag (see
    tests/e2e/axe.py); it serves nothing else. Script errors still fail the test.
    """
    from django.test import Client

    settings.SITE_URL = live_server.url
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_page(user: Any = None, *, width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(
            locale="fr-FR", viewport={"width": width, "height": height}, bypass_csp=True
        )
        contexts.append(context)
        if user is not None:
            session = Client()
            session.force_login(user)
            name = django_settings.SESSION_COOKIE_NAME
            context.add_cookies(
                [{"name": name, "value": session.cookies[name].value, "url": live_server.url}]
            )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], errors


@pytest.fixture(scope="module")
def mail_worker(
    django_db_setup: Any,
    live_server: Any,
    _smtp_server: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """A real Celery worker (prefork, production settings) on a Redis database of its own,
    mailing through the suite's SMTP server (tests/conftest.py), the one the `smtp` fixture
    reads: invitations leave from the web request, notifications from this worker.

    Built from the notification tests' pieces (tests/notifications/conftest.py). The broker is
    REDIS_URL's database minus one: the suite clears the cache database between tests.
    """
    from atm_support.celery import app as celery_app
    from tests.notifications.conftest import (
        Broker,
        Worker,
        broker_url,
        point_celery_at,
        worker_environment,
    )

    _sink, smtp_port = _smtp_server
    broker = Broker(broker_url())
    broker.flush()
    previous = celery_app.conf.broker_url
    point_celery_at(broker.url)  # what the live server (a thread of this process) publishes to
    env = worker_environment(
        broker.url,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="5",
        # Links in the mails lead to the live server, as SITE_URL does in production.
        SITE_URL=live_server.url,
        LOG_LEVEL="INFO",
    )
    worker = Worker(env, tmp_path_factory.mktemp("celery") / "worker.log", concurrency=2)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        point_celery_at(previous)
        broker.flush()
