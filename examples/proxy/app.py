"""A small backend for hotplate's proxy mode, on Python's standard library alone.

    hotplate serve examples/proxy --proxy http://127.0.0.1:8000 --exec "python3 app.py"

hotplate runs this file (with PORT set), forwards every page to it and serves /static itself.
Saving templates/*.html morphs the open pages; saving this file restarts it first.
"""

import base64
import hashlib
import html
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

HERE = Path(__file__).parent
GREETING = "Hello from Python"
NOTES = []


def render(name, **values):
    """Reads templates/NAME on every request (as a framework's debug mode does) and fills in
    {{ key }} placeholders."""
    text = (HERE / "templates" / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{ " + key + " }}", str(value))
    return text


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send_page(self, body, status=200, headers=()):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/":
            notes = "".join(f"<li>{html.escape(n)}</li>" for n in NOTES)
            self.send_page(render("index.html", greeting=GREETING, notes=notes,
                                  started=STARTED))
        elif path == "/about":
            self.send_page(render("about.html", greeting=GREETING))
        elif path == "/events":
            # Server-sent events of the backend's own: they pass through hotplate as they are.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            try:
                for i in range(1000):
                    self.wfile.write(f"data: tick {i}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            self.close_connection = True
        elif path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            self.websocket_echo()
        elif path == "/login":
            # An absolute redirect on the backend's own origin, and a cookie for its host:
            # hotplate moves both to its own.
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{PORT}/?welcome=1")
            self.send_header("Set-Cookie", "session=py; Domain=127.0.0.1; Path=/; HttpOnly")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_page(render("404.html", path=html.escape(path)), status=404)

    def websocket_echo(self):
        """A WebSocket that answers each text message with "echo: " and the message. hotplate
        joins the browser's connection to this one once it switches protocols."""
        key = self.headers["Sec-WebSocket-Key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        accept = base64.b64encode(hashlib.sha1(key.encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        while True:
            head = self.rfile.read(2)
            if len(head) < 2 or head[0] & 0x0F == 8:
                break
            length = head[1] & 0x7F
            if length == 126:
                length = int.from_bytes(self.rfile.read(2), "big")
            elif length == 127:
                length = int.from_bytes(self.rfile.read(8), "big")
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
            reply = ("echo: " + data.decode("utf-8", "replace")).encode()[:125]
            self.wfile.write(bytes([0x81, len(reply)]) + reply)
            self.wfile.flush()
        self.close_connection = True

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8"))
        note = form.get("note", [""])[0].strip()
        if self.path == "/notes" and note:
            NOTES.append(note)
            # Post/redirect/get: the page shown after it can be fetched again.
            self.send_response(303)
            self.send_header("Location", "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_page(render("index.html", greeting="Write a note first", notes="",
                                  started=STARTED), status=422)

    def log_message(self, format, *args):
        sys.stderr.write("%s %s\n" % (self.command, self.path))


PORT = int(os.environ.get("PORT") or (sys.argv[1] if len(sys.argv) > 1 else 8000))
STARTED = time.strftime("%H:%M:%S")

if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{PORT}", flush=True)
    server.serve_forever()
