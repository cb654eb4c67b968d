"""An HTTP gate in front of the fixture server, so a test can hold rnr in
the middle of a request until the test has done what it needs (stopped a
server and seen it down) instead of guessing how long that takes.

  gate_proxy.py UPSTREAM PATH GATE_FILE PORT_FILE LOG_FILE

Forwards every GET to UPSTREAM (http://127.0.0.1:N) unchanged. The first
request whose path (without the query) is PATH is held: the proxy appends
"held PATH" to LOG_FILE, waits until GATE_FILE exists (at most 300 s, then
answers 504 so nothing hangs), forwards it and appends "released PATH".
Listens on 127.0.0.1, an ephemeral port written to PORT_FILE (by rename,
so a reader never sees it half written). Ends on SIGTERM."""
import http.client
import http.server
import os
import sys
import threading
import time
import urllib.parse

HOLD_LIMIT_S = 300
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer",
              "upgrade", "proxy-authorization", "proxy-authenticate"}


class Gate:
    def __init__(self, path, gate_file, log_file):
        self.path, self.gate_file, self.log_file = path, gate_file, log_file
        self.lock = threading.Lock()
        self.armed = True

    def log(self, line):
        with self.lock, open(self.log_file, "a") as f:
            f.write(line + "\n")

    def take(self, path):
        """True for the one request to hold."""
        with self.lock:
            if self.armed and path == self.path:
                self.armed = False
                return True
        return False

    def wait(self):
        """True once the gate file exists, False after HOLD_LIMIT_S."""
        end = time.monotonic() + HOLD_LIMIT_S
        while time.monotonic() < end:
            if os.path.exists(self.gate_file):
                return True
            time.sleep(0.05)
        return False


def make_handler(upstream, gate):
    up = urllib.parse.urlsplit(upstream)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            path = urllib.parse.urlsplit(self.path).path
            if gate.take(path):
                gate.log("held " + path)
                if not gate.wait():
                    gate.log("timeout " + path)
                    self.answer(504, [("Content-Type", "text/plain")], b"gate never opened\n")
                    return
                gate.log("released " + path)
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=HOLD_LIMIT_S)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request("GET", self.path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            conn.close()
            self.answer(r.status, [(k, v) for k, v in r.getheaders()
                                   if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"],
                        body)

        def answer(self, status, headers, body):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            pass

    return Handler


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: gate_proxy.py UPSTREAM PATH GATE_FILE PORT_FILE LOG_FILE")
    upstream, path, gate_file, port_file, log_file = sys.argv[1:]
    gate = Gate(path, gate_file, log_file)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(upstream, gate))
    srv.daemon_threads = True
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(port_file + ".tmp", port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
