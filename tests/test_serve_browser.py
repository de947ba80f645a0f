"""The playground in a real browser: Playwright (the pip package) driving Debian's Chromium
against the real server on a free port of this machine.

Skipped, with the reason, where the [web] extra, Playwright or /usr/bin/chromium is missing
(`.ci/run` installs Chromium with apt before `make test`, so CI runs them).
"""

import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ISSUE_URL = "/?data=xor&hidden=4,4&activation=tanh&optimizer=adam&lr=0.03&seed=0&play=1"
README_URL = ("/?data=spiral&n=300&noise=0.02&hidden=8,8,8&activation=tanh&optimizer=adam&lr=0.01"
              "&seed=1&epochs=5000&play=1")
SCREENSHOT = os.environ.get("BACKPROPLAB_SCREENSHOT")  # where to write the README's picture

for module, why in (("starlette", "the [web] extra is not installed: pip install -e '.[web]'"),
                    ("uvicorn", "the [web] extra is not installed: pip install -e '.[web]'"),
                    ("playwright", "Playwright is not installed: pip install playwright")):
    pytest.importorskip(module, reason=why)
if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from backproplab.app.serve.launch import listen  # noqa: E402
from backproplab.app.serve.web import create_app  # noqa: E402


@pytest.fixture(scope="module")
def server():
    """The playground's app under uvicorn in a thread, on a free port; its base URL."""
    import uvicorn

    sock = listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app("127.0.0.1", port), log_level="warning",
                            access_log=False, lifespan="off", ws_per_message_deflate=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the server did not start within 10 s"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A new tab (its own session) at 1280×800. A script error, or an error on the console (a
    file that did not load, something the Content-Security-Policy refused), fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("console", lambda m: m.type == "error" and errors.append(m.text))
    tab.base = server
    yield tab
    assert not errors, f"errors in the page: {errors}"
    context.close()


def number(tab, testid):
    text = tab.get_by_test_id(testid).text_content()
    found = re.search(r"-?\d+(\.\d+)?(e-?\d+)?", text or "")
    return float(found.group()) if found else None


# the boundary's pixels as RGBA bytes (a plain list), read inside the page
PIXELS = """() => { const c = document.querySelector('[data-testid=boundary]');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }"""


def changed_share(before, after):
    """The share of pixels whose colour moved by more than 24 in some channel."""
    assert len(before) == len(after)
    moved = sum(1 for i in range(0, len(before), 4)
                if max(abs(before[i + c] - after[i + c]) for c in range(3)) > 24)
    return moved / (len(before) // 4)


def test_xor_trains_to_100_and_a_click_adds_a_point(page, tmp_path):
    """The issue's test: the link trains XOR to 100%, the boundary changes, a click adds a
    point (n grows), and a screenshot is saved."""
    # the boundary before training: the same link without play=1 stays at epoch 0 (the same
    # seed, the same network); with it, training may be done before a first frame is read
    page.goto(page.base + ISSUE_URL.replace("&play=1", ""))
    page.wait_for_function("() => window.playground && window.playground.frame")
    assert number(page, "epoch") == 0
    before = page.evaluate(PIXELS)
    page.goto(page.base + ISSUE_URL)
    expect(page.get_by_test_id("train-accuracy")).to_have_text(re.compile(r"^100(\.0+)?$"),
                                                               timeout=30_000)
    after = page.evaluate(PIXELS)
    assert changed_share(before, after) > 0.05, "the boundary's pixels did not change"
    assert number(page, "epoch") > 0
    assert number(page, "train-loss") < 0.1

    n = number(page, "n-points")
    assert n == 21  # the lab's XOR points
    box = page.get_by_test_id("boundary").bounding_box()
    # (0.5, 0.15) in the view [-0.1, 1.1]²: far from every XOR point
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * (1.1 - 0.15) / 1.2)
    expect(page.get_by_test_id("n-points")).to_contain_text("22 points", timeout=5_000)
    assert "data=points" in page.url

    shot = tmp_path / "playground.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000


def test_the_command_box_and_the_url_follow_the_settings(page):
    page.goto(page.base + "/?data=xor&hidden=4,4&activation=tanh&optimizer=adam&lr=0.03&seed=0")
    command = page.get_by_test_id("command")
    expect(command).to_contain_text("backproplab train --data xor")
    text = command.text_content()
    for option in ("--hidden 4 4", "--activation tanh", "--optimizer adam", "--lr 0.03"):
        assert option in text, (option, text)
    # a new learning rate typed in: the URL and the command say so, without a reset
    lr = page.locator('[data-setting="lr"]')
    lr.fill("0.05")
    lr.press("Enter")
    expect(command).to_contain_text("--lr 0.05")
    page.wait_for_function("() => location.search.includes('lr=0.05')")
    assert "hidden=4,4" in page.url and "activation=tanh" in page.url
    # a structural change: the network's layers
    page.locator("#add-layer").click()
    expect(command).to_contain_text("--hidden 4 4 4")
    page.wait_for_function("() => location.search.includes('hidden=4,4,4')")


