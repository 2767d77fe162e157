"""The studio in a real headless Chromium against `clearreel serve`: sign in, revoke a consent
and see the model suspended, generate and see a blocked prompt explained, open a statement;
every main page checked for overflow, clipped text, labels, contrast and keyboard reach.

Run with `pytest -m browser tests/web` (`.ci/run` does). CLEARREEL_SCREENSHOTS=1 also writes
the screenshots to docs/img (the docs' pictures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from web.browser import check_page, driver, screenshot, serve, sign_in, wait_for
from web.studio import PASSWORD, build

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from web.browser import chromium

    chromium()
    home = tmp_path_factory.mktemp("browser") / "home"
    studio = build(home)
    proc, base = serve(home)
    d = driver()
    try:
        yield {**studio, "base": base, "d": d, "shots": tmp_path_factory.mktemp("shots")}
    finally:
        d.quit()
        proc.terminate()
        proc.wait(timeout=10)


def _as(site: dict[str, Any], name: str) -> Any:
    d = site["d"]
    d.delete_all_cookies()
    sign_in(d, site["base"], name, PASSWORD)
    return d


def test_sign_in_and_the_works_matrix(site: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    d = _as(site, "rights-a")
    assert d.current_url == site["base"] + "/"
    d.get(site["base"] + "/works")
    assert "Harbor Lights" in d.page_source
    cell = d.find_elements(By.CSS_SELECTOR, ".matrix details")[0]
    cell.find_element(By.TAG_NAME, "summary").click()  # a cell explains itself
    assert "a-lic" in cell.text
    check_page(d)
    screenshot(d, "web-rights-works", site["shots"])


def test_wrong_password_is_explained_beside_the_field(site: dict[str, Any]) -> None:
    d = site["d"]
    d.delete_all_cookies()
    sign_in(d, site["base"], "rights-a", "not the password")
    err = d.find_element("id", "signin-error")
    assert "wrong password" in err.text
    check_page(d)


def test_keyboard_reaches_the_skip_link_and_the_navigation(site: dict[str, Any]) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    d = _as(site, "rights-a")
    d.get(site["base"] + "/performers")
    keys = ActionChains(d)
    keys.send_keys(Keys.TAB).perform()
    active = d.switch_to.active_element
    assert active.get_attribute("class") == "skip" and active.is_displayed()
    keys.send_keys(Keys.ENTER).perform()
    assert d.execute_script("return document.activeElement.id") == "main"
    keys.send_keys(Keys.TAB).perform()  # the first link of the content, after the skip target
    first = d.switch_to.active_element
    assert first.tag_name == "a" and first.get_attribute("href").endswith("/performers/a-ava")
    d.get(site["base"] + "/performers")
    seen = []
    for _ in range(6):  # the navigation is reachable link by link
        keys.send_keys(Keys.TAB).perform()
        seen.append(d.switch_to.active_element.get_attribute("href") or "")
    assert any(h.endswith("/works") for h in seen), seen


def test_revoke_a_consent_and_see_the_model_suspended(site: dict[str, Any]) -> None:
    pytest.importorskip("clearreel.rights.consents")
    from selenium.webdriver.common.by import By

    d = _as(site, "rights-a")
    d.get(site["base"] + "/performers/a-ava")
    check_page(d)
    screenshot(d, "web-rights-performer", site["shots"])
    d.find_element(By.CSS_SELECTOR, 'a[href="/consents/a-k-ava-train/revoke"]').click()
    d.find_element(By.CSS_SELECTOR, "button[value=preview]").click()
    wait_for(d, lambda d: d.find_elements(By.ID, "affected"))
    preview = d.find_element(By.ID, "affected").find_element(By.XPATH, "..").text
    assert "a-model" in preview and "a-data" in preview  # shown before confirming
    check_page(d)
    screenshot(d, "web-rights-revoke", site["shots"])
    d.get(site["base"] + "/models")
    row = d.find_element(By.XPATH, "//tr[th[contains(., 'a-model')]]")
    assert "suspended" not in row.text  # nothing changed by the preview
    d.get(site["base"] + "/consents/a-k-ava-train/revoke")
    d.find_element(By.CSS_SELECTOR, "button[value=preview]").click()
    wait_for(d, lambda d: d.find_elements(By.CSS_SELECTOR, "button[value=confirm]"))
    d.find_element(By.CSS_SELECTOR, "button[value=confirm]").click()
    wait_for(d, lambda d: "Revoked" in d.page_source)
    d.get(site["base"] + "/models")
    row = d.find_element(By.XPATH, "//tr[th[contains(., 'a-model')]]")
    assert "suspended" in row.text
    check_page(d)
    screenshot(d, "web-models", site["shots"])


def test_generate_and_see_a_blocked_prompt_explained(site: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    d = _as(site, "creative-a")
    d.get(site["base"] + "/generate")
    d.find_element(By.ID, "prompt").send_keys("Jonah waits on the pier in the rain")
    d.find_element(By.ID, "purpose").send_keys("previz")
    d.find_element(By.CSS_SELECTOR, "form[action='/generate'] button").click()
    wait_for(d, lambda d: d.find_elements(By.CSS_SELECTOR, ".decision"))
    box = d.find_element(By.CSS_SELECTOR, ".decision")
    assert "Blocked" in box.text and "replica." in box.text  # which consent is missing
    assert not d.find_elements(By.CSS_SELECTOR, "form[action='/generate/start']")
    check_page(d)
    screenshot(d, "web-creative-generate-blocked", site["shots"])
    d.get(site["base"] + "/outputs")
    check_page(d)


def test_open_a_statement(site: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    d = _as(site, "finance-a")
    d.get(site["base"] + "/finance?period=" + dt.date.today().strftime("%Y-%m"))
    assert d.find_elements(By.CSS_SELECTOR, "figure.chart svg rect")
    assert "Harbor Lights" in d.find_element(By.CSS_SELECTOR, "figure.chart").text
    assert "Total" in d.page_source
    check_page(d)
    screenshot(d, "web-finance-statements", site["shots"])


@pytest.mark.parametrize("name,path", [
    ("rights-a", "/audit"), ("rights-a", "/catalog/import"), ("rights-a", "/datasets"),
    ("creative-a", "/datasets/a-data"), ("creative-a", "/verify"), ("rights-a", "/jobs"),
    ("rights-a", "/works/a-harbor"),
])
def test_main_pages_have_no_overflow_or_clipped_text(site: dict[str, Any], name: str,
                                                     path: str) -> None:
    d = _as(site, name)
    d.get(site["base"] + path)
    assert "<main" in d.page_source
    check_page(d)
    shot = {"/datasets/a-data": "web-dataset", "/audit": "web-rights-audit"}.get(path)
    if shot:
        screenshot(d, shot, site["shots"])


def test_a_narrow_window_still_fits(site: dict[str, Any]) -> None:
    d = _as(site, "rights-a")
    d.set_window_size(420, 900)
    try:
        for path in ("/works", "/performers/a-ava", "/datasets/a-data"):
            d.get(site["base"] + path)
            check_page(d)
    finally:
        d.set_window_size(1280, 900)


__all__ = ["Path"]
