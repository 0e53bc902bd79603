#!/usr/bin/env python3
"""Drives the kiosk in a real headless Chromium (WebDriver) against a running node.

Run by Tests/EndToEndTests/KioskBrowserTests.swift, which starts the server and the node and
calls one phase at a time, stopping and restarting the server between them:

    kiosk.py online    --url URL --pin PIN --valid PAYLOAD --forged PAYLOAD --screenshots DIR
    kiosk.py offline   --url URL --pin PIN --valid PAYLOAD --freeze-pid PID --screenshots DIR
    kiosk.py reconnect --url URL --pin PIN --screenshots DIR --idle SECONDS
    kiosk.py peers     --url URL --pin PIN --screenshots DIR    (a node that follows one peer)
    kiosk.py failover  --url URL --pin PIN --valid PAYLOAD --second PAYLOAD --kill-pids PID,PID
                       --peer-urls URL,URL --screenshots DIR
                       (node A switches its kiosk to B by itself; B offers C; each is killed in turn)
    kiosk.py phone     --url HTTPS-URL --pin PIN --valid PAYLOAD --valid-id ID --valid-video Y4M --forged-video Y4M
                       --ca VENUE-CA.pem --plain-url HTTP-URL --screenshots DIR

Scans are typed into the focused field followed by Enter, as a keyboard-wedge scanner does.
QR codes are read back from screenshots with zbarimg. Prints one line per check and exits 1
on the first failed one (the Swift test shows the output).
"""
import argparse
import contextlib
import os
import signal
import subprocess
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from chromium import browser, check, wait_until


@contextlib.contextmanager
def kiosk(url, width=1280, height=1000, camera_video=None, trusted_ca=None):
    """A fresh browser (no session yet) on the kiosk, closed afterwards whatever happens."""
    driver = browser(width, height, camera_video, trusted_ca)
    try:
        if width < 500:  # headless windows are at least 500 px wide: a phone's screen is emulated
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
        driver.get(url)
        yield driver
    finally:
        driver.quit()


def wait_for(driver, condition, what, timeout=15):
    wait_until(driver, condition, what, lambda d: f"status bar: {d.find_element(By.TAG_NAME, 'header').text!r}; "
                                                  f"banner: {d.find_element(By.ID, 'node-error').text!r}", timeout)


def by_id(driver, element_id):
    return driver.find_element(By.ID, element_id)


def link_state(driver):
    return by_id(driver, "link").get_attribute("data-state")


def touch_targets(driver, name):
    for element in driver.find_elements(By.CSS_SELECTOR, "button, a, select, input:not([type=radio]), label[for]"):
        if element.is_displayed():
            check(element.size["height"] >= 44,
                  f"[{name}] touch target {element.get_attribute('id') or element.text!r} is >= 44 px")


def sign_in(driver, pin, wrong_first=False):
    wait_for(driver, lambda d: by_id(d, "signin").is_displayed(), "the kiosk asks for the staff PIN first")
    check(not by_id(driver, "door").is_displayed() and not by_id(driver, "sale").is_displayed(),
          "nothing can be scanned or sold before signing in")
    if wrong_first:
        check(driver.switch_to.active_element.get_attribute("id") == "pin", "the PIN field has the focus")
        driver.switch_to.active_element.send_keys("0000" + Keys.ENTER)
        wait_for(driver, lambda d: "not right" in by_id(d, "signin-message").text, "a wrong PIN is refused with a clear message")
    by_id(driver, "pin").send_keys(pin + Keys.ENTER)
    wait_for(driver, lambda d: by_id(d, "door").is_displayed(), "the right PIN opens door mode")


def scan(driver, payload):
    """Types the payload into the focused element and presses Enter; returns the verdict overlay."""
    field = driver.switch_to.active_element
    check(field.get_attribute("id") == "payload", "the scan field has the focus (a wedge scanner types into it)")
    previous = by_id(driver, "recent").get_attribute("childElementCount")
    field.send_keys(payload + Keys.ENTER)
    WebDriverWait(driver, 10).until(
        lambda d: by_id(d, "recent").get_attribute("childElementCount") != previous
        or by_id(d, "verdict").get_attribute("data-verdict") == "error")
    verdict = by_id(driver, "verdict")
    return verdict.get_attribute("data-verdict"), verdict.get_attribute("data-signal")


