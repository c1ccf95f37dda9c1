"""The JupyterLab walkthrough in a real browser: serve JupyterLab headless, open
``notebooks/01_data.ipynb`` in headless Chromium, run all cells from the Run menu,
check that no cell failed and take a screenshot.

What it needs (it installs nothing itself):

    apt-get install -y chromium chromium-driver      # Debian's Chromium and its driver
    python3 -m venv /tmp/walk-venv && /tmp/walk-venv/bin/pip install selenium

Selenium drives Debian's ``/usr/bin/chromium`` through ``/usr/bin/chromedriver``; no
browser is downloaded (Playwright's own browser download does not work offline).
JupyterLab itself comes from the project's ``.venv``. Run from the repository root:

    AEUTILS_DATA=../shared/data /tmp/walk-venv/bin/python tests/browser_walkthrough.py

or, from an environment that has selenium, as the deselected-by-default test
``pytest -m browser tests/test_browser_walkthrough.py``.

By default the notebook runs in a temporary copy of the checkout (``aeutils/``,
``notebooks/``, ``pyproject.toml``), because running it writes ``figures/`` (its
numbers in ``figures/numbers/``) in the repository it runs in; ``--in-place`` runs the checkout
itself, exactly as a user would. The kernel gets only the environment: AEUTILS_DATA
(the offline copies, where ``cifar10`` picks up ``cifar10-jpeg/``) and AEUTILS_PROFILE
(``smoke`` by default), which the notebook's parameters cell reads. It prints one line,
``walkthrough: OK …`` or ``walkthrough: FAILED …``, and exits 0 or 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = "notebooks/01_data.ipynb"

# JupyterLab's notebook model, read in the page (the app is exposed with
# --LabApp.expose_app_in_browser): per code cell its execution count and output types.
STATE_JS = """
const app = window.jupyterapp;
const w = app && app.shell.currentWidget;
if (!w || !w.content || !w.content.model || !w.sessionContext) { return null; }
const cells = [];
const model = w.content.model;
for (let i = 0; i < model.cells.length; i++) {
  const c = model.cells.get(i);
  if (c.type !== 'code') { continue; }
  const outs = c.outputs.toJSON();
  cells.push({index: i, count: c.executionCount, outputs: outs.map(o => o.output_type),
              errors: outs.filter(o => o.output_type === 'error')
                          .map(o => o.ename + ': ' + o.evalue)});
}
const k = w.sessionContext.session && w.sessionContext.session.kernel;
return {kernel: k ? k.status : null, cells: cells};
"""

STDERR_JS = """
return Array.from(document.querySelectorAll(
  '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]'))
  .map(e => e.innerText).filter(t => /Traceback|Error/.test(t));
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.environ.get("AEUTILS_DATA", str(REPO.parent / "shared" / "data")),
                   help="AEUTILS_DATA for the kernel (default: $AEUTILS_DATA or ../shared/data)")
    p.add_argument("--profile", default=os.environ.get("AEUTILS_PROFILE", "smoke"),
                   help="AEUTILS_PROFILE for the kernel (default: smoke)")
    p.add_argument("--in-place", action="store_true",
                   help="run the checkout itself (writes its figures/, numbers included)")
    p.add_argument("--port", type=int, default=8899)
    p.add_argument("--token", default="walkthrough")
    p.add_argument("--screenshot", default=str(REPO / "figures" / "walkthrough_jupyterlab.png"))
    p.add_argument("--size", default="1400,900", help="browser window WIDTH,HEIGHT")
    p.add_argument("--jupyter", default=str(REPO / ".venv" / "bin" / "jupyter"))
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    p.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    p.add_argument("--timeout", type=float, default=900, help="seconds for the whole run")
    return p.parse_args(argv)


def copy_checkout(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for sub in ("aeutils", "notebooks"):
        shutil.copytree(REPO / sub, dest / sub, ignore=ignore)
    shutil.copy2(REPO / "pyproject.toml", dest / "pyproject.toml")
    return dest


def lab_settings(folder: Path) -> None:
    """Fresh JupyterLab user settings: no news or update pop-ups over the screenshot."""
    d = folder / "@jupyterlab" / "apputils-extension"
    d.mkdir(parents=True)
    (d / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))


def start_lab(args, root: Path, work: Path) -> subprocess.Popen:
    env = dict(os.environ, AEUTILS_DATA=str(Path(args.data).expanduser().resolve()),
               AEUTILS_PROFILE=args.profile, PYTHONPATH=str(root),
               JUPYTER_CONFIG_DIR=str(work / "config"))
    env.pop("AEUTILS_FIGURES", None)
    settings = work / "settings"
    lab_settings(settings)
    cmd = [args.jupyter, "lab", "--no-browser", "--ip=127.0.0.1", f"--port={args.port}",
           "--port-retries=0", f"--IdentityProvider.token={args.token}",
           f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={work / 'ws'}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:  # containers and CI run as root
        cmd.append("--allow-root")
    log = open(work / "jupyterlab.log", "wb")
    # Its own process group, so shutting down ends the server and its kernels.
    return subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_for_server(args, lab: subprocess.Popen, deadline: float) -> None:
    url = f"http://127.0.0.1:{args.port}/api/status?token={args.token}"
    while time.monotonic() < deadline:
        if lab.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {lab.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("jupyter lab did not start")


def stop_lab(lab: subprocess.Popen) -> None:
    if lab.poll() is None:
        os.killpg(lab.pid, signal.SIGINT)  # JupyterLab asks twice; the second SIGINT stops it
        time.sleep(0.5)
        os.killpg(lab.pid, signal.SIGINT)
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()


def browser(args):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = args.chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 f"--window-size={args.size}", "--hide-scrollbars", "--lang=en-US"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=args.chromedriver), options=opts)
    width, height = (int(v) for v in args.size.split(","))  # the page itself, not the window
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    return driver


