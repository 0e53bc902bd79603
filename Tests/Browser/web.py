#!/usr/bin/env python3
"""Drives the server-rendered web site in a real headless Chromium (WebDriver).

Run by Tests/EndToEndTests/WebBrowserTests.swift against a real server, one journey at a time:

    web.py attendee  --url URL --email EMAIL --typo QUERY --title TITLE --injection TITLE --screenshots DIR
    web.py organizer --url URL --email EMAIL --password PASSWORD --screenshots DIR ...

Prints one line per check and exits 1 on the first failed one; decoded QR payloads are printed
as `decoded <payload>` for the Swift test to compare with the database.
"""
import argparse
import os
import subprocess
import sys

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

PASSWORD = "correct horse battery"


def browser(width=1280, height=1000):
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


def wait_for(driver, condition, what, timeout=15):
    try:
        WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(condition)
    except Exception:
        check(False, f"{what} (at {driver.current_url}: {driver.find_element(By.TAG_NAME, 'main').text[:300]!r})")
    check(True, what)


def no_alert(driver, what):
    try:
        driver.switch_to.alert
        check(False, what)
    except NoAlertPresentException:
        check(True, what)


def fill(driver, fields):
    for name, value in fields.items():
        element = driver.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)


def submit(driver, selector="main form button[type=submit]"):
    driver.find_element(By.CSS_SELECTOR, selector).click()


def shot(driver, screenshots, name):
    driver.save_screenshot(os.path.join(screenshots, name))


def text(driver):
    return driver.find_element(By.TAG_NAME, "main").text


def pay(driver, card):
    fill(driver, {"card_number": card, "expiry": "12/39", "cvc": "123"})
    submit(driver, "form[action$='/checkout'] button[type=submit]")


def attendee(arguments):
    driver = browser()
    try:
        driver.get(arguments.url)
        wait_for(driver, lambda d: "Upcoming events" in text(d), "the home page lists upcoming events")
        shot(driver, arguments.screenshots, "web-home.png")

        # Sign up.
        driver.find_element(By.LINK_TEXT, "Sign up").click()
        fill(driver, {"display_name": "Robin Fan", "email": arguments.email, "password": PASSWORD})
        submit(driver)
        wait_for(driver, lambda d: "Welcome! Your account is ready." in text(d), "sign up lands on home, signed in")
        check("Robin Fan" in driver.find_element(By.TAG_NAME, "header").text, "the header shows the signed-in user")

        # Search with a typo and still find the event.
        driver.get(arguments.url + "search")
        fill(driver, {"q": arguments.typo})
        submit(driver, "form.filters button[type=submit]")
        wait_for(driver, lambda d: arguments.title in text(d), f"searching {arguments.typo!r} finds {arguments.title!r}")
        shot(driver, arguments.screenshots, "web-search.png")

        # Script injection through the search box and an event title shows as text, runs nothing.
        fill(driver, {"q": "<script>alert(1)</script>"})
        submit(driver, "form.filters button[type=submit]")
        wait_for(driver, lambda d: d.find_element(By.NAME, "q").get_attribute("value") == "<script>alert(1)</script>",
                 "the search term comes back as text in the box")
        no_alert(driver, "a script in the search term does not run")
        driver.get(arguments.url + "search?q=" + "injected")
        wait_for(driver, lambda d: arguments.injection in text(d), "an event titled with markup shows the markup as text")
        no_alert(driver, "a script in an event title does not run")
        check(len(driver.find_elements(By.CSS_SELECTOR, "main script, main img")) == 0,
              "no element was injected into the page")

        # Buy: a declined card first, then a good one.
        driver.get(arguments.url + "search?q=" + arguments.typo.replace(" ", "+"))
        driver.find_element(By.LINK_TEXT, arguments.title).click()
        wait_for(driver, lambda d: "Tickets" in text(d) and "left" in text(d), "the event page shows availability")
        shot(driver, arguments.screenshots, "web-event.png")
        Select(driver.find_element(By.CSS_SELECTOR, "select[name^='qty.']")).select_by_visible_text("2")
        submit(driver, "form[action$='/book'] button[type=submit]")
        wait_for(driver, lambda d: "Checkout" in text(d) and "Total: 50.00 EUR" in text(d), "checkout shows the total")
        shot(driver, arguments.screenshots, "web-checkout.png")
        pay(driver, "4000 0000 0000 0002")
        wait_for(driver, lambda d: "The card was declined" in text(d), "a declined card says so clearly")
        shot(driver, arguments.screenshots, "web-declined.png")
        driver.find_element(By.XPATH, "//button[text()='Try again with another card']").click()
        wait_for(driver, lambda d: "Pay 50.00 EUR" in text(d), "try again holds the same tickets anew")
        pay(driver, "4242 4242 4242 4242")
        wait_for(driver, lambda d: "Payment received" in text(d), "a good card pays")

        # The wallet shows both QR codes; decode one from a screenshot.
        driver.get(arguments.url + "wallet")
        wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#wallet img")) == 2, "the wallet shows two QR codes")
        wait_for(driver, lambda d: all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image)
                                       for image in d.find_elements(By.CSS_SELECTOR, "#wallet img")),
                 "the QR images loaded")
        path = os.path.join(arguments.screenshots, "web-wallet.png")
        driver.find_element(By.CSS_SELECTOR, "#wallet .wallet-ticket").screenshot(path)
        shot(driver, arguments.screenshots, "web-wallet-page.png")
        result = subprocess.run(["zbarimg", "--raw", "-q", path], capture_output=True, text=True)
        payloads = [line.strip() for line in result.stdout.splitlines() if line.strip()]
        check(result.returncode == 0 and len(payloads) == 1, "zbarimg decodes the wallet's QR code from a screenshot")
        print("decoded " + payloads[0], flush=True)

        driver.get(arguments.url + "wallet/print")
        wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".wallet-ticket img")) == 2,
                 "the printable page shows both tickets")
        driver.get(arguments.url + "bookings")
        wait_for(driver, lambda d: "paid" in text(d) and "cancelled" in text(d), "booking history shows the paid and the declined booking")
        shot(driver, arguments.screenshots, "web-bookings.png")
        print("all attendee checks passed", flush=True)
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("journey", choices=["attendee"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--typo")
    parser.add_argument("--title")
    parser.add_argument("--injection")
    parser.add_argument("--screenshots", required=True)
    arguments = parser.parse_args()
    if not arguments.url.endswith("/"):
        arguments.url += "/"
    {"attendee": attendee}[arguments.journey](arguments)


if __name__ == "__main__":
    main()