def dismiss(driver):
    by_id(driver, "payload").send_keys(Keys.ESCAPE)
    WebDriverWait(driver, 5).until(lambda d: not by_id(d, "verdict").is_displayed())


def sell(driver, quantity, payment, screenshots, name):
    """Sells `quantity` tickets of the first type in sale mode; returns the payloads shown."""
    by_id(driver, "mode-sale").click()
    wait_for(driver, lambda d: by_id(d, "sale-form").is_displayed(), "sale mode loads what the node can sell")
    label = driver.find_element(By.CSS_SELECTOR, "#sale-types input:checked + label")
    remaining = int(label.get_attribute("data-remaining"))
    check(f"{remaining} left" in label.text, f"the ticket type shows the remaining allotment ({label.text!r})")
    for _ in range(quantity - 1):
        by_id(driver, "quantity-more").click()
    check(by_id(driver, "sale-quantity").get_attribute("value") == str(quantity), f"the quantity reads {quantity}")
    driver.find_element(By.CSS_SELECTOR, f"label[for={'pay-cash' if payment == 'cash' else 'pay-card'}]").click()
    check(by_id(driver, "sale-total").text not in ("", "—"), f"the total is shown ({by_id(driver, 'sale-total').text})")
    if screenshots:
        driver.save_screenshot(os.path.join(screenshots, f"{name}-form.png"))
    by_id(driver, "sale-confirm").click()
    wait_for(driver, lambda d: by_id(d, "sale-result").is_displayed()
             and len(d.find_elements(By.CSS_SELECTOR, "#sale-tickets img")) == quantity
             and all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image)
                     for image in d.find_elements(By.CSS_SELECTOR, "#sale-tickets img")),
             f"the sale shows {quantity} QR code(s)")
    check(by_id(driver, "sale-result-title").text.startswith(f"Sold {quantity}"), "the result says what was sold")
    images = driver.find_elements(By.CSS_SELECTOR, "#sale-tickets img")
    for image in images:
        check(image.size["width"] >= 240, f"each QR code is large enough to scan from a phone ({image.size['width']} px)")
    return [image.get_attribute("data-payload") for image in images]


