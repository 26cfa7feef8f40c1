#!/usr/bin/env python3
"""The writing half of scripts/soak.sh (wrk does the pages): for SECONDS, against BASE,
subscribes (confirmed through the link in the email), outcome reports and organizer edits
through the API, with a local SMTP sink that takes the confirmation emails and digests.

    soak-traffic.py BASE TOKEN SECONDS SMTP_PORT

Prints one line per kind (requests, non-2xx, 5xx, p50 and p99 in ms) and the emails the
sink took; exits 1 if any request answered 5xx or could not be sent.
"""

import email
import email.policy
import http.client
import json
import queue
import re
import socketserver
import sys
import threading
import time
import urllib.parse

BASE, TOKEN, SECONDS, SMTP_PORT = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
HOST = urllib.parse.urlsplit(BASE)
CONFIRM = re.compile(r"/subscribe/confirm\?token=([0-9a-f]+)")
confirmations = queue.Queue()
mail_count = 0
mail_lock = threading.Lock()


class Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP for lettre: every message is accepted, confirmation links kept."""

    def handle(self):
        global mail_count
        self.wfile.write(b"220 soak ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-soak\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                lines = []
                while True:
                    d = self.rfile.readline()
                    if d in (b".\r\n", b".\n", b""):
                        break
                    lines.append(d[1:] if d.startswith(b"..") else d)
                msg = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                for part in msg.walk():
                    if part.get_content_type() == "text/plain":
                        m = CONFIRM.search(part.get_content())
                        if m:
                            confirmations.put(m.group(1))
                with mail_lock:
                    mail_count += 1
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.kinds = {}

    def add(self, kind, status, ms):
        with self.lock:
            k = self.kinds.setdefault(kind, {"ms": [], "non2xx": 0, "5xx": 0, "failed": 0})
            k["ms"].append(ms)
            if status is None:
                k["failed"] += 1
            elif status >= 500:
                k["5xx"] += 1
            if status is None or not 200 <= status < 400:
                k["non2xx"] += 1


stats = Stats()
deadline = time.monotonic() + SECONDS


def request(conn_box, kind, method, path, body=None, headers=None):
    """One request on the thread's keep-alive connection (reopened when it drops)."""
    headers = dict(headers or {})
    start = time.monotonic()
    status = None
    for _ in range(2):
        try:
            if conn_box[0] is None:
                conn_box[0] = http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=30)
            conn_box[0].request(method, path, body=body, headers=headers)
            resp = conn_box[0].getresponse()
            data = resp.read()
            status = resp.status
            break
        except (OSError, http.client.HTTPException):
            conn_box[0] = None
            data = b""
    stats.add(kind, status, (time.monotonic() - start) * 1000)
    return status, data


def api(conn, kind, method, path, payload):
    return request(
        conn,
        kind,
        method,
        path,
        json.dumps(payload),
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )


def every(period, work):
    n = 0
    while time.monotonic() < deadline:
        started = time.monotonic()
        work(n)
        n += 1
        time.sleep(max(0.0, period - (time.monotonic() - started)))


def main():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", SMTP_PORT), Smtp)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()

    conn = [None]
    _, body = request(conn, "setup", "GET", "/api/v1/actions?kind=call")
    call_actions = [a["slug"] for a in json.loads(body)["items"]]
    _, body = request(conn, "setup", "GET", "/api/v1/campaigns")
    campaign = json.loads(body)["items"][0]["slug"]
    origin = {"Origin": BASE, "Content-Type": "application/x-www-form-urlencoded"}

    def subscriber():
        c = [None]

        def one(n):
            address = f"soak{threading.get_ident() % 10000}-{n}@example.org"
            request(c, "subscribe", "POST", "/subscribe",
                    urllib.parse.urlencode({"email": address, "frequency": "immediate"}), origin)
            try:
                while True:
                    token = confirmations.get_nowait()
                    request(c, "confirm", "GET", f"/subscribe/confirm?token={token}")
            except queue.Empty:
                pass
        every(1.0, one)

    def outcomes():
        c = [None]
        every(0.05, lambda n: api(c, "outcome", "POST",
                                  f"/api/v1/actions/{call_actions[n % len(call_actions)]}/outcomes",
                                  {"outcome": ["contacted", "voicemail", "unavailable"][n % 3]}))

    def organizer():
        c = [None]

        def one(n):
            slug = call_actions[n % len(call_actions)]
            api(c, "edit", "PATCH", f"/api/v1/actions/{slug}",
                {"summary": f"Soak edit {n}: call today, the vote is close."})
            if n % 15 == 0:
                api(c, "update", "POST", f"/api/v1/campaigns/{campaign}/updates",
                    {"title": f"Soak update {n}", "body": "What changed, in a few words."})
        every(2.0, one)

    threads = [threading.Thread(target=f) for f in (subscriber, subscriber, outcomes, organizer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(2)  # the last emails
    bad = 0
    for kind, k in sorted(stats.kinds.items()):
        ms = sorted(k["ms"])
        pct = lambda p: ms[min(len(ms) - 1, int(p * len(ms)))]
        print(f"{kind:10} {len(ms):7} requests  non-2xx {k['non2xx']:5}  5xx {k['5xx']}  "
              f"failed {k['failed']}  p50 {pct(0.5):7.1f} ms  p99 {pct(0.99):7.1f} ms")
        bad += k["5xx"] + k["failed"]
    print(f"smtp sink  {mail_count} emails taken")
    sys.exit(1 if bad else 0)


main()
