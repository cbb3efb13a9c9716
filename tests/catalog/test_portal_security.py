"""Portal sessions, CSRF and rate limits over real HTTP (uvicorn on a free port) and in Chromium."""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx
import pytest

from catalog import access, objections
from catalog.portal import create_app
from catalog.portal.security import Guard, Limit
from catalog.store import CatalogStore
from tests.catalog.helpers import CSRF_META, build_catalog, free_port, serving
from tests.catalog.test_portal import GOOD_APPLICATION

STEWARD = "security-steward-token-0123456789"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[tuple[str, CatalogStore]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = build_catalog(tmp_path / "catalog", base_url=base)
    guard = Guard(limits={"apply": Limit(5, 3600), "objection": Limit(5, 3600), "login": Limit(5, 300)},
                  session_seconds=3)
    with serving(create_app(store, base, STEWARD, guard), port):
        yield base, store
    store.close()


def csrf(client: httpx.Client, url: str = "/") -> str:
    match = CSRF_META.search(client.get(url).text)
    assert match
    return match.group(1)


@contextmanager
def steward_client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base) as client:
        response = client.post("/steward/login", data={"token": STEWARD, "csrf": csrf(client, "/steward/login")})
        assert response.status_code == 303
        yield client


def pending_application(store: CatalogStore) -> str:
    form = access.ApplicationForm.model_validate(GOOD_APPLICATION | {"commitment": True})
    application, _ = access.apply(store, "clinic-visits", form)
    return application.id


def test_cookies_are_http_only_same_site_strict_and_not_derived_from_the_token(portal):
    base, _ = portal
    with httpx.Client(base_url=base) as client:
        first = client.get("/")
        assert "httponly" in first.headers["set-cookie"].lower()
        assert "samesite=strict" in first.headers["set-cookie"].lower()
        login = client.post("/steward/login", data={"token": STEWARD, "csrf": csrf(client)})
        cookie = login.headers["set-cookie"]
        assert cookie.startswith("kf_steward=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
        value = client.cookies["kf_steward"]
        assert value != hashlib.sha256(STEWARD.encode()).hexdigest() and len(value) >= 40


def test_a_post_without_the_csrf_token_or_from_another_origin_changes_nothing(portal):
    base, store = portal
    app_id = pending_application(store)
    with steward_client(base) as client:
        # What a cross-site form would send: the steward's cookies but no token (or a foreign Origin).
        assert client.post(f"/steward/applications/{app_id}/approve", data={"note": "x"}).status_code == 403
        token = csrf(client, "/steward")
        foreign = client.post(f"/steward/applications/{app_id}/approve", data={"note": "x", "csrf": token},
                              headers={"Origin": "http://evil.example"})
        assert foreign.status_code == 403
        assert access.get(store, app_id).status == "pending"
        assert client.post(f"/steward/applications/{app_id}/approve",
                           data={"note": "同意", "csrf": token}).status_code == 200
        assert access.get(store, app_id).status == "approved"
    with httpx.Client(base_url=base) as stranger:  # another client's token is worthless
        stranger.get("/")
        assert stranger.post("/datasets/clinic-visits/apply", data=GOOD_APPLICATION | {"csrf": token}).status_code \
            == 403


def test_logout_revokes_the_session_on_the_server(portal):
    base, _ = portal
    with steward_client(base) as client:
        stolen = client.cookies["kf_steward"]
        assert client.get("/steward").status_code == 200
        assert client.post("/steward/logout", data={"csrf": csrf(client, "/steward")}).status_code == 303
    with httpx.Client(base_url=base, cookies={"kf_steward": stolen}) as replay:
        assert replay.get("/steward").status_code == 303  # to the login page


def test_a_session_expires_on_the_server(portal):
    base, _ = portal
    with steward_client(base) as client:
        kept = client.cookies["kf_steward"]
        time.sleep(3.5)
    with httpx.Client(base_url=base, cookies={"kf_steward": kept}) as late:
        assert late.get("/steward").status_code == 303


@pytest.mark.parametrize("what", ["apply", "objection", "login"])
def test_floods_are_answered_429_per_client(portal, what):
    base, store = portal
    url, data = {
        "apply": ("/datasets/clinic-visits/apply", GOOD_APPLICATION),
        "objection": ("/datasets/bus-ridership/objections",
                      {"field": "客流", "description": "客流数字偏大一倍", "contact": "me@example.cn"}),
        "login": ("/steward/login", {"token": "wrong"}),
    }[what]
    with httpx.Client(base_url=base) as client:
        token = csrf(client)
        codes = [client.post(url, data=data | {"csrf": token}).status_code for _ in range(30)]
        last = client.post(url, data=data | {"csrf": token})
    assert codes.count(429) == 25 and last.status_code == 429 and int(last.headers["retry-after"]) > 0
    assert "请求过于频繁" in last.text
    if what == "apply":
        assert len(access.list_applications(store)) == 5
    elif what == "objection":
        assert len(objections.list_objections(store)) == 5
    else:
        assert codes[:5] == [403] * 5


@pytest.mark.browser
def test_a_cross_site_form_in_chromium_approves_nothing(portal, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    playwright_api = pytest.importorskip("playwright.sync_api")
    base, store = portal
    app_id = pending_application(store)
    evil = tmp_path / "evil"
    evil.mkdir()
    for name, target in (("cross-site.html", base), ("same-site.html", base)):
        (evil / name).write_text(
            f'<form id="f" method="post" action="{target}/steward/applications/{app_id}/approve">'
            '<input name="note" value="forged"></form><script>document.getElementById("f").submit()</script>',
            encoding="utf-8")
    port = free_port()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(evil))
    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    try:
        with playwright_api.sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                          args=["--no-sandbox", "--disable-gpu"])
            tab = chromium.new_context().new_page()
            tab.goto(f"{base}/steward/login")
            tab.fill("input[name=token]", STEWARD)
            tab.click("#login-form button")
            tab.wait_for_url(f"{base}/steward")
            # localhost is another site than 127.0.0.1 (SameSite=Strict withholds the cookie);
            # 127.0.0.1 on another port is the same site (only the CSRF token stops it).
            landed = []
            for page_url in (f"http://localhost:{port}/cross-site.html", f"http://127.0.0.1:{port}/same-site.html"):
                with tab.expect_navigation(url=f"{base}/**"):
                    tab.goto(page_url)
                tab.wait_for_load_state()
                landed.append((tab.url, tab.locator("h1, h2").first.inner_text()))
            assert landed[0][0] == f"{base}/steward/login"  # no steward cookie across sites
            assert "请求被拒绝" in landed[1][1]  # the cookie came along, the token did not
            assert access.get(store, app_id).status == "pending"
            chromium.close()
    finally:
        attacker.shutdown()
