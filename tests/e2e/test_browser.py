"""Vigie in a real browser: login, the commune map drawn offline, live refresh, roles, tooltips.

Each test opens a fresh browser context, which is a new Streamlit session (not logged in). Waits are
conditions with timeouts; the only sleeps are short polling intervals. Screenshots are written to the
session's `e2e-screenshots` folder (its path is printed with `-s`).
"""

from __future__ import annotations

import io
import math
import re
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit

import pytest
import shapely
from PIL import Image
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from vigie.geo import load_pack
from vigie.ingest.inbox import drop_bytes
from vigie.ui.maps import BLANK_STYLE, view_state

pytestmark = pytest.mark.e2e

MAP = '[data-testid="stDeckGlJsonChart"]'
GRID = '[data-testid="stDataFrame"]'
CAPTION = '[data-testid="stCaptionContainer"]'
TOOLTIP = ".deck-tooltip"
BACKGROUND = (0xEE, 0xF2, 0xF5)  # static/blank-style.json
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TOTAL_RE = re.compile(r"Incidents \((?:période|period)\)\s*:\s*([\d\u202f\u00a0 ,.]+)")
LIVE_LIMIT_S = 10.0  # the brief's bound; SPEC says 5 s from the inbox to the screen
DATA_ELEMENTS = (MAP, GRID, '[data-testid="stMetric"]', '[data-testid="stVegaLiteChart"]',
                 '[data-testid="stException"]')


