"""``/field/``: the page carries a strict CSP and no inline script, every file of the app
shell is served (what the service worker caches), the worker is rendered with the cache
name and the shell, and the configured photo size reaches the app."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app
from api.config import Settings
from api.field.routes import CSP, STATIC_DIR, field_config


def test_page_has_a_strict_csp_and_no_inline_script(client: TestClient) -> None:
    answer = client.get("/field/")
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP and "unsafe-inline" not in CSP
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", answer.text, flags=re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert "http://" not in answer.text and "https://" not in answer.text


def test_every_shell_file_is_served(client: TestClient) -> None:
    config = client.get("/field/config.json").json()
    assert config["photo_max_px"] == 1600
    assert "/field/app/outbox.js" in config["shell"]
    for url in config["shell"]:
        answer = client.get(url)
        assert answer.status_code == 200, url
        if url.endswith(".js"):
            assert answer.headers["content-type"].startswith("text/javascript"), url


def test_service_worker_is_rendered_with_its_cache_and_shell(client: TestClient) -> None:
    answer = client.get("/field/sw.js")
    config = client.get("/field/config.json").json()
    assert answer.headers["service-worker-allowed"] == "/field/"
    assert f'const CACHE = "{config["cache"]}";' in answer.text
    assert f"const SHELL = {json.dumps(config['shell'])};" in answer.text
    assert "__CACHE__" not in answer.text and "__SHELL__" not in answer.text


def test_only_the_app_files_are_served(client: TestClient) -> None:
    for name in ("nope.js", "sw.js", "..%2Froutes.py", "index.html"):
        assert client.get(f"/field/app/{name}").status_code == 404, name


def test_photo_size_is_configurable_and_changes_the_cache(small_store: Path) -> None:
    settings = Settings(store=str(small_store), field_photo_max_px=1024)
    with TestClient(create_app(settings)) as client:
        config = client.get("/field/config.json").json()
    assert config["photo_max_px"] == 1024
    assert config["cache"] != field_config(Settings(store=str(small_store)))["cache"]


def test_app_code_never_parses_data_as_html() -> None:
    """Values reach the page as text nodes (ui.h), never through innerHTML or the like."""
    for path in STATIC_DIR.glob("*.js"):
        text = path.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, f"{path.name} uses {sink}"


def test_manifest_makes_the_app_installable(client: TestClient) -> None:
    answer = client.get("/field/manifest.webmanifest")
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/field/",
        "/field/",
        "standalone",
    )
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.headers["content-type"] == icon["type"]
        if icon["type"] == "image/png":
            size = Image.open(io.BytesIO(image.content)).size
            assert f"{size[0]}x{size[1]}" == icon["sizes"]
