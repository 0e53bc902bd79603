"""What the browser journeys (kiosk.py, web.py) share: a headless Chromium through
WebDriver, and checks that print one line each and stop the journey at the first failure."""
import os
import subprocess
import sys
import tempfile

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait


def trusting(ca_file):
    """A home directory whose NSS certificate store (where Chromium on Linux keeps the
    authorities a user added) trusts `ca_file` for websites, as a phone does once staff
    install the venue CA."""
    home = tempfile.mkdtemp(prefix="spot-browser-home-")
    store = "sql:" + os.path.join(home, ".pki", "nssdb")
    os.makedirs(os.path.join(home, ".pki", "nssdb"))
    subprocess.run(["certutil", "-N", "-d", store, "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", store, "-n", "HVFLVSPOT venue CA", "-t", "C,,", "-i", ca_file],
                   check=True, capture_output=True)
    return home


def browser(width=1280, height=1000, camera_video=None, trusted_ca=None):
    """A fresh headless Chromium; SPOT_CHROMIUM and SPOT_CHROMEDRIVER override the Debian paths.
    With `camera_video` (a .y4m file) the browser has a camera that films that video in a loop,
    and grants pages access to it without asking; with `trusted_ca` it trusts that certificate
    authority (and no other that is not trusted already)."""
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("SPOT_CHROMIUM", "/usr/bin/chromium")
    arguments = ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}",
                 "--autoplay-policy=no-user-gesture-required"]
    if camera_video:
        arguments += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                      f"--use-file-for-fake-video-capture={camera_video}"]
    for argument in arguments:
        options.add_argument(argument)
    environment = dict(os.environ, HOME=trusting(trusted_ca)) if trusted_ca else None
    service = Service(os.environ.get("SPOT_CHROMEDRIVER", "/usr/bin/chromedriver"), env=environment)
    return webdriver.Chrome(service=service, options=options)


def check(condition, what):
    """Prints `ok   what` or `FAIL what`; a failure ends the journey with exit status 1."""
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        sys.exit(1)


def wait_until(driver, condition, what, context, timeout=15):
    """Waits for `condition`, tolerating elements replaced meanwhile; on timeout the failure
    line ends with `context(driver)`, whatever shows best what the page said."""
    try:
        WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(condition)
    except Exception:
        check(False, f"{what} ({context(driver)})")
    check(True, what)
