"""A CPython `ssl` peer for the TLS tests, driven by a JSON plan (argv[1]).

Plan keys: role ("server" | "client"), port (client), cert, key, ca,
verify ("none" | "optional" | "required"), server_hostname, alpn (list),
max_version ("TLSv1_2"), starttls (server: a plain greeting and line
exchanged first; client: "STARTTLS\n" sent right before the handshake, or
with "wait", then a line on stdin awaited before the handshake), and
steps: a list of [op, arg] run in order on the TLS socket:
  ["send", text]          sendall text (UTF-8)
  ["send_n", n]           sendall n bytes of the test pattern
  ["recv_n", n]           receive exactly n bytes; report their sha256
  ["recv_line", _]        receive until "\n"; report the line
  ["echo", _]             echo until EOF
  ["report", _]           report version, cipher, alpn, peer certificate
  ["wait", _]             wait for a line on stdin (the test's go-ahead)
  ["unwrap", _]           send close_notify (and wait for the peer's)
  ["close", _]            close without close_notify
Every report is one JSON line on stdout; a server prints {"port": N} first.
"""

import hashlib
import json
import socket
import ssl
import sys

plan = json.loads(sys.argv[1])


def out(obj):
    try:
        print(json.dumps(obj), flush=True)
    except BrokenPipeError:
        pass  # the test stopped reading: it has what it needs


def pattern(n):
    block = bytes(range(256))
    return (block * (n // 256 + 1))[:n]


def context():
    server = plan["role"] == "server"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    if plan.get("cert"):
        ctx.load_cert_chain(plan["cert"], plan.get("key"))
    if plan.get("ca"):
        ctx.load_verify_locations(plan["ca"])
    verify = plan.get("verify")
    if verify == "none":
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif verify == "optional":
        ctx.verify_mode = ssl.CERT_OPTIONAL
    elif verify == "required":
        ctx.verify_mode = ssl.CERT_REQUIRED
    if plan.get("alpn"):
        ctx.set_alpn_protocols(plan["alpn"])
    if plan.get("max_version"):
        ctx.maximum_version = getattr(ssl.TLSVersion, plan["max_version"])
    return ctx


def read_line(sock):
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data.decode()


def run(tls):
    for op, arg in plan.get("steps", []):
        if op == "send":
            tls.sendall(arg.encode())
        elif op == "send_n":
            tls.sendall(pattern(arg))
        elif op == "recv_n":
            h = hashlib.sha256()
            got = 0
            while got < arg:
                chunk = tls.recv(min(65536, arg - got))
                if not chunk:
                    break
                h.update(chunk)
                got += len(chunk)
            out({"recv": got, "sha256": h.hexdigest()})
        elif op == "recv_line":
            out({"line": read_line(tls)})
        elif op == "echo":
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                tls.sendall(chunk)
        elif op == "report":
            out({
                "version": tls.version(),
                "cipher": list(tls.cipher()),
                "alpn": tls.selected_alpn_protocol(),
                "peercert": tls.getpeercert(),
            })
        elif op == "wait":
            sys.stdin.readline()
        elif op == "unwrap":
            try:
                tls = tls.unwrap()
            except (OSError, ValueError) as e:
                out({"unwrap_error": repr(e)})
        elif op == "close":
            tls.close()
            return
    tls.close()


def main():
    ctx = context()
    if plan["role"] == "server":
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        out({"port": listener.getsockname()[1]})
        for _ in range(plan.get("connections", 1)):
            conn, _ = listener.accept()
            try:
                if plan.get("starttls"):
                    conn.sendall(b"220 ready\n")
                    out({"plain": read_line(conn)})
                    conn.sendall(b"220 go ahead\n")
                tls = ctx.wrap_socket(conn, server_side=True)
            except (OSError, ValueError) as e:
                out({"error": type(e).__name__, "reason": getattr(e, "reason", None)})
                conn.close()
                continue
            run(tls)
        listener.close()
    else:
        sock = socket.create_connection((plan.get("host", "127.0.0.1"), plan["port"]))
        if plan.get("starttls"):
            # The ClientHello follows the line at once, as a careless client's
            # would, unless the test says when.
            sock.sendall(b"STARTTLS\n")
            if plan["starttls"] == "wait":
                out({"plain_sent": True})
                sys.stdin.readline()
        try:
            tls = ctx.wrap_socket(sock, server_hostname=plan.get("server_hostname"))
        except (OSError, ValueError) as e:
            out({
                "error": type(e).__name__,
                "reason": getattr(e, "reason", None),
                "verify_code": getattr(e, "verify_code", None),
                "verify_message": getattr(e, "verify_message", None),
            })
            return
        out({"connected": True})
        run(tls)


main()