# -- helpers -------------------------------------------------------------------------------------
def wait_until(predicate, timeout: float, interval: float = 0.1, message: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail with `message` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {message}")
        time.sleep(interval)


def open_login(page: Page, server, path: str = "/") -> None:
    page.goto(server.base_url + path)
    expect(page.get_by_label("Identifiant")).to_be_visible(timeout=30_000)


def submit_login(page: Page, username: str, password: str) -> None:
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def login_overview(page: Page, server, username: str, path: str = "/") -> None:
    """Log in (password `test-<username>`) and wait for the overview with its map drawn."""
    open_login(page, server, path)
    submit_login(page, username, f"test-{username}")
    expect(page.locator("h1").first).to_have_text("Vue d'ensemble", timeout=30_000)
    wait_for_map(page)


def pick_option(page: Page, form, label: str, option: str) -> None:
    """Choose `option` in the selectbox `label` inside `form` (a locator, or the page). A rerun that redraws
    the page (a fragment's refresh, a slow first run) may close an open dropdown: open it again until the
    choice is made."""
    box = form.get_by_role("combobox", name=label)
    choice = page.get_by_role("option", name=option, exact=True)

    def chosen() -> bool:
        if not choice.count():
            box.click()
        try:
            choice.click(timeout=1_000)
        except PlaywrightTimeout:  # closed meanwhile: open it again
            return False
        return True

    wait_until(chosen, 20, interval=0.2, message=f"the option {option!r} of {label!r}")
    expect(box).to_have_value(option)


def script_idle(page: Page) -> None:
    """Wait until Streamlit has finished running the script (the page is complete)."""
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_be_attached()


def assert_no_exception(page: Page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, f"the page shows an exception: {errors.first.inner_text()[:2000]}"


def wait_for_map(page: Page):
    """The deck chart is visible and every canvas in it has a non-zero size."""
    chart = page.locator(MAP).first
    expect(chart).to_be_visible(timeout=30_000)
    canvases = chart.locator("canvas")
    expect(canvases.first).to_be_attached(timeout=30_000)

    def sized():
        boxes = [canvases.nth(i).bounding_box() for i in range(canvases.count())]
        return boxes if boxes and all(b and b["width"] > 0 and b["height"] > 0 for b in boxes) else None

    wait_until(sized, 20, message="the map canvas to get a size")
    return chart


def map_colours(png: bytes, min_pixels: int = 100) -> dict[tuple[int, int, int], int]:
    """Colours covering at least `min_pixels` pixels of a screenshot, background excluded."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    counts = Counter(zip(*(band.tobytes() for band in image.split())))
    return {c: n for c, n in counts.items() if n >= min_pixels and c != BACKGROUND}


def caption_total(page: Page) -> int | None:
    """The overview's 'Incidents (période) : N', or None while it is not on the page."""
    text = " ".join(page.locator(CAPTION).all_inner_texts())
    match = TOTAL_RE.search(text)
    return int(re.sub(r"\D", "", match.group(1))) if match else None


GRID_JS = """root => {
  const sc = root.querySelector('.dvn-scroller');
  const table = root.querySelector('table[role=grid]');
  return {
    heads: Object.fromEntries([...root.querySelectorAll('th[role=columnheader]')]
                              .map(th => [th.getAttribute('aria-colindex'), th.textContent])),
    cells: [...root.querySelectorAll('td[role=gridcell]')]
             .map(td => [td.parentElement.getAttribute('aria-rowindex'), td.getAttribute('aria-colindex'),
                         td.textContent]),
    rows: table ? +table.getAttribute('aria-rowcount') : 0,
    cols: table ? +table.getAttribute('aria-colcount') : 0,
    left: sc ? sc.scrollLeft : 0, top: sc ? sc.scrollTop : 0,
    sw: sc ? sc.scrollWidth : 0, sh: sc ? sc.scrollHeight : 0,
    cw: sc ? sc.clientWidth : 0, ch: sc ? sc.clientHeight : 0,
  };
}"""


def _wheel_on(page: Page, locator, dx: float, dy: float) -> None:
    box = locator.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(dx, dy)


def read_grid(page: Page, first: int | None = None) -> list[dict[str, str]]:
    """Every row (or the `first` rows) of the first st.dataframe, by column header.

    The grid (glide-data-grid) draws on a canvas; it also keeps an accessible <table> of the cells in
    view. Scrolling it with the mouse wheel, column band by column band, collects all of them.
    """
    grid = page.locator(GRID).first
    expect(grid.locator("td[role=gridcell]").first).to_be_attached(timeout=20_000)
    heads: dict[str, str] = {}
    cells: dict[tuple[int, int], str] = {}

    def collect() -> dict:
        state = grid.evaluate(GRID_JS)
        heads.update(state["heads"])
        cells.update({(int(r), int(c)): text for r, c, text in state["cells"]})
        return state

    def window(state: dict) -> tuple:
        rows_in_view = [int(r) for r, _, _ in state["cells"]] or [0]
        cols_in_view = [int(c) for _, c, _ in state["cells"]] or [0]
        return min(rows_in_view), max(rows_in_view), min(cols_in_view), max(cols_in_view)

    def scroll_until(dx: float, dy: float, done) -> dict:
        """Wheel by (dx, dy) until `done(state)`, collecting the cells in view at every stop.

        The accessible table follows the canvas a little later than the scroll position: after each
        wheel, wait until the cells in view have changed, then until they stay the same for a moment.
        """
        state = collect()
        for _ in range(60):
            if done(state):
                return state
            before, position = window(state), (state["left"], state["top"])
            _wheel_on(page, grid, dx, dy)
            moved_at = [None]

            def changed() -> bool:
                now = grid.evaluate(GRID_JS)
                if window(now) != before:
                    return True
                if moved_at[0] is None and (now["left"], now["top"]) != position:
                    moved_at[0] = time.monotonic()
                # Moved less than a cell: the same cells stay in view.
                return moved_at[0] is not None and time.monotonic() - moved_at[0] > 0.5

            wait_until(changed, 5, interval=0.05, message="the grid to scroll")
            last = None
            for _ in range(40):
                state = grid.evaluate(GRID_JS)
                if window(state) == last:
                    break
                last = window(state)
                time.sleep(0.08)
            state = collect()
        pytest.fail("the grid never reached its end")

    _wheel_on(page, grid, -10_000, -10_000)
    wait_until(lambda: window(grid.evaluate(GRID_JS))[::2] == (2, 1), 5, interval=0.05, message="the grid's first cells")
    state = collect()
    step_x, step_y = state["cw"] * 0.7, state["ch"] * 0.7
    last_row = state["rows"] if first is None else min(state["rows"], first + 1)  # row 1 is the header
    while True:
        state = scroll_until(0, step_y, lambda s: window(s)[1] >= last_row)
        if window(state)[3] >= state["cols"]:
            break
        right = window(state)[3]
        _wheel_on(page, grid, 0, -10_000)
        wait_until(lambda: window(grid.evaluate(GRID_JS))[0] == 2, 5, interval=0.05, message="the grid's top")
        scroll_until(step_x, 0, lambda s, right=right: window(s)[3] > right)
    _wheel_on(page, grid, -10_000, -10_000)
    rows: dict[int, dict[str, str]] = {}
    for (r, c), text in cells.items():
        rows.setdefault(r, {})[heads.get(str(c), str(c))] = text
    rows = {r: row for r, row in rows.items() if r <= last_row}
    assert sorted(rows) == list(range(2, last_row + 1)), f"read rows {sorted(rows)} of {last_row - 1}"
    assert all(len(row) == len(heads) for row in rows.values()), "some grid cells were not read"
    return [rows[r] for r in sorted(rows)]


def show_grid_column(page: Page, name: str) -> None:
    """Scroll the first grid sideways until the column header `name` is in view."""
    grid = page.locator(GRID).first
    for _ in range(10):
        if name in grid.evaluate(GRID_JS)["heads"].values():
            return
        _wheel_on(page, grid, 250, 0)
        time.sleep(0.1)
    pytest.fail(f"column {name!r} never came into view")


def lonlat_to_pixel(lon: float, lat: float, width: float, height: float) -> tuple[float, float]:
    """Where deck.gl's Web Mercator view (vigie.ui.maps.view_state) draws a point, in canvas pixels."""
    vs = view_state(load_pack("benin"))
    scale = 512 * 2 ** vs.zoom

    def world(lo: float, la: float) -> tuple[float, float]:
        y = math.log(math.tan(math.pi / 4 + math.radians(la) / 2))
        return (lo + 180) / 360 * scale, (math.pi - y) / (2 * math.pi) * scale

    cx, cy = world(vs.longitude, vs.latitude)
    x, y = world(lon, lat)
    return width / 2 + x - cx, height / 2 + y - cy


def inside_point(commune: str) -> tuple[float, float]:
    """A point well inside a commune (pole of inaccessibility of its largest part): lon, lat."""
    from shapely.ops import polylabel

    pack = load_pack("benin")
    geom = pack.geometries[list(pack.communes["commune"]).index(commune)]
    parts = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    point = polylabel(max(parts, key=lambda p: p.area), tolerance=0.001)
    return shapely.get_x(point), shapely.get_y(point)


def hover_tooltip(page: Page, x: float, y: float, expect_text: str | None = None, timeout: float = 15):
    """Hover canvas-relative (x, y) until the deck tooltip shows (and contains `expect_text`)."""
    canvas = page.locator(MAP).first.locator("canvas").last
    tip = page.locator(TOOLTIP)
    step = [0]

    def shown():
        box = canvas.bounding_box()
        jiggle = (step[0] % 3) - 1  # moving again re-picks after a refresh redrew the deck
        step[0] += 1
        page.mouse.move(box["x"] + x + jiggle, box["y"] + y)
        if tip.count() and tip.first.is_visible():
            text = tip.first.inner_text()
            if text.strip() and (expect_text is None or expect_text in text):
                return tip.first
        return None

    return wait_until(shown, timeout, interval=0.25, message=f"a map tooltip ({expect_text or 'any'})")


# -- tests ---------------------------------------------------------------------------------------
def test_operator_overview_shows_metrics_and_drawn_map(page: Page, server, shots):
    login_overview(page, server, "operateur")
    for label in ("Incidents (24 h)", "Critiques en cours", "Communes touchées", "À vérifier",
                  "Délai médian de vérification"):
        metric = page.locator('[data-testid="stMetric"]').filter(has_text=label)
        expect(metric).to_have_count(1)
        value = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
        assert value, f"metric {label!r} has no value"
    total = wait_until(lambda: caption_total(page), 10, message="the 'Incidents (période)' caption")
    assert total == server.facts.totals["operator"] + len(server.dropped)

    chart = wait_for_map(page)
    # deck.gl draws asynchronously: wait until the communes are painted in several classes of colour.
    holder = {}

    def painted():
        holder["png"] = chart.screenshot()
        colours = map_colours(holder["png"])
        warm = [c for c in colours if c[0] >= c[1] >= c[2] and c[0] - c[2] > 60]  # YlOrRd classes
        return len(colours) >= 5 and len(warm) >= 3

    wait_until(painted, 20, interval=0.5, message="the commune choropleth to be painted")
    path = shots / "overview-map.png"
    path.write_bytes(holder["png"])
    page.screenshot(path=str(shots / "overview-page.png"))
    print(f"\nmap screenshot: {path} ({len(map_colours(holder['png']))} colours)")
    # Benin sits in the middle of the view: the centre pixel is a commune, not the background.
    image = Image.open(io.BytesIO(holder["png"])).convert("RGB")
    assert image.getpixel((image.width // 2, image.height // 2)) != BACKGROUND
    assert_no_exception(page)


def test_works_offline_no_request_leaves_the_machine(page: Page, server):
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    login_overview(page, server, "operateur")
    wait_until(lambda: len(map_colours(page.locator(MAP).first.screenshot())) >= 5, 20, interval=0.5,
               message="the overview map to be painted")
    page.get_by_role("link", name="Carte").click()
    expect(page.locator("h1").first).to_have_text("Carte")
    wait_for_map(page)
    page.get_by_role("link", name="Chronologie").click()
    expect(page.locator("h1").first).to_have_text("Chronologie")
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=20_000)
    # Let late requests come in: wait until none has started for 1.5 s (a refresh cycle is 2 s).
    seen = [len(urls), time.monotonic()]

    def quiet() -> bool:
        if len(urls) != seen[0]:
            seen[:] = [len(urls), time.monotonic()]
        return time.monotonic() - seen[1] > 1.5

    wait_until(quiet, 15, message="the page to stop making requests")
    assert_no_exception(page)

    assert any(u.endswith("/" + BLANK_STYLE) for u in urls), "the blank local map style was not loaded"
    external = sorted({u for u in urls
                       if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).hostname not in LOCAL_HOSTS})
    # (The favicon used to come from fonts.gstatic.com, with page_icon=":material/radar:".)
    assert not external, f"requests leave the machine: {external}"


def test_new_report_appears_live_without_reload(page: Page, server):
    login_overview(page, server, "operateur")
    before = wait_until(lambda: caption_total(page), 10, message="the 'Incidents (période)' caption")
    show_grid_column(page, "Description")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)

    marker = f"E2E incident {uuid.uuid4()}"
    # Later than every fixture incident (they end on 10 Jan 2023), still inside the default period: it
    # becomes the first row of "Derniers incidents" (sorted by time, newest first, 50 rows).
    csv = ("id;source;date;latitude;longitude;commune;categorie;gravite;description\n"
           f"E2E-{uuid.uuid4().hex[:8]};e2e;11/01/2023 10:00;;;Parakou;violence;3;{marker}\n")
    drop_bytes(server.inbox, csv.encode("utf-8"), "e2e-live.csv", source="e2e")
    t0 = time.monotonic()
    server.dropped.append(marker)
    grid = page.locator(GRID).first
    seen: dict[str, float] = {}

    def arrived():
        now = time.monotonic() - t0
        total = caption_total(page)
        if "caption" not in seen and total is not None and total == before + 1:
            seen["caption"] = now
        if "table" not in seen:
            if grid.get_by_text(marker, exact=True).count():
                seen["table"] = now
            elif "Description" not in grid.evaluate(GRID_JS)["heads"].values():
                show_grid_column(page, "Description")  # a refresh may have reset the scroll
        return len(seen) == 2

    wait_until(arrived, LIVE_LIMIT_S + 10, interval=0.1, message=f"{marker!r} on the page")
    print(f"\nlive refresh: KPI caption after {seen['caption']:.2f} s, table row after {seen['table']:.2f} s "
          f"(from the atomic drop in the inbox; SPEC: 5 s, limit here {LIVE_LIMIT_S:.0f} s)")
    assert seen["table"] <= LIVE_LIMIT_S, f"the new report took {seen['table']:.1f} s to show up"
    assert not navigations, f"the page reloaded: {navigations}"
    assert grid.get_by_text(marker, exact=True).count() >= 1
    row = read_grid(page, first=1)[0]
    assert row["Description"] == marker, row
    assert row["Commune"] == "Parakou" and row["Statut"] == "Nouveau", row
    assert_no_exception(page)


@pytest.mark.parametrize("path", ["/carte", "/chronologie", "/vue-ensemble"])
def test_pages_require_login(page: Page, server, path):
    open_login(page, server, path)
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    expect(page.get_by_text("Connectez-vous pour accéder au tableau de bord.")).to_be_visible()
    # The script has finished and drew neither a map nor data.
    script_idle(page)
    for selector in DATA_ELEMENTS:
        assert page.locator(selector).count() == 0, f"{selector} shown without login"
    assert "Carte" not in page.locator("h1").all_inner_texts()


def test_bad_password_disabled_account_and_logout(page: Page, server):
    open_login(page, server)
    error = page.locator('[data-testid="stAlertContentError"]')
    submit_login(page, "observateur", "pas-le-bon-mot-de-passe")
    expect(error).to_contain_text("Identifiant ou mot de passe incorrect")
    assert page.locator(MAP).count() == 0

    open_login(page, server)  # a new session, so the error below cannot be the one above
    expect(error).to_have_count(0)
    submit_login(page, "ancien", "test-ancien")  # right password, disabled account
    expect(error).to_contain_text("Identifiant ou mot de passe incorrect, ou compte désactivé")
    script_idle(page)
    assert page.get_by_role("button", name="Se déconnecter").count() == 0
    assert page.locator(MAP).count() == 0

    submit_login(page, "observateur", "test-observateur")
    expect(page.locator("h1").first).to_have_text("Vue d'ensemble", timeout=30_000)
    wait_for_map(page)
    expect(page.get_by_text("Observateur (test) — Observateur")).to_be_visible()

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_label("Identifiant")).to_be_visible()
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    expect(page.locator(MAP)).to_have_count(0)
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)


