"""Benchmark peer: CPython's socket module, blocking calls as the textbooks
write them (a thread per connection for fan-in).

  server <workload> <params-json>         prints "PORT <n>", serves, exits
  client <workload> <port> <params-json>  prints {"seconds": ...}
"""

import json
import socket
import sys
import threading
import time

role, workload, *rest = sys.argv[1:]


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


def server(p):
    if workload == "udp_rr":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        announce(sock)
        for _ in range(p["count"]):
            data, address = sock.recvfrom(65536)
            sock.sendto(data, address)
        sock.close()
        return
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1024)
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
    address = ("127.0.0.1", port)
    if workload == "udp_rr":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        msg = bytes(p["size"])
        t0 = time.perf_counter()
        for _ in range(p["count"]):
            sock.sendto(msg, address)
            sock.recvfrom(65536)
        t = time.perf_counter() - t0
        sock.close()
        return t
    if workload == "tcp_bulk":
        sock = socket.create_connection(address)
        chunk = bytes(p["write"])
        t0 = time.perf_counter()
        for _ in range(0, p["total"], len(chunk)):
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
        for _ in range(p["count"]):
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
        for _ in range(p["count"]):
            sock.sendall(msg)
            recv_exact(sock, view, size)
        t = time.perf_counter() - t0
        sock.close()
        return t
    if workload == "tcp_connect":
        t0 = time.perf_counter()
        for _ in range(p["count"]):
            sock = socket.socket()
            sock.connect(address)
            sock.sendall(msg)
            recv_exact(sock, view, size)
            sock.close()
        return time.perf_counter() - t0

    # tcp_fanin: a thread per client
    def one():
        sock = socket.create_connection(address)
        own = memoryview(bytearray(size))
        for _ in range(p["echoes"]):
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


if role == "server":
    server(json.loads(rest[0]))
else:
    seconds = client(int(rest[0]), json.loads(rest[1]))
    print(json.dumps({"seconds": seconds}), flush=True)
