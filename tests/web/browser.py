"""Headless Chromium (Debian's `chromium` + `chromium-driver`) driven by selenium against a real
`clearreel serve`, with the page checks the browser tests share: no horizontal overflow, no
clipped text, a label on every control, text contrast (WCAG AA), keyboard reach."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"

# Elements whose text would be cut (or spill out) when their content is wider than their box.
# Inside a `.scroll` container a wide table scrolls on purpose: it is checked as a whole.
OVERFLOW_JS = """
const out = [];
const doc = document.documentElement;
if (doc.scrollWidth > window.innerWidth + 1)
  out.push('page: ' + doc.scrollWidth + 'px wide in a ' + window.innerWidth + 'px window');
const sel = 'h1,h2,h3,p,li,dt,dd,label,button,a.button,summary,td,th,.badge,.chip,figcaption';
for (const el of document.querySelectorAll(sel)) {
  const cs = getComputedStyle(el);
  if (cs.display === 'inline' || cs.visibility === 'hidden' || el.offsetParent === null) continue;
  if (el.closest('.scroll') && !el.matches('.scroll')) {
    const box = el.closest('.scroll');
    if (box.getBoundingClientRect().right > window.innerWidth + 1)
      out.push('scroll box wider than the window: ' + box.outerHTML.slice(0, 80));
    continue;
  }
  if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 2 &&
      cs.overflowY !== 'visible')
    out.push(el.tagName + ' clipped: "' + el.textContent.trim().slice(0, 60) + '" (' +
             el.scrollWidth + ' > ' + el.clientWidth + ')');
}
return out;
"""

LABELS_JS = """
const out = [];
for (const el of document.querySelectorAll('input:not([type=hidden]),select,textarea')) {
  const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') ||
                el.getAttribute('aria-labelledby');
  if (!named) out.push(el.outerHTML.slice(0, 100));
}
for (const el of document.querySelectorAll('button,a')) {
  if (!el.textContent.trim() && !el.getAttribute('aria-label'))
    out.push(el.outerHTML.slice(0, 100));
}
for (const el of document.querySelectorAll('img')) {
  if (!el.hasAttribute('alt')) out.push(el.outerHTML.slice(0, 100));
}
return out;
"""

# WCAG 2.1 contrast ratio of each text element's colour against its resolved background.
CONTRAST_JS = """
function rgb(s) { const m = s.match(/[\\d.]+/g) || [0, 0, 0, 0];
  return m.map(Number).concat(m.length < 4 ? [1] : []); }
function lum(c) { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
  return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b; }
function bg(el) { for (let e = el; e; e = e.parentElement) {
  const c = rgb(getComputedStyle(e).backgroundColor); if (c[3] > 0.5) return c; }
  return [255, 255, 255, 1]; }
const out = [];
for (const el of document.querySelectorAll('p,li,td,th,a,label,button,h1,h2,h3,dt,dd,code,span')) {
  if (!el.textContent.trim() || el.offsetParent === null) continue;
  if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
  const fg = rgb(getComputedStyle(el).color), b = bg(el);
  const [l1, l2] = [lum(fg), lum(b)].sort((x, y) => y - x);
  const ratio = (l1 + 0.05) / (l2 + 0.05);
  if (ratio < 4.5) out.push(el.tagName + ' "' + el.textContent.trim().slice(0, 40) + '" ' +
                            ratio.toFixed(2));
}
return out;
"""


def chromium() -> tuple[str, str]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not binary or not driver:
        pytest.skip("install Debian's chromium and chromium-driver for the browser tests "
                    "(apt-get install -y chromium chromium-driver)")
    return binary, driver


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(home: Path, url: str | None = None, workers: int = 1, *,
          home_flag: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """`clearreel serve --workers N` in a child process; returns it and its base URL once it
    answers. `home_flag`: the workspace is given as `--home` (not in the environment)."""
    import httpx

    port = free_port()
    env = {**os.environ, "CLEARREEL_HOME": str(home)}
    env.pop("CLEARREEL_ORG", None)
    if url:
        env["CLEARREEL_DATABASE_URL"] = url
    else:
        env.pop("CLEARREEL_DATABASE_URL", None)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    glob = []
    if home_flag:
        del env["CLEARREEL_HOME"]
        glob = ["--home", str(home)]
    proc = subprocess.Popen([sys.executable, "-m", "clearreel", *glob, "serve", "--port",
                             str(port), "--workers", str(workers)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a bound on start-up, not a measurement
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"clearreel serve exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("clearreel serve did not answer within 60 s")


def driver(width: int = 1280, height: int = 900) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, drv = chromium()
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--window-size={width},{height}", "--force-device-scale-factor=1",
              "--lang=en-US"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(drv), options=opts)


def check_page(d: Any) -> None:
    """The page has no overflow or clipped text, a label on every control, AA contrast."""
    assert d.execute_script(OVERFLOW_JS) == [], d.current_url
    assert d.execute_script(LABELS_JS) == [], d.current_url
    assert d.execute_script(CONTRAST_JS) == [], d.current_url


def screenshot(d: Any, name: str, tmp: Path) -> Path:
    """A full-width PNG of the page (reduced to a small palette PNG); kept under docs/img when
    CLEARREEL_SCREENSHOTS=1 (the docs' pictures are made so)."""
    import base64

    from PIL import Image

    height = min(int(d.execute_script("return document.documentElement.scrollHeight")), 2400)
    shot = d.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": 1280, "height": max(height, 700), "scale": 1}})
    png = base64.b64decode(shot["data"])
    img = Image.open(io.BytesIO(png)).convert("RGB")
    img = img.resize((960, int(img.height * 960 / img.width)), Image.Resampling.LANCZOS)
    small = img.quantize(colors=96, method=Image.Quantize.MEDIANCUT)
    target = tmp / f"{name}.png"
    small.save(target, optimize=True)
    if os.environ.get("CLEARREEL_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(target, DOCS_IMG / f"{name}.png")
    return target


def sign_in(d: Any, base: str, name: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    d.get(base + "/signin")
    d.find_element(By.ID, "name").send_keys(name)
    d.find_element(By.ID, "password").send_keys(password)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(d, lambda d: not d.current_url.endswith("/signin")
             or d.find_elements(By.ID, "signin-error"))


def wait_for(d: Any, condition: Any, seconds: float = 30) -> Any:
    """Wait (bounded) for a page to settle after a click: a bound, not a measurement."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(d, seconds).until(condition)


__all__ = ["check_page", "driver", "screenshot", "serve", "sign_in", "wait_for"]