def test_journalist_sees_only_published_incidents(page: Page, server):
    facts = server.facts
    login_overview(page, server, "journaliste")
    expect(page.get_by_text("Vous voyez les incidents vérifiés et publiés")).to_be_visible()
    total = wait_until(lambda: caption_total(page), 10, message="the 'Incidents (période)' caption")
    assert total == facts.totals["journalist"] <= len(facts.published_titles)
    assert total < facts.totals["operator"]

    rows = read_grid(page)
    assert len(rows) == 50
    assert {r["Statut"] for r in rows} == {"Vérifié"}
    titles = {r["Description"] for r in rows}
    assert titles <= facts.published_titles, f"unpublished incidents shown: {titles - facts.published_titles}"
    assert not titles & facts.hidden_titles
    assert not any(marker in titles for marker in server.dropped)

    body = page.locator("body").inner_text()
    leaked = [t for t in facts.hidden_titles if t in body]
    assert not leaked, f"unpublished incident text on the journalist's page: {leaked[:5]}"
    for pii in ("Témoin-Fixture", "+229 00 00", "temoin@example.invalid", "note interne"):
        assert pii not in body

    box = page.locator(MAP).first.locator("canvas").last.bounding_box()
    tip = hover_tooltip(page, box["width"] / 2, box["height"] / 2)
    latest = tip.locator("i").inner_text()
    assert latest in facts.published_titles, f"the map tooltip shows an unpublished incident: {latest!r}"
    assert_no_exception(page)


