"""A misbehaving relay for the browser tests of strict parsing (L12), size caps (L15) and
error mapping. The first path segment picks the behaviour: POST /<case>/token, /<case>/refresh.
CORS is granted to any origin, as an allow-listed relay would."""
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GRANT = {"access_token": "fake-token", "token_type": "Bearer", "expires_in": 3600, "user": {"id": 1, "name": "Sam"}}

def case_answer(case):
    """(status, content type, body bytes) for a case."""
    as_json = lambda status, value: (status, "application/json", json.dumps(value).encode())
    if case == "ok":
        return as_json(200, GRANT)
    if case == "due-now":
        return as_json(200, {**GRANT, "expires_in": 0})
    if case == "null-token":  # Canvas's answer for userinfo grants only (S21)
        return as_json(200, {**GRANT, "access_token": None})
    if case == "empty-token":
        return as_json(200, {**GRANT, "access_token": ""})
    if case == "mac":
        return as_json(200, {**GRANT, "token_type": "mac"})
    if case == "negative-expiry":
        return as_json(200, {**GRANT, "expires_in": -1})
    if case == "fractional-expiry":
        return as_json(200, {**GRANT, "expires_in": 1.5})
    if case == "no-user":
        return as_json(200, {k: v for k, v in GRANT.items() if k != "user"})
    if case == "array":
        return as_json(200, [GRANT])
    if case == "html":
        return 200, "text/html", b"<html><body>Welcome</body></html>"
    if case in ("huge", "huge-declared"):  # huge-declared is sent with its Content-Length
        return 200, "application/json", b'{"pad":"' + b"x" * (1 << 20) + b'"}'
    if case == "not-utf8":  # a grant whose user name is not UTF-8
        return 200, "application/json", json.dumps(GRANT).replace("Sam", "S\udcffm").encode("utf-8", "surrogateescape")
    if case == "status-502":
        return as_json(502, {"error": "server_error", "error_description": "Canvas answered with HTML"})
    if case == "status-429":
        return as_json(429, {"error": "temporarily_unavailable"})
    if case == "status-401":
        return as_json(401, {"error": "invalid_grant"})
    if case == "revoke-pending":
        return as_json(202, {"revocation": "pending"})
    if case == "revoke-confirmed":
        return as_json(200, {"revocation": "confirmed", "forward_url": "https://canvas.example/logout"})
    return as_json(404, {"error": "invalid_request"})

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def cors(self):
        self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin", "*"))
        self.send_header("Access-Control-Allow-Credentials", "true")
        self.send_header("Access-Control-Allow-Headers", "authorization, content-type, x-canvas-relay")
        self.send_header("Access-Control-Allow-Methods", "POST, GET")

    def do_OPTIONS(self):
        self.send_response(204)
        self.cors()
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = self.path.split("/")
        case = parts[1] if len(parts) > 2 else ""
        # /ok-then-429: a sign-in whose token is due at once and whose refreshes are throttled.
        if case == "ok-then-429":
            if parts[-1] == "refresh":
                case = "status-429"
            else:
                case = "due-now"
        # /revoke-<outcome>: a sign-in that works, and a revoke answered in the new shapes.
        if case.startswith("revoke-") and parts[-1] != "revoke":
            case = "ok"
        status, content_type, body = case_answer(case)
        self.send_response(status)
        self.cors()
        self.send_header("Content-Type", content_type)
        if case == "huge":  # no Content-Length: the cap must hold while streaming
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 65536):
                chunk = body[i:i + 65536]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        # /<case>/api/v1/slow answers only after 3 s: the API timeout tests.
        if self.path.endswith("/api/v1/slow"):
            time.sleep(3)
        # A page of 5 MiB without Content-Length, and a page whose body stalls after its head:
        # paginate's size cap and body deadline.
        if self.path.endswith("/api/v1/huge-page") or self.path.endswith("/api/v1/stalled-page"):
            self.send_response(200)
            self.cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"1\r\n[\r\n")
            self.wfile.flush()
            if self.path.endswith("/stalled-page"):
                time.sleep(3)
                return
            chunk = b"0," * 32768
            for _ in range(80):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"1\r\n0\r\n1\r\n]\r\n0\r\n\r\n")
            return
        body = b"[]"
        self.send_response(200)
        self.cors()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
print("fake relay listening on", sys.argv[1], flush=True)
server.serve_forever()