def decode_screenshot(driver, path):
    """Screenshots the first sold ticket's QR code and decodes it with zbarimg."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                          driver.find_element(By.CSS_SELECTOR, "#sale-tickets img"))
    driver.save_screenshot(path)
    result = subprocess.run(["zbarimg", "--raw", "-q", path], capture_output=True, text=True)
    check(result.returncode == 0, f"zbarimg decodes a QR code from the screenshot {os.path.basename(path)}")
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def back_to_door(driver):
    by_id(driver, "mode-door").click()
    wait_for(driver, lambda d: by_id(d, "door").is_displayed()
             and d.switch_to.active_element.get_attribute("id") == "payload", "door mode is back, ready to scan")


def online(arguments):
    # Layout and touch targets at phone size, on every screen staff see.
    with kiosk(arguments.url, 390, 844) as driver:
        touch_targets(driver, "phone, sign-in")
        sign_in(driver, arguments.pin)
        touch_targets(driver, "phone, door")
        by_id(driver, "mode-sale").click()
        wait_for(driver, lambda d: by_id(d, "sale-form").is_displayed(), "[phone] sale mode loads")
        touch_targets(driver, "phone, sale")
        by_id(driver, "sign-out").click()
        wait_for(driver, lambda d: by_id(d, "signin").is_displayed(), "Sign out returns to the PIN screen")

    with kiosk(arguments.url) as driver:
        wait_for(driver, lambda d: link_state(d) == "online", "the status bar says the node is online")
        check("uploads pending" in by_id(driver, "pending").text, "the status bar shows pending uploads")
        touch_targets(driver, "kiosk, sign-in")
        sign_in(driver, arguments.pin, wrong_first=True)
        touch_targets(driver, "kiosk, door")

        check(scan(driver, arguments.valid) == ("ok", "green"), "a valid ticket turns the screen green")
        driver.save_screenshot(os.path.join(arguments.screenshots, "door-green.png"))
        verdict = scan(driver, arguments.valid)
        check(verdict == ("already_admitted", "amber"), f"the same ticket again is an amber duplicate ({verdict})")
        check("gate" in by_id(driver, "verdict-message").text, "the duplicate says at which gate")
        verdict = scan(driver, arguments.forged)
        check(verdict == ("invalid_signature", "red"), f"a forged payload turns the screen red ({verdict})")
        driver.save_screenshot(os.path.join(arguments.screenshots, "door-red.png"))
        counters = [by_id(driver, f"count-{kind}").text for kind in ("admitted", "duplicates", "refused")]
        check(counters == ["1", "1", "1"], f"the counters read admitted 1, duplicates 1, refused 1 (got {counters})")
        check(len(driver.find_elements(By.CSS_SELECTOR, "#recent li")) == 3, "the last scans list holds three scans")
        dismiss(driver)
        check(True, "Escape dismisses the verdict")

        sold = sell(driver, 2, "cash", arguments.screenshots, "sale")
        touch_targets(driver, "kiosk, sale result")
        decoded = decode_screenshot(driver, os.path.join(arguments.screenshots, "sale-qr.png"))
        check(bool(decoded) and all(payload in sold for payload in decoded),
              f"the decoded QR payload is a ticket just sold ({len(decoded)} decoded)")
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        check(not driver.find_element(By.TAG_NAME, "header").is_displayed() and not by_id(driver, "modes").is_displayed()
              and not by_id(driver, "sale-print").is_displayed(), "the print view leaves out the status bar and buttons")
        check(all(ticket.is_displayed() for ticket in driver.find_elements(By.CSS_SELECTOR, "#sale-tickets .ticket")),
              "the print view shows every sold ticket")
        driver.save_screenshot(os.path.join(arguments.screenshots, "sale-print.png"))
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        back_to_door(driver)
        check(scan(driver, decoded[0]) == ("ok", "green"), "the payload decoded from the screenshot scans green")
    print("all kiosk online checks passed")


def offline(arguments):
    with kiosk(arguments.url) as driver:
        wait_for(driver, lambda d: link_state(d) == "online", "before the server hangs the status bar says online")
        os.kill(arguments.freeze_pid, signal.SIGSTOP)  # a hung server: connections accepted, nothing answers
        hung = time.monotonic()
        wait_for(driver, lambda d: link_state(d) == "offline", "with the server hung the status bar says offline", 30)
        shown = time.monotonic() - hung
        check(shown <= 5, f"the kiosk shows a hung server offline within 5 s (it took {shown:.1f} s)")
        print(f"kiosk: a hung server shown offline after {shown:.1f} s")
        check("silent" in by_id(driver, "link").get_attribute("title"), "the status pill says why on hover")
        sign_in(driver, arguments.pin)
        check(scan(driver, arguments.valid) == ("ok", "green"), "offline, a valid ticket still scans green")
        dismiss(driver)
        sold = sell(driver, 1, "card_present", None, "offline")
        check(len(sold) == 1 and len(sold[0]) > 40, "offline, a door sale still issues a signed ticket")
        wait_for(driver, lambda d: int(by_id(d, "pending").get_attribute("data-count") or "0") >= 2,
                 "the scan and the sale wait as pending uploads")
        driver.save_screenshot(os.path.join(arguments.screenshots, "offline.png"))
    print("all kiosk offline checks passed")


def reconnect(arguments):
    with kiosk(arguments.url) as driver:
        sign_in(driver, arguments.pin)
        by_id(driver, "sync-now").click()
        started = time.monotonic()  # the last thing staff did
        wait_for(driver, lambda d: link_state(d) == "online" and by_id(d, "pending").get_attribute("data-count") == "0",
                 "after the server returns, pending uploads drain to zero and the status bar says online", 30)
        wait_for(driver, lambda d: by_id(d, "signin").is_displayed(), "after a while without activity staff are signed out",
                 arguments.idle + 10)
        waited = time.monotonic() - started
        check(waited >= arguments.idle - 3, f"not before the idle timeout ({waited:.0f} s of {arguments.idle} s)")
        check("without activity" in by_id(driver, "signin-message").text, "the sign-in screen says why")
        check(not by_id(driver, "door").is_displayed(), "the door screen is hidden again")
    print("all kiosk reconnect checks passed")


def no_sideways_scroll(driver, name):
    # A phone widens its layout to fit content that overflows: compare with the screen, not the window.
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth, window.screen.width]")
    check(max(widths[0], widths[1]) <= widths[2],
          f"[{name}] nothing scrolls sideways (page {widths[0]} px, layout {widths[1]} px, screen {widths[2]} px)")


def camera_scans(driver, count, what, timeout=20):
    """Waits until the last-scans list holds `count` scans; returns their (verdict, time in ms)."""
    wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#recent li")) >= count, what, timeout)
    items = driver.find_elements(By.CSS_SELECTOR, "#recent li")
    return [(item.get_attribute("data-verdict"), int(item.get_attribute("data-at"))) for item in reversed(items)]


def start_camera(driver):
    by_id(driver, "camera-start").click()
    wait_for(driver, lambda d: by_id(d, "camera").is_displayed()
             and d.execute_script("return document.getElementById('camera-video').videoWidth") > 0,
             "the camera opens and films")
    decoder = by_id(driver, "camera").get_attribute("data-decoder")
    check(decoder in ("browser", "node"), f"frames are decoded by the {decoder} (no barcode detector: the node's libzbar)")


def phone(arguments):
    # A phone (360 x 740) that trusts the venue CA, whose camera films the valid ticket's code, then nothing, in a loop.
    # It starts where staff do: the node's plain address, redirected to the kiosk over HTTPS.
    with kiosk(arguments.plain_url, 360, 740, arguments.valid_video, arguments.ca) as driver:
        check(driver.current_url.startswith("https://"), f"plain HTTP is redirected to HTTPS ({driver.current_url})")
        check(driver.execute_script("return window.isSecureContext"), "the kiosk is a secure page, trusted through the venue CA")
        wait_for(driver, lambda d: link_state(d) == "online", "[phone] the status bar says the node is online")
        wait_for(driver, lambda d: by_id(d, "phones-https").is_displayed()
                 and d.execute_script("return document.getElementById('trust-qr').naturalWidth") > 0,
                 "the start page shows the QR code that sets up a phone")
        check(len(by_id(driver, "trust-fingerprint").text) == 95, "and the venue certificate's fingerprint")
        no_sideways_scroll(driver, "phone, sign-in")
        driver.save_screenshot(os.path.join(arguments.screenshots, "phone-start.png"))
        sign_in(driver, arguments.pin)
        check(by_id(driver, "link").is_displayed() and by_id(driver, "pending").is_displayed(),
              "[phone] the status bar (online, pending uploads) is visible")
        no_sideways_scroll(driver, "phone, door")
        touch_targets(driver, "phone 360, door")
        start_camera(driver)
        scans = camera_scans(driver, 1, "the ticket held to the camera is checked")
        driver.save_screenshot(os.path.join(arguments.screenshots, "phone-camera-green.png"))
        check(scans[0][0] == "ok" and by_id(driver, "verdict").get_attribute("data-signal") == "green",
              f"the ticket from the camera is admitted green ({scans[0][0]})")
        # Next scan at once: the code is (most likely) still in view, and is not checked again.
        by_id(driver, "verdict-close").click()
        driver.execute_script("document.getElementById('camera').scrollIntoView({block: 'center'})")
        driver.save_screenshot(os.path.join(arguments.screenshots, "phone-camera.png"))
        first = int(by_id(driver, "verdict").get_attribute("data-camera-ms"))
        feedback = by_id(driver, "verdict").get_attribute("data-feedback")
        check(feedback.startswith("admit:") and "sound" in feedback, f"an admission plays the admit sound ({feedback})")
        scans = camera_scans(driver, 2, "shown again after leaving the view, the ticket is checked again", 30)
        check(scans[1][0] == "already_admitted", f"shown again it is an amber duplicate ({scans[1][0]})")
        # From the frame that showed the code to the verdict on screen; the code can come into view just after a
        # frame was taken, so the next frame, 120 ms later, counts too. The first check of the node's life also
        # builds its verifier and starts the decoder: the second is what every later scan costs.
        warm = int(by_id(driver, "verdict").get_attribute("data-camera-ms"))
        print(f"kiosk camera: frame to verdict {first} ms (the node's first check), then {warm} ms")
        check(warm + 120 <= 500, f"from the code in view to the verdict on screen within 500 ms ({warm} ms + 120 ms between frames)")
        gap = (scans[1][1] - scans[0][1]) / 1000
        check(gap >= 3, f"held in view it was checked once: the second check came with the second showing ({gap:.1f} s later)")
        feedback = by_id(driver, "verdict").get_attribute("data-feedback")
        check(feedback.startswith("already:"), f"a duplicate plays its own sound ({feedback})")
        by_id(driver, "verdict-close").click()
        WebDriverWait(driver, 5).until(lambda d: not by_id(d, "verdict").is_displayed())
        by_id(driver, "camera-stop").click()
        wait_for(driver, lambda d: not by_id(d, "camera").is_displayed(), "Stop turns the camera off", 5)
        check(driver.execute_script("return document.getElementById('camera-video').srcObject") is None,
              "and releases it")
        by_id(driver, "feedback-sound").click()
        driver.refresh()
        wait_for(driver, lambda d: by_id(d, "door").is_displayed(), "after a reload the session and door mode are back")
        check(not by_id(driver, "feedback-sound").is_selected(), "the sound switch is remembered")

        # A ticket's scans, found by its id.
        by_id(driver, "lookup").send_keys(arguments.valid_id + Keys.ENTER)
        wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#lookup-scans li")) == 2,
                 "a ticket's scans are found by its id: admitted, then the duplicate")
        check("this door" in by_id(driver, "lookup-scans").text, "each says where it was scanned")
        no_sideways_scroll(driver, "phone, look-up")

        # A door sale, then a reload (the answer lost): the sale is listed with its QR code.
        sold = sell(driver, 1, "cash", None, "phone")
        no_sideways_scroll(driver, "phone, sale")
        driver.refresh()
        wait_for(driver, lambda d: by_id(d, "sales-history-list").find_elements(By.TAG_NAME, "li"),
                 "after a reload the sale is listed under recent sales")
        item = driver.find_elements(By.CSS_SELECTOR, "#sales-history-list li")[0]
        check("1 ×" in item.text, f"the listed sale says what was sold ({item.text!r})")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", item)
        driver.save_screenshot(os.path.join(arguments.screenshots, "phone-sales-list.png"))
        item.find_element(By.TAG_NAME, "button").click()
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#sale-tickets img")
                 and d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0",
                                      d.find_element(By.CSS_SELECTOR, "#sale-tickets img")),
                 "Show tickets shows its QR code again")
        check(driver.find_element(By.CSS_SELECTOR, "#sale-tickets img").get_attribute("data-payload") == sold[0],
              "the QR code shown again is the ticket sold")
        no_sideways_scroll(driver, "phone, sale history")
        driver.save_screenshot(os.path.join(arguments.screenshots, "phone-sales.png"))

    # Another phone films a forged code.
    with kiosk(arguments.url, 360, 740, arguments.forged_video, arguments.ca) as driver:
        sign_in(driver, arguments.pin)
        start_camera(driver)
        scans = camera_scans(driver, 1, "the forged code held to the camera is checked")
        check(scans[0][0] == "invalid_signature" and by_id(driver, "verdict").get_attribute("data-signal") == "red",
              f"a forged code from the camera is refused red ({scans[0][0]})")
        feedback = by_id(driver, "verdict").get_attribute("data-feedback")
        check(feedback.startswith("refuse:"), f"a refusal plays the refuse sound ({feedback})")
        driver.save_screenshot(os.path.join(arguments.screenshots, "phone-camera-red.png"))
    print("all kiosk phone checks passed")


def peers(arguments):
    with kiosk(arguments.url, 360, 740) as driver:
        wait_for(driver, lambda d: by_id(d, "peers").is_displayed() and by_id(d, "peers").text == "peers 1/1",
                 "the status bar shows the peer door this node follows, in touch")
        check("Door" in by_id(driver, "peers").get_attribute("title"), "hovering names it")
        no_sideways_scroll(driver, "phone, status bar with peers")
    print("all kiosk peers checks passed")


def fail_over(driver, pid, peer_url, automatic, screenshots, name):
    """Kills the kiosk's node; the kiosk carries on at `peer_url` within 5 s, signed in, same gate and direction."""
    gate = by_id(driver, "gate").get_attribute("value")
    exit_selected = by_id(driver, "exit").is_selected()
    wait_for(driver, lambda d: by_id(d, "peers").get_attribute("data-in-touch") not in (None, "0"),
             "the status bar shows a peer in touch before the node dies")
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    if not automatic:
        wait_for(driver, lambda d: by_id(d, "failover").is_displayed(), "the kiosk offers the switch", timeout=5)
        offered = [b.text for b in driver.find_elements(By.CSS_SELECTOR, "#failover-peers button")]
        check(len(offered) == 1, f"only the peer still in touch is offered: {offered}")
        driver.save_screenshot(os.path.join(screenshots, name + "-banner.png"))
        driver.find_element(By.CSS_SELECTOR, "#failover-peers button").click()
    wait_for(driver, lambda d: d.current_url.startswith(peer_url) and by_id(d, "door").is_displayed(),
             "the kiosk is at the peer's node, signed in without the PIN", timeout=10)
    took = time.monotonic() - killed
    check(took <= 5, f"the door was scanning again {took:.1f} s after its node died (at most 5 s)")
    check(by_id(driver, "gate").get_attribute("value") == gate, f"the gate is kept ({gate!r})")
    check(by_id(driver, "exit").is_selected() == exit_selected, f"the direction is kept ({'exit' if exit_selected else 'entry'})")
    check("#handover" not in driver.current_url, "the pass left the address bar")
    driver.save_screenshot(os.path.join(screenshots, name + ".png"))


