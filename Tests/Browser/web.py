#!/usr/bin/env python3
"""Drives the server-rendered web site in a real headless Chromium (WebDriver).

Run by Tests/EndToEndTests/WebBrowserTests.swift against a real server, one journey at a time:

    web.py attendee  --url URL --email EMAIL --typo QUERY --title TITLE --injection TITLE --screenshots DIR
    web.py organizer-setup  --url URL --email EMAIL --title TITLE --venue VENUE_ID --screenshots DIR
    web.py organizer-allot  --url URL --email EMAIL --event EVENT_ID --seats N --screenshots DIR
    web.py organizer-review --url URL --email EMAIL --event EVENT_ID --venue VENUE_ID --screenshots DIR
    web.py waiting-room --url URL --email EMAIL --event EVENT_ID --buyer EMAIL --ahead-token T --organizer-token T --screenshots DIR
    web.py organizer-live --url URL --email EMAIL --event EVENT_ID --organizer-token T --online-payload P
                          --node-url URL --staff-token T --door-payload P --screenshots DIR

The organizer journey runs in four phases because a real venue node (enrolled with the code
the first phase prints as `code <CODE>`, `event <ID>`) syncs in between, driven by the test.

Prints one line per check and exits 1 on the first failed one; decoded QR payloads are printed
as `decoded <payload>` for the Swift test to compare with the database.
"""
import argparse
import datetime
import json
import os
import subprocess
import time
import urllib.request

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chromium import browser, check, wait_until

PASSWORD = "correct horse battery"


def wait_for(driver, condition, what, timeout=15):
    wait_until(driver, condition, what, lambda d: f"at {d.current_url}: {text(d)[:300]!r}", timeout)


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


def sign_in(driver, url, email):
    driver.get(url + "signin")
    fill(driver, {"email": email, "password": PASSWORD})
    submit(driver)
    wait_for(driver, lambda d: "Organizer" in d.find_element(By.TAG_NAME, "header").text, "the organizer signs in")


def set_value(driver, name, value):
    """Sets an input a keyboard cannot type portably (datetime-local) as a script would."""
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.NAME, name), value)


def notice(driver):
    notices = driver.find_elements(By.CSS_SELECTOR, "main .notice")
    return notices[0].text if notices else ""


def organizer_setup(arguments):
    """Creates an event with two ticket types, edits and publishes it, and makes an enrollment code."""
    driver = browser()
    try:
        sign_in(driver, arguments.url, arguments.email)
        driver.get(arguments.url + "organizer")
        driver.find_element(By.LINK_TEXT, "New event").click()
        wait_for(driver, lambda d: "New event" in text(d), "the new-event form opens")
        start = datetime.datetime.now() + datetime.timedelta(days=14)
        local = lambda moment: moment.strftime("%Y-%m-%dT%H:%M")
        fill(driver, {"title": arguments.title, "description": "Doors at eight."})
        Select(driver.find_element(By.NAME, "category")).select_by_value("music")
        set_value(driver, "starts_at", local(start))
        set_value(driver, "ends_at", local(start - datetime.timedelta(hours=1)))
        submit(driver)
        wait_for(driver, lambda d: "ends at must be after starts at" in text(d), "an end before the start is refused clearly")
        check(driver.find_element(By.NAME, "title").get_attribute("value") == arguments.title, "the form keeps what was typed")
        set_value(driver, "starts_at", local(start))
        set_value(driver, "ends_at", local(start + datetime.timedelta(hours=5)))
        submit(driver)
        wait_for(driver, lambda d: "created as a draft" in notice(d), "the event is created as a draft")
        event = driver.current_url.split("/organizer/events/")[1].split("?")[0]

        for name, price, capacity in (("Standard", "25.00", "100"), ("VIP", "60.00", "20")):
            fill(driver, {"name": name, "price": price, "capacity": capacity})
            submit(driver, "form[action$='/ticket-types'] button[type=submit]")
            wait_for(driver, lambda d: "ticket type was saved" in notice(d), f"ticket type {name} is added")
        rows = driver.find_elements(By.CSS_SELECTOR, "#ticket-types tbody tr")
        check(len(rows) == 2 and "60.00 EUR" in rows[1].text, "both ticket types are listed with their prices")

        driver.find_element(By.LINK_TEXT, "Edit details").click()
        fill(driver, {"description": "Doors at eight. Brass until late."})
        submit(driver)
        wait_for(driver, lambda d: "The event was saved." in notice(d), "the event's details are edited")

        submit(driver, "form[action$='/publish'] button[type=submit]")
        wait_for(driver, lambda d: "published and on sale" in notice(d), "the event is published")
        check(driver.find_element(By.ID, "event-status").text == "published", "its status says published")

        driver.get(arguments.url + "organizer/venues/" + arguments.venue)
        form = driver.find_element(By.CSS_SELECTOR, "form[action$='/enrollment-codes']")
        form.find_element(By.NAME, "name").clear()
        form.find_element(By.NAME, "name").send_keys("Main door")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#enrollment-code code"), "an enrollment code is shown once")
        code = driver.find_element(By.CSS_SELECTOR, "#enrollment-code strong code").text
        check(len(code) >= 8, "the code is long enough to type")
        print("event " + event, flush=True)
        print("code " + code, flush=True)
        print("all organizer-setup checks passed", flush=True)
    finally:
        driver.quit()