def test_map_tooltip_names_the_commune_and_escapes_report_text(page: Page, server, shots, dialogs):
    facts = server.facts
    # The injection attempt is the only incident of its commune on its day: with that day as the period
    # (a filter read from the URL), it is that commune's "latest incident", shown in its tooltip.
    day = facts.xss_date
    login_overview(page, server, "operateur", path=f"/?du={day}&au={day}")
    box = page.locator(MAP).first.locator("canvas").last.bounding_box()
    tip = hover_tooltip(page, box["width"] / 2, box["height"] / 2)  # Benin is in the middle
    commune = tip.locator("b").first.inner_text()
    assert commune in facts.commune_names, f"tooltip without a commune name: {tip.inner_text()!r}"
    assert re.search(r"\n\d[\d\u202f]* incidents?\n", tip.inner_text()), tip.inner_text()
    assert "<script" not in tip.inner_html().lower()

    lon, lat = inside_point(facts.xss_commune)
    x, y = lonlat_to_pixel(lon, lat, box["width"], box["height"])
    tip = hover_tooltip(page, x, y, expect_text=facts.xss_commune)
    assert "\n1 incident\n" in tip.inner_text()  # the only incident of its commune that day
    page.screenshot(path=str(shots / "tooltip-escaped.png"))
    text = tip.inner_text()
    assert "alert('xss')" in text and "Attaque" in text, text  # the report text is shown as text...
    assert tip.locator("script, img").count() == 0, tip.inner_html()  # ...never as markup...
    entities = re.findall(r"&(?:lt|gt|amp|quot|apos|#x27|#39);", text)
    assert not entities, f"HTML entities shown on screen (escaped twice): {text!r}"  # ...nor as entities
    assert "<script" not in tip.inner_html().lower()
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert not dialogs