def failover(arguments):
    pids = [int(pid) for pid in arguments.kill_pids.split(",")]
    peer_urls = arguments.peer_urls.split(",")
    with kiosk(arguments.url) as driver:
        sign_in(driver, arguments.pin)
        gate = by_id(driver, "gate")
        gate.clear()
        gate.send_keys("North Gate" + Keys.TAB)
        by_id(driver, "payload").click()
        check(scan(driver, arguments.valid)[1] == "green", "door A admits the ticket")
        dismiss(driver)
        fail_over(driver, pids[0], peer_urls[0], True, arguments.screenshots, "failover-switch")
        by_id(driver, "payload").click()
        check(scan(driver, arguments.valid)[1] == "amber", "door B refuses the ticket door A admitted")
        dismiss(driver)
        check(scan(driver, arguments.second)[1] == "green", "door B admits another")
        dismiss(driver)
        driver.find_element(By.CSS_SELECTOR, "label[for=exit]").click()
        fail_over(driver, pids[1], peer_urls[1], False, arguments.screenshots, "failover-offer")
        driver.find_element(By.CSS_SELECTOR, "label[for=entry]").click()
        by_id(driver, "payload").click()
        check(scan(driver, arguments.second)[1] == "amber", "door C refuses the ticket door B admitted")
    print("all kiosk failover checks passed")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=("online", "offline", "reconnect", "phone", "peers", "failover"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--pin", required=True)
    parser.add_argument("--valid")
    parser.add_argument("--forged")
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--idle", type=int, default=300)
    parser.add_argument("--freeze-pid", type=int, help="offline: the server process to hang (SIGSTOP)")
    parser.add_argument("--valid-id", help="phone: the valid ticket's id")
    parser.add_argument("--valid-video", help="phone: a .y4m video of the valid ticket's code, for the fake camera")
    parser.add_argument("--forged-video", help="phone: a .y4m video of a forged code")
    parser.add_argument("--ca", help="phone: the venue CA the browser trusts")
    parser.add_argument("--plain-url", help="phone: the node's plain HTTP address of the kiosk")
    parser.add_argument("--second", help="failover: a second valid ticket")
    parser.add_argument("--kill-pids", help="failover: the nodes to kill in turn, the kiosk's first")
    parser.add_argument("--peer-urls", help="failover: where the kiosk must land after each")
    arguments = parser.parse_args()
    {"online": online, "offline": offline, "reconnect": reconnect, "phone": phone, "peers": peers,
     "failover": failover}[arguments.phase](arguments)


if __name__ == "__main__":
    main()