def organizer_allot(arguments):
    """Grants the enrolled node an allotment of Standard seats from the event page."""
    driver = browser()
    try:
        sign_in(driver, arguments.url, arguments.email)
        driver.get(arguments.url + "organizer/events/" + arguments.event)
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "section[data-node]"), "the enrolled node is listed")
        node = driver.find_element(By.CSS_SELECTOR, "section[data-node]")
        check("Main door" in node.text, "under the name it was enrolled with")
        form = node.find_element(By.XPATH, ".//form[.//label[contains(., 'Standard')]]")
        seats = form.find_element(By.NAME, "granted")
        seats.clear()
        seats.send_keys(str(arguments.seats))
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(driver, lambda d: "allotment was saved" in notice(d), "the allotment is granted")
        granted = driver.find_element(By.XPATH, "//section[@data-node]//form[.//label[contains(., 'Standard')]]//input[@name='granted']")
        check(granted.get_attribute("value") == str(arguments.seats), f"the node holds {arguments.seats} Standard seats")
        print("all organizer-allot checks passed", flush=True)
    finally:
        driver.quit()


def organizer_review(arguments):
    """After the node synced: sees the door sale and the conflict, resolves it, checks node health."""
    driver = browser(1280, 1400)
    try:
        sign_in(driver, arguments.url, arguments.email)
        driver.get(arguments.url + "organizer/events/" + arguments.event)
        wait_for(driver, lambda d: d.find_element(By.ID, "door-sales").text == "1", "the node's door sale is counted")
        check(len(driver.find_elements(By.CSS_SELECTOR, "svg.chart")) >= 1, "the sales chart is drawn")
        conflict = driver.find_element(By.CSS_SELECTOR, "#conflicts tr[data-conflict]")
        check("admitted after revocation" in conflict.text, "the conflict from the node is listed: " + conflict.text[:80])
        check(driver.find_element(By.ID, "open-conflicts").text == "1", "one conflict is open")
        shot(driver, arguments.screenshots, "web-organizer-event.png")
        conflict.find_element(By.NAME, "note").send_keys("Refund was late; guest let in, no action")
        conflict.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(driver, lambda d: "conflict is marked resolved" in notice(d), "the conflict is marked resolved")
        check("Refund was late; guest let in, no action" in driver.find_element(By.ID, "conflicts").text,
              "the resolution note is shown")
        check(driver.find_element(By.ID, "open-conflicts").text == "0", "no conflict is open any more")

        driver.find_element(By.LINK_TEXT, "Public page").click()
        wait_for(driver, lambda d: "Tickets" in text(d), "the public event page opens")
        driver.get(arguments.url + "organizer")
        driver.find_element(By.LINK_TEXT, "Sales and refunds").click()
        wait_for(driver, lambda d: "Refund" in text(d) and "Payment" in text(d), "sales list the payment and its refund")
        driver.get(arguments.url + "organizer/venues/" + arguments.venue)
        row = driver.find_element(By.CSS_SELECTOR, "#nodes tr[data-node]")
        check("Main door" in row.text and "active" in row.text and "never" not in row.text.split("active")[1][:40],
              "the venue page shows the node active with its last sync")
        shot(driver, arguments.screenshots, "web-organizer-venue.png")
        print("all organizer-review checks passed", flush=True)
    finally:
        driver.quit()


