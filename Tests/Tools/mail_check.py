#!/usr/bin/env python3
"""Reads an email with Python's own `email` package (independent of the server's writer) and
prints its structure as JSON; writes each image part to OUT_DIR.

    mail_check.py MESSAGE.eml OUT_DIR
"""
import json
import os
import sys
from email import policy
from email.parser import BytesParser


def main():
    path, out = sys.argv[1], sys.argv[2]
    with open(path, "rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    parts = []
    for index, part in enumerate(message.walk()):
        entry = {"type": part.get_content_type(), "disposition": part.get_content_disposition(),
                 "filename": part.get_filename(), "content_id": part.get("Content-ID"),
                 "transfer_encoding": part.get("Content-Transfer-Encoding")}
        if part.get_content_maintype() == "text":
            entry["text"] = part.get_content()
        elif part.get_content_maintype() == "image":
            image = os.path.join(out, f"part-{index}.png")
            with open(image, "wb") as handle:
                handle.write(part.get_content())
            entry["file"] = image
        parts.append(entry)
    longest = max(len(line) for line in open(path, "rb").read().split(b"\r\n"))
    print(json.dumps({"subject": str(message["Subject"]), "from": str(message["From"]), "to": str(message["To"]),
                      "message_id": str(message["Message-ID"]), "date": str(message["Date"]),
                      "defects": [str(defect) for part in message.walk() for defect in part.defects],
                      "longest_line": longest, "parts": parts}))


if __name__ == "__main__":
    main()
