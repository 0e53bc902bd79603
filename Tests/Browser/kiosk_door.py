#!/usr/bin/env python3
"""Drives the kiosk's door mode in a real headless Chromium (WebDriver) against a running node.

Run by Tests/EndToEndTests/KioskBrowserTests.swift, which starts the server and the node:

    kiosk_door.py --url http://127.0.0.1:PORT/kiosk/ --valid PAYLOAD --forged PAYLOAD --screenshots DIR

Scans are typed into the focused field followed by Enter, as a keyboard-wedge scanner does.
Prints one line per check; exits 1 on the first failed one (the Swift test shows the output).
"""
import argparse
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


def browser(width, height):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("SPOT_CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}"):
        options.add_argument(argument)
    service = Service(os.environ.get("SPOT_CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        sys.exit(1)


def scan(driver, payload):
    """Types the payload into the focused element and presses Enter; returns the verdict overlay."""
    wait = WebDriverWait(driver, 10)
    field = driver.switch_to.active_element
    check(field.get_attribute("id") == "payload", "the scan field has the focus (a wedge scanner types into it)")
    previous = driver.find_element(By.ID, "recent").get_attribute("childElementCount")
    field.send_keys(payload + Keys.ENTER)
    wait.until(lambda d: d.find_element(By.ID, "recent").get_attribute("childElementCount") != previous
               or d.find_element(By.ID, "verdict").get_attribute("data-verdict") == "error")
    return driver.find_element(By.ID, "verdict")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--valid", required=True)
    parser.add_argument("--forged", required=True)
    parser.add_argument("--screenshots", required=True)
    arguments = parser.parse_args()

    for (width, height, name) in ((1366, 768, "kiosk"), (390, 844, "phone")):
        driver = browser(width, height)
        try:
            wait = WebDriverWait(driver, 15)
            driver.get(arguments.url)
            try:
                wait.until(ec.text_to_be_present_in_element_attribute((By.ID, "link"), "data-state", "online"))
            except Exception:
                check(False, f"[{name}] the status bar says the node is online (it says "
                      f"{driver.find_element(By.ID, 'link').text!r}; {driver.find_element(By.ID, 'node-error').text!r}; "
                      f"console: {driver.get_log('browser') if hasattr(driver, 'get_log') else '?'})")
            check(True, f"[{name}] the status bar says the node is online")
            check("uploads pending" in driver.find_element(By.ID, "pending").text, f"[{name}] the status bar shows pending uploads")
            for element in driver.find_elements(By.CSS_SELECTOR, "button, input:not([type=radio]), label[for]"):
                if element.is_displayed():
                    check(element.size["height"] >= 44, f"[{name}] touch target {element.get_attribute('id') or element.text!r} is >= 44 px")
            if name != "kiosk":
                continue

            verdict = scan(driver, arguments.valid)
            check(verdict.get_attribute("data-signal") == "green", "a valid ticket turns the screen green")
            check(verdict.get_attribute("data-verdict") == "ok", "its verdict is ok")
            driver.save_screenshot(os.path.join(arguments.screenshots, "door-green.png"))

            verdict = scan(driver, arguments.valid)
            check(verdict.get_attribute("data-verdict") == "already_admitted", "the same ticket again is already_admitted")
            check(verdict.get_attribute("data-signal") == "amber", "a duplicate is amber")
            check("gate" in driver.find_element(By.ID, "verdict-message").text, "the duplicate says at which gate")

            verdict = scan(driver, arguments.forged)
            check(verdict.get_attribute("data-signal") == "red", "a forged payload turns the screen red")
            check(verdict.get_attribute("data-verdict") == "invalid_signature", "its verdict is invalid_signature")
            driver.save_screenshot(os.path.join(arguments.screenshots, "door-red.png"))

            counters = [driver.find_element(By.ID, f"count-{kind}").text for kind in ("admitted", "duplicates", "refused")]
            check(counters == ["1", "1", "1"], f"the counters read admitted 1, duplicates 1, refused 1 (got {counters})")
            check(len(driver.find_elements(By.CSS_SELECTOR, "#recent li")) == 3, "the last scans list holds three scans")

            driver.find_element(By.ID, "payload").send_keys(Keys.ESCAPE)
            wait.until(lambda d: not d.find_element(By.ID, "verdict").is_displayed())
            check(True, "Escape dismisses the verdict and the field is ready for the next scan")
        finally:
            driver.quit()
    print("all kiosk door checks passed")


if __name__ == "__main__":
    main()