def organizer_live(arguments):
    """The doors live: an online check-in and a node's synced scan move the board without a reload."""
    driver = browser(1280, 1900)
    try:
        sign_in(driver, arguments.url, arguments.email)
        driver.get(arguments.url + "organizer/events/" + arguments.event)
        driver.find_element(By.LINK_TEXT, "Doors live").click()
        admitted = lambda d: int(d.find_element(By.ID, "live-admitted").text)
        wait_for(driver, lambda d: "Live: updated" in d.find_element(By.ID, "live-status").text,
                 "the live page follows the server's stream")
        before = admitted(driver)
        check("Main door" in driver.find_element(By.ID, "live-doors").text, "the venue's node is one of the doors")
        driver.execute_script("window.liveMarker = 42")

        started = time.monotonic()
        answer = api(arguments.url, "POST", "/api/v1/check-ins", arguments.organizer_token,
                     {"payload": arguments.online_payload, "gate": "Box office"})
        check(answer["verdict"] == "ok", "a ticket is checked in online")
        wait_for(driver, lambda d: admitted(d) == before + 1, "the board counts the online admission", timeout=10)
        delay = time.monotonic() - started
        check(delay <= 2, f"within 2 s of the check-in ({delay:.2f} s)")
        check("Box office" in driver.find_element(By.ID, "live-gates").text, "its gate is listed")

        answer = api(arguments.node_url, "POST", "/api/v1/scans", arguments.staff_token,
                     {"payload": arguments.door_payload, "gate": "A"})
        check(answer["verdict"] == "ok", "the node admits its door-sold ticket")
        started = time.monotonic()
        api(arguments.node_url, "POST", "/api/v1/sync", arguments.staff_token, {})
        wait_for(driver, lambda d: admitted(d) == before + 2, "the board counts the node's admission once it syncs", timeout=10)
        delay = time.monotonic() - started
        check(delay <= 2, f"within 2 s of the node's sync ({delay:.2f} s)")
        check(driver.execute_script("return window.liveMarker") == 42, "the page was never reloaded")
        shot(driver, arguments.screenshots, "web-organizer-live.png")
        print("all organizer-live checks passed", flush=True)
    finally:
        driver.quit()


def api(url, method, path, token, body):
    """One JSON API call (the second buyer and the organizer's later change, which the journey
    does not drive through a browser)."""
    request = urllib.request.Request(
        url + path.lstrip("/"), method=method, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=15) as answer:
        body = answer.read()
        return json.loads(body) if body else {}