def test_language_switch_to_english(page: Page, server):
    login_overview(page, server, "operateur")
    page.get_by_role("combobox", name="Langue / Language").click()
    page.get_by_role("option", name="English").click()
    expect(page.locator("h1").first).to_have_text("Overview")
    expect(page.get_by_role("link", name="Map")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    wait_until(lambda: "Incidents (period)" in " ".join(page.locator(CAPTION).all_inner_texts()), 10,
               message="the English caption")
    wait_for_map(page)
    assert_no_exception(page)



def test_first_visitors_reach_no_page_without_login(page: Page, fresh_server):
    """Right after a restart, every page file and every page URL is behind the login.

    Until a session has called st.navigation, Streamlit serves the files of pages/ by their own
    names (/map, /admin...), without app.py: each page must stop by itself (get_context()).
    """
    from vigie.config import ROOT

    paths = [f"/{p.stem}" for p in sorted((ROOT / "pages").glob("*.py"))] + ["/carte", "/chronologie", "/"]
    for path in paths:
        page.goto(fresh_server + path)
        expect(page.get_by_text("Connectez-vous pour accéder au tableau de bord.")).to_be_visible(timeout=20_000)
        script_idle(page)
        for selector in DATA_ELEMENTS:
            assert page.locator(selector).count() == 0, f"{path}: {selector} shown without login"


def test_first_visitors_see_no_raw_page_list(page: Page, fresh_server):
    page.goto(fresh_server + "/carte")
    expect(page.get_by_label("Identifiant")).to_be_attached(timeout=20_000)
    script_idle(page)
    assert page.get_by_text("Page not found").count() == 0, "a 'Page not found' dialog opened"
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.count() == 0, f"the sidebar lists pages without login: {nav.first.inner_text()!r}"


def test_shared_link_keeps_its_page_through_login(page: Page, server):
    open_login(page, server, "/carte?cat=violence")
    submit_login(page, "operateur", "test-operateur")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible(timeout=30_000)
    wait_for_map(page)
    assert "cat=violence" in page.url
    title = page.locator("h1").first.inner_text()
    assert title == "Carte" and "/carte" in page.url, f"after login: {title!r} at {page.url}"