def wait(driver, what: str, until, deadline: float, poll: float = 0.5):
    while time.monotonic() < deadline:
        value = until(driver)
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError(f"timed out waiting for {what}")


def run_all_from_menu(driver, deadline: float) -> None:
    """Run > Run All Cells, clicked as a user would."""
    from selenium.webdriver.common.by import By

    menu = wait(driver, "the Run menu", lambda d: [e for e in d.find_elements(
        By.CSS_SELECTOR, ".lm-MenuBar-item") if e.text.strip() == "Run"], deadline)[0]
    menu.click()
    # JupyterLab 4's menu item runs "runmenu:run-all" (older ones: "notebook:run-all-cells").
    item = wait(driver, "Run All Cells", lambda d: [e for e in d.find_elements(
        By.CSS_SELECTOR, ".lm-Menu-item") if e.get_attribute("data-command") in (
            "runmenu:run-all", "notebook:run-all-cells")], deadline)[0]
    item.click()


def walkthrough(args, root: Path, work: Path) -> str:
    from selenium.webdriver.common.by import By

    start = time.monotonic()
    deadline = start + args.timeout
    lab = start_lab(args, root, work)
    try:
        wait_for_server(args, lab, deadline)
        driver = browser(args)
        try:
            driver.get(f"http://127.0.0.1:{args.port}/lab/tree/{NOTEBOOK}?token={args.token}&reset")
            state = lambda d: d.execute_script(STATE_JS)  # noqa: E731
            wait(driver, "the notebook and an idle kernel",
                 lambda d: (s := state(d)) and s["kernel"] == "idle" and s["cells"], deadline)
            run_all_from_menu(driver, deadline)
            t_run = time.monotonic()
            # Done: the kernel is idle, every code cell ran (or one failed) and the last
            # cell has output. A failing cell stops Run All, so stop waiting on an error.
            final = wait(driver, "all cells to run", lambda d: (s := state(d)) and (
                any(c["errors"] for c in s["cells"])
                or (s["kernel"] == "idle" and all(c["count"] for c in s["cells"])
                    and s["cells"][-1]["outputs"])) and s, deadline, poll=1.0)
            run_s = time.monotonic() - t_run
            time.sleep(2)  # let the last images paint
            # Show the first figure: scroll its cell to the top of the notebook panel.
            driver.execute_script("""
                const imgs = document.querySelectorAll('.jp-Notebook .jp-OutputArea-output img');
                if (imgs.length) {
                  const cell = imgs[0].closest('.jp-Cell');
                  const prev = cell.previousElementSibling;
                  (prev || cell).scrollIntoView({block: 'start'});
                }""")
            time.sleep(1.5)
            shot = Path(args.screenshot)
            shot.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(shot))
            errors = [e for c in final["cells"] for e in c["errors"]]
            stderr = driver.execute_script(STDERR_JS)
            images = len(driver.find_elements(By.CSS_SELECTOR,
                                              ".jp-Notebook .jp-OutputArea-output img"))
        except Exception:
            failed = Path(args.screenshot).with_suffix(".failed.png")
            failed.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(failed))  # what the page showed when it went wrong
            raise
        finally:
            driver.quit()
    finally:
        stop_lab(lab)
    cells = final["cells"]
    ran = sum(bool(c["count"]) for c in cells)
    total = time.monotonic() - start
    facts = (f"{ran}/{len(cells)} code cells ran, {images} figures shown, profile "
             f"{args.profile}, AEUTILS_DATA={args.data}, run {run_s:.0f} s, total {total:.0f} s, "
             f"screenshot {args.screenshot}")
    if errors or stderr or ran != len(cells):
        problem = (errors or [s.strip().splitlines()[-1] for s in stderr] or ["not all cells ran"])[0]
        raise AssertionError(f"{problem} ({facts})")
    return facts


def missing(args) -> str | None:
    """What is not installed, with the line that installs it."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed here (pip install selenium)"
    for path, package in ((args.chromium, "chromium"), (args.chromedriver, "chromium-driver")):
        if not Path(path).exists():
            return f"{path} is missing (apt-get install -y {package})"
    if not Path(args.jupyter).exists():
        return f"{args.jupyter} is missing (make the project's .venv first)"
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if problem := missing(args):
        print(f"walkthrough: FAILED: {problem}")
        return 1
    with tempfile.TemporaryDirectory(prefix="walkthrough-") as tmp:
        work = Path(tmp)
        root = REPO if args.in_place else copy_checkout(work / "repo")
        try:
            print(f"walkthrough: OK: {walkthrough(args, root, work)}")
            return 0
        except Exception as exc:  # one line, and where JupyterLab's log is kept
            log = work / "jupyterlab.log"
            keep = Path(tempfile.gettempdir()) / "walkthrough-jupyterlab.log"
            if log.exists():
                shutil.copy2(log, keep)
            msg = str(exc).splitlines()[0] if str(exc) else ""
            print(f"walkthrough: FAILED: {type(exc).__name__}: {msg} (JupyterLab log: {keep})")
            return 1


if __name__ == "__main__":
    sys.exit(main())