def waiting_room(arguments):
    """The organizer puts the sale behind a waiting room on the event's page; a buyer who
    arrives second sees their place, is taken to the booking form by the page itself when the
    room lets them in, and buys."""
    driver = browser()
    try:
        sign_in(driver, arguments.url, arguments.email)
        driver.get(arguments.url + "organizer/events/" + arguments.event)
        state = lambda d: d.find_element(By.ID, "waiting-room-state").text
        wait_for(driver, lambda d: "No waiting room" in state(d), "the event has no waiting room yet")
        fill(driver, {"admit_per_minute": "1", "pass_minutes": "10"})
        submit(driver, "form[action$='/waiting-room'] button[type=submit]")
        wait_for(driver, lambda d: "waiting room is saved" in notice(d), "the organizer puts the sale behind a waiting room")
        check("0 waiting" in state(driver) and "0 let in" in state(driver), "the room is empty: " + state(driver))
        shot(driver, arguments.screenshots, "web-waiting-room-organizer.png")
        driver.find_element(By.CSS_SELECTOR, "header form button[type=submit]").click()
        wait_for(driver, lambda d: "Sign in" in d.find_element(By.TAG_NAME, "header").text, "the organizer signs out")

        # Someone else is first in line.
        first = api(arguments.url, "POST", f"/api/v1/events/{arguments.event}/waiting-room/entries", arguments.ahead_token,
                    {"device_id": "the-other-buyers-phone"})
        check(first["status"] == "waiting" and first["position"] == 1, "another buyer is first in line")

        driver.get(arguments.url + "signin")
        fill(driver, {"email": arguments.buyer, "password": PASSWORD})
        submit(driver)
        wait_for(driver, lambda d: "Robin Fan" in d.find_element(By.TAG_NAME, "header").text, "the buyer signs in")
        driver.get(arguments.url + "events/" + arguments.event)
        wait_for(driver, lambda d: "sold through a waiting room" in text(d), "the event page says the sale has a waiting room")
        check(not driver.find_elements(By.CSS_SELECTOR, "form[action$='/book'] button[type=submit]"),
              "there is no booking button before the buyer's turn")
        submit(driver, "#waiting-room form button[type=submit]")
        wait_for(driver, lambda d: d.current_url.endswith("/queue") and "number 2 in line" in text(d),
                 "the buyer joins the line and is number 2")
        shot(driver, arguments.screenshots, "web-waiting-room-line.png")

        # The organizer speeds the line up; the page moves on by itself (no reload by the test).
        api(arguments.url, "PUT", f"/api/v1/events/{arguments.event}/waiting-room", arguments.organizer_token,
            {"opens_at": (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)).isoformat(),
             "admit_per_minute": 600, "pass_minutes": 10})
        wait_for(driver, lambda d: d.current_url.rstrip("/").endswith("/events/" + arguments.event)
                 and "It is your turn" in text(d), "the line page takes the buyer to the booking form when it is their turn",
                 timeout=20)
        shot(driver, arguments.screenshots, "web-waiting-room-turn.png")
        Select(driver.find_element(By.CSS_SELECTOR, "select[name^='qty.']")).select_by_visible_text("1")
        submit(driver, "form[action$='/book'] button[type=submit]")
        wait_for(driver, lambda d: "/checkout" in d.current_url, "the hold is taken with the pass")
        pay(driver, "4242 4242 4242 4242")
        wait_for(driver, lambda d: "Payment received" in text(d), "the buyer pays")
        print("all waiting-room checks passed", flush=True)
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("journey", choices=["attendee", "organizer-setup", "organizer-allot", "organizer-review", "organizer-live",
                                                  "waiting-room"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--typo")
    parser.add_argument("--title")
    parser.add_argument("--injection")
    parser.add_argument("--venue")
    parser.add_argument("--event")
    parser.add_argument("--seats", type=int, default=5)
    parser.add_argument("--buyer")
    parser.add_argument("--ahead-token")
    parser.add_argument("--organizer-token")
    parser.add_argument("--online-payload")
    parser.add_argument("--node-url")
    parser.add_argument("--staff-token")
    parser.add_argument("--door-payload")
    parser.add_argument("--screenshots", required=True)
    arguments = parser.parse_args()
    if not arguments.url.endswith("/"):
        arguments.url += "/"
    {"attendee": attendee, "organizer-setup": organizer_setup, "organizer-allot": organizer_allot,
     "organizer-review": organizer_review, "organizer-live": organizer_live, "waiting-room": waiting_room}[arguments.journey](arguments)


if __name__ == "__main__":
    main()
