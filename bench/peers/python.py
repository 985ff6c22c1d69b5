"""Benchmark peer: CPython's socket module, blocking calls as the textbooks
write them (a thread per connection for fan-in).

  server <workload> <params-json>         prints "PORT <n>", serves, exits
  client <workload> <port> <params-json>  prints {"seconds": ...}
"""

import json
import socket
import socketserver
import ssl
import sys
import threading
import time

role, workload, *rest = sys.argv[1:]
CPU0 = time.process_time()


def announce(sock):
    print(f"PORT {sock.getsockname()[1]}", flush=True)


def recv_exact(sock, view, n):
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise EOFError("peer closed early")
        got += k


def echo(conn, p):
    bufsize = p.get("bufsize", 65536)
    if p.get("read") == "recv":
        while True:
            data = conn.recv(bufsize)
            if not data:
                break
            conn.sendall(data)
    else:
        buf = bytearray(bufsize)
        view = memoryview(buf)
        while True:
            n = conn.recv_into(buf)
            if n == 0:
                break
            conn.sendall(view[:n])
    conn.close()


def http_server(p):
    body = p["body"]
    reply = (
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n"
        f"Content-Length: {body}\r\n\r\n" + "x" * body
    ).encode()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            while True:
                line = self.rfile.readline()
                while len(line) > 2:
                    line = self.rfile.readline()
                if not line:
                    return
                self.wfile.write(reply)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 128

        def handle_error(self, request, client_address):
            pass  # the load generator resets connections when it stops

    with Server(("127.0.0.1", 0), Handler) as server:
        announce(server.socket)
        server.serve_forever()


def tls_server(p):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(f"{p['certs']}/server.pem", f"{p['certs']}/server.key")
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1024)
    announce(srv)

    def accept():
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return ctx.wrap_socket(conn, server_side=True)

    if workload == "tls_rr":
        echo(accept(), {"read": "recv_into"})
    elif workload == "tls_bulk":
        conn = accept()
        buf = bytearray(65536)
        got = 0
        while got < p["total"]:
            n = conn.recv_into(buf)
            if n == 0:
                raise EOFError(f"got {got} of {p['total']} bytes")
            got += n
        conn.sendall(b"k")
        try:
            conn.recv_into(buf)
        except OSError:
            pass
        conn.close()
    else:
        buf = bytearray(1)
        view = memoryview(buf)
        for _ in range(p["count"]):
            conn = accept()
            if p["size"]:
                recv_exact(conn, view, 1)
                conn.sendall(buf)
            try:
                conn.recv_into(buf)
            except OSError:
                pass
            conn.close()
    srv.close()


def tls_client(port, p):
    ctx = ssl.create_default_context(cafile=f"{p['certs']}/ca.pem")

    def connect():
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return ctx.wrap_socket(sock, server_hostname="localhost")

    if workload == "tls_handshake":
        msg = bytes(1)
        view = memoryview(bytearray(1))
        t0 = time.perf_counter()
        for i in range(-p.get("warm", 0), p["count"]):
            if i == 0:
                t0 = time.perf_counter()
            sock = connect()
            if p["size"]:
                sock.sendall(msg)
                recv_exact(sock, view, 1)
            sock.close()
        return time.perf_counter() - t0
    sock = connect()
    if workload == "tls_rr":
        msg = bytes(p["size"])
        view = memoryview(bytearray(p["size"]))
        t0 = time.perf_counter()
        for i in range(-p.get("warm", 0), p["count"]):
            if i == 0:
                t0 = time.perf_counter()
            sock.sendall(msg)
            recv_exact(sock, view, p["size"])
    else:
        chunk = bytes(p["write"])
        t0 = time.perf_counter()
        for sent in range(-p.get("warm", 0), p["total"], len(chunk)):
            if sent == 0:
                t0 = time.perf_counter()
            sock.sendall(chunk)
        recv_exact(sock, memoryview(bytearray(1)), 1)
    t = time.perf_counter() - t0
    sock.close()
    return t


