#!/usr/bin/env python3
"""A real SMTP server for the email tests (Debian's python3-aiosmtpd), on 127.0.0.1 (or --host).

    smtp_server.py --port PORT [--host ADDRESS] --dir DIR [--cert PEM --key PEM] [--user U --password P]
                   [--transient N] [--permanent]

With --cert/--key it offers STARTTLS (and, with --user/--password, AUTH PLAIN/LOGIN only over
TLS). Each accepted message is written to DIR/<n>.eml, with DIR/<n>.json holding the envelope
and whether the session was encrypted and authenticated. --transient N refuses the first N
messages with 451 (try again later); --permanent refuses every message with 550. Prints
"listening" once ready and serves until it is terminated.
"""
import argparse
import json
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, directory, transient, permanent):
        self.directory = directory
        self.transient = transient
        self.permanent = permanent
        self.count = 0
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if self.permanent:
            self.refused += 1
            return "550 5.7.1 Message refused by the test server"
        if self.refused < self.transient:
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.count += 1
        base = os.path.join(self.directory, str(self.count))
        with open(base + ".eml", "wb") as message:
            message.write(envelope.original_content)
        # The facts appear last and whole (written aside, then renamed): a reader that sees them
        # never reads half a file.
        with open(base + ".json.part", "w") as facts:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "encrypted": session.ssl is not None, "authenticated": bool(session.authenticated),
                       "refused_before": self.refused}, facts)
        os.replace(base + ".json.part", base + ".json")
        return f"250 2.0.0 Ok: queued as test-{self.count}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dir", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--transient", type=int, default=0)
    parser.add_argument("--permanent", action="store_true")
    arguments = parser.parse_args()

    options = {}
    if arguments.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(arguments.cert, arguments.key)
        options["tls_context"] = context
    if arguments.user:
        def authenticate(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and data.login.decode() == arguments.user \
                and data.password.decode() == arguments.password
            return AuthResult(success=ok)
        options.update(authenticator=authenticate, auth_required=True, auth_require_tls=True)
    handler = Handler(arguments.dir, arguments.transient, arguments.permanent)
    controller = Controller(handler, hostname=arguments.host, port=arguments.port, **options)
    controller.start()
    print("listening", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
