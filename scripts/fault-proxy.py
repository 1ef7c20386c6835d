#!/usr/bin/env python3
"""A loopback HTTP proxy in front of an S3 server that injects faults, for tests.

    python3 scripts/fault-proxy.py --upstream http://127.0.0.1:PORT
prints "PORT <n>" on its first line, then forwards every request to the upstream, except where a
rule says otherwise. Rules and the request log are reached on the proxy itself:
    POST /__proxy/rules   JSON list of rules (replaces the list and clears the log)
    GET  /__proxy/log     JSON list of requests seen: method, path, query, headers
A rule: {"method": "PUT", "query": "partNumber", "path": "substring", "times": N,
         "action": "status" | "drop" | "stall" | "truncate", "status": 503, "code": "SlowDown",
         "message": "...", "seconds": S}
The first matching rule with times left applies and uses one of its times. "drop" reads half the
request body and closes the connection; "stall" waits S seconds before forwarding; "truncate"
forwards, then sends half of the answer's body and closes the connection.
"""
import argparse, http.client, json, socket, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
rules = []
log = []

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _rule(self, parsed):
        with lock:
            for rule in rules:
                if rule.get("times", 1) <= 0:
                    continue
                if "method" in rule and rule["method"] != self.command:
                    continue
                if "query" in rule and rule["query"] not in parsed.query:
                    continue
                if "path" in rule and rule["path"] not in parsed.path:
                    continue
                rule["times"] = rule.get("times", 1) - 1
                return dict(rule)
        return None

    def _reply(self, status, body, headers=(), length=None):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        global rules
        parsed = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if parsed.path == "/__proxy/rules":
            body = self.rfile.read(length)
            with lock:
                rules = json.loads(body or b"[]")
                log.clear()
            return self._reply(200, b"ok")
        if parsed.path == "/__proxy/log":
            with lock:
                data = json.dumps(log).encode()
            return self._reply(200, data, [("Content-Type", "application/json")])
        with lock:
            log.append({"method": self.command, "path": parsed.path, "query": parsed.query,
                        "headers": {k.lower(): v for k, v in self.headers.items()}})
        rule = self._rule(parsed)
        if rule and rule.get("action") == "drop":
            self.rfile.read(length // 2)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        body = self.rfile.read(length) if length else b""
        if rule and rule.get("action") == "status":
            code = rule.get("code", "InternalError")
            xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code><Message>%s</Message></Error>"
                   % (code, rule.get("message", "injected by the fault proxy"))).encode()
            return self._reply(int(rule.get("status", 500)), xml, [("Content-Type", "application/xml")])
        if rule and rule.get("action") == "stall":
            time.sleep(float(rule.get("seconds", 30)))
        upstream = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "transfer-encoding")}
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        passthrough = [(k, v) for k, v in response.getheaders()
                       if k.lower() not in ("content-length", "transfer-encoding", "connection")]
        # A HEAD answer has no body but keeps the object's Content-Length.
        length = response.getheader("Content-Length") if self.command == "HEAD" else None
        if rule and rule.get("action") == "truncate":
            # Promise the whole body, send half, hang up.
            self.send_response(response.status)
            for k, v in passthrough:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._reply(response.status, data, passthrough, length)
        upstream.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


def main():
    global UPSTREAM
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    UPSTREAM = urllib.parse.urlsplit(args.upstream)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    # Stop when the test that started us goes away (stdin closes).
    threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