def test_pause_stops_the_epoch_counter(page):
    page.goto(page.base + "/?data=circle&hidden=8&activation=relu&optimizer=adam&lr=0.01"
              "&speed=200&play=1")
    page.wait_for_function("() => Number(document.querySelector('[data-testid=epoch]')"
                           ".textContent) > 20")
    page.get_by_test_id("pause").click()
    expect(page.get_by_test_id("status")).to_contain_text("Paused")
    stopped = number(page, "epoch")
    page.wait_for_timeout(700)
    assert number(page, "epoch") == stopped
    assert "play=1" not in page.url
    page.get_by_test_id("step").click()
    expect(page.get_by_test_id("epoch")).to_have_text(str(int(stopped) + 1))
    # a generated set holds points out: the test numbers are shown
    assert number(page, "test-accuracy") is not None
    page.get_by_test_id("reset").click()
    expect(page.get_by_test_id("epoch")).to_have_text("0")


def test_a_bad_csv_upload_shows_its_error(page):
    page.goto(page.base + "/?data=xor")
    expect(page.get_by_test_id("command")).to_contain_text("backproplab train")
    page.locator("#upload").set_input_files(files=[{
        "name": "bad.csv", "mimeType": "text/csv",
        "buffer": b"x1,x2,label\n0.1,0.2,0\n0.3,oops,1\n"}])
    status = page.get_by_test_id("status")
    expect(status).to_contain_text("bad.csv:3", timeout=5_000)  # the CLI's message: file:line
    expect(status).to_have_class(re.compile("error"))
    assert number(page, "n-points") == 21  # the data stayed as it was


def test_the_model_file_and_the_view_download_and_the_model_loads_again(page):
    page.goto(page.base + "/?data=xor&hidden=4&optimizer=adam&lr=0.03")
    expect(page.get_by_test_id("command")).to_contain_text("backproplab train")
    for epochs in ("1", "2"):
        page.get_by_test_id("step").click()
        expect(page.get_by_test_id("epoch")).to_have_text(epochs)
    with page.expect_download() as info:
        page.get_by_test_id("export-model").click()
    assert info.value.suggested_filename.endswith(".npz")
    model = Path(info.value.path()).read_bytes()
    assert model[:2] == b"PK"  # a model file is a zip (NumPy's .npz)
    with page.expect_download() as info:
        page.locator("#export-png").click()
    assert Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # back to epoch 0, then the file brings the two epochs back
    page.get_by_test_id("reset").click()
    expect(page.get_by_test_id("epoch")).to_have_text("0")
    page.locator("#load-model").set_input_files(files=[{
        "name": "model.npz", "mimeType": "application/octet-stream", "buffer": model}])
    expect(page.get_by_test_id("epoch")).to_have_text("2")


def test_classroom_link_hides_controls_and_asks_its_question(page):
    page.goto(page.base + "/?data=xor&hidden=4&activation=none&hide=lr,optimizer,activation"
              "&lock=1&question=Why%20does%20this%20network%20never%20solve%20XOR%3F")
    expect(page.locator("#question")).to_have_text("Why does this network never solve XOR?")
    expect(page.get_by_test_id("command")).to_contain_text("--activation none")
    assert not page.locator('[data-control="lr"]').is_visible()
    assert not page.locator('[data-control="optimizer"]').first.is_visible()
    assert page.locator('[data-setting="seed"]').is_disabled()  # lock=1: settings fixed
    assert page.get_by_test_id("play").is_enabled()
    assert "hide=lr,optimizer,activation" in page.url


def test_readme_screenshot(page, tmp_path):
    """The README's picture, a spiral learnt by a 2-8-8-8-1 tanh network with a unit hovered;
    written to docs/images/playground.png with BACKPROPLAB_SCREENSHOT=docs/images/playground.png
    pytest -k readme."""
    page.goto(page.base + README_URL)
    page.wait_for_function("() => window.playground.runStatus === 'finished'", timeout=120_000)
    net = page.locator("#network").bounding_box()
    # the middle of hidden layer 2 (the third of five columns): its fourth unit of eight
    page.mouse.move(net["x"] + net["width"] * 0.5, net["y"] + net["height"] * 0.44)
    expect(page.locator("#net-tip")).to_be_visible()
    expect(page.locator("#net-tip")).to_contain_text("layer 2 unit")
    expect(page.get_by_test_id("train-accuracy")).to_have_text("100.0")
    path = SCREENSHOT or tmp_path / "playground.png"
    page.screenshot(path=path)
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
