#!/usr/bin/env python3
"""Drives the kiosk in a real headless Chromium (WebDriver) against a running node.

Run by Tests/EndToEndTests/KioskBrowserTests.swift, which starts the server and the node and
calls one phase at a time, stopping and restarting the server between them:

    kiosk.py online    --url URL --pin PIN --valid PAYLOAD --forged PAYLOAD --screenshots DIR
    kiosk.py offline   --url URL --pin PIN --valid PAYLOAD --freeze-pid PID --screenshots DIR
    kiosk.py reconnect --url URL --pin PIN --screenshots DIR --idle SECONDS

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
def kiosk(url, width=1280, height=1000):
    """A fresh browser (no session yet) on the kiosk, closed afterwards whatever happens."""
    driver = browser(width, height)
    try:
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=("online", "offline", "reconnect"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--pin", required=True)
    parser.add_argument("--valid")
    parser.add_argument("--forged")
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--idle", type=int, default=300)
    parser.add_argument("--freeze-pid", type=int, help="offline: the server process to hang (SIGSTOP)")
    arguments = parser.parse_args()
    {"online": online, "offline": offline, "reconnect": reconnect}[arguments.phase](arguments)


if __name__ == "__main__":
    main()