def server(p):
    if workload == "http":
        return http_server(p)
    if workload.startswith("tls_"):
        return tls_server(p)
    if workload == "udp_rr":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        announce(sock)
        buf = bytearray(65536)
        view = memoryview(buf)
        for _ in range(p["count"]):
            n, address = sock.recvfrom_into(buf)
            sock.sendto(view[:n], address)
        sock.close()
        return
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4096)
    announce(srv)
    if workload == "tcp_bulk":
        conn, _ = srv.accept()
        got = 0
        if p["read"] == "recv_into":
            buf = bytearray(65536)
            while True:
                n = conn.recv_into(buf)
                if n == 0:
                    break
                got += n
        else:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                got += len(data)
        assert got == p["total"], f"got {got} of {p['total']} bytes"
        conn.sendall(b"k")
        conn.close()
    elif workload == "tcp_rr":
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if p.get("timeout") is not None:
            conn.settimeout(p["timeout"])
        echo(conn, {"read": "recv_into"})
    elif workload == "line_rr":
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = conn.makefile("rw")
        for line in f:
            f.write(line)
            f.flush()
        f.close()
        conn.close()
    elif workload == "tcp_connect":
        size = p["size"]
        buf = bytearray(size)
        view = memoryview(buf)
        for _ in range(p["count"]):
            conn, _ = srv.accept()
            recv_exact(conn, view, size)
            conn.sendall(buf)
            conn.close()
    elif workload == "tcp_fanin":
        threads = []
        for _ in range(p["clients"]):
            conn, _ = srv.accept()
            t = threading.Thread(target=echo, args=(conn, p))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
    srv.close()


def client(port, p):
    if workload.startswith("tls_"):
        return tls_client(port, p)
    address = ("127.0.0.1", port)
    if workload == "udp_rr":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        msg = bytes(p["size"])
        buf = bytearray(65536)
        t0 = time.perf_counter()
        for i in range(-p.get("warm", 0), p["count"]):
            if i == 0:
                t0 = time.perf_counter()
            sock.sendto(msg, address)
            sock.recvfrom_into(buf)
        t = time.perf_counter() - t0
        sock.close()
        return t
    if workload == "tcp_bulk":
        sock = socket.create_connection(address)
        chunk = bytes(p["write"])
        t0 = time.perf_counter()
        for sent in range(-p.get("warm", 0), p["total"], len(chunk)):
            if sent == 0:
                t0 = time.perf_counter()
            sock.sendall(chunk)
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1)
        t = time.perf_counter() - t0
        sock.close()
        return t
    size = p["size"]
    if workload == "line_rr":
        sock = socket.create_connection(address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = sock.makefile("rw")
        line = "x" * (size - 1) + "\n"
        t0 = time.perf_counter()
        for i in range(-p.get("warm", 0), p["count"]):
            if i == 0:
                t0 = time.perf_counter()
            f.write(line)
            f.flush()
            if f.readline() != line:
                raise ValueError("line_rr: wrong echo")
        t = time.perf_counter() - t0
        f.close()
        sock.close()
        return t
    msg = bytes(size)
    view = memoryview(bytearray(size))
    if workload == "tcp_rr":
        sock = socket.create_connection(address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if p.get("timeout") is not None:
            sock.settimeout(p["timeout"])
        t0 = time.perf_counter()
        for i in range(-p.get("warm", 0), p["count"]):
            if i == 0:
                t0 = time.perf_counter()
            sock.sendall(msg)
            recv_exact(sock, view, size)
        t = time.perf_counter() - t0
        sock.close()
        return t
    if workload == "tcp_connect":
        t0 = time.perf_counter()
        for i in range(-p.get("warm", 0), p["count"]):
            if i == 0:
                t0 = time.perf_counter()
            sock = socket.socket()
            sock.connect(address)
            sock.sendall(msg)
            recv_exact(sock, view, size)
            sock.close()
        return time.perf_counter() - t0

    # tcp_fanin: a thread per client; every connection opens first (at most
    # `connecting` at a time, a connect and a first echo each), then all run
    # the other echoes at once, each closing when done.
    if p["clients"] == 0:
        return 0.0
    opening = threading.Semaphore(p.get("connecting", 256))
    opened = threading.Barrier(p["clients"])

    def one():
        own = memoryview(bytearray(size))
        with opening:
            sock = socket.create_connection(address)
            sock.sendall(msg)
            recv_exact(sock, own, size)
        opened.wait()
        for _ in range(p["echoes"] - 1):
            sock.sendall(msg)
            recv_exact(sock, own, size)
        sock.close()

    threads = [threading.Thread(target=one) for _ in range(p["clients"])]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


# CPU time (user + system, every thread) of the whole role.
if role == "server":
    server(json.loads(rest[0]))
    print(f"CPU {time.process_time() - CPU0}", flush=True)
else:
    seconds = client(int(rest[0]), json.loads(rest[1]))
    print(json.dumps({"seconds": seconds, "cpu": time.process_time() - CPU0}), flush=True)
