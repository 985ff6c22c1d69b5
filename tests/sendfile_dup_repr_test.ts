/**
 * `sock.sendfile`, `sock.dup()` and the socket's repr (`String(sock)`,
 * `Deno.inspect(sock)`), against CPython's where it defines them.
 */

import * as S from "@seed/socket";
import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
  concat,
  connectedPair,
  freshUnixPath,
  pseudoRandomBytes,
  python,
  recvAll,
  text,
  UNIX_DIR,
  UNIX_PATHS,
} from "./_util.ts";

// ---- repr ---------------------------------------------------------------------------

/** The repr with what varies between runs (descriptor numbers, ports) replaced. */
function normalize(repr: string): string {
  return repr.replace(/fd=\d+/g, "fd=N").replace(/(\('[^']*', )\d+/g, "$1P");
}

const PY_REPR = String.raw`
import json, os, socket, sys
out = []
a = socket.socket(); out.append(repr(a))
a.bind(("127.0.0.1", 0)); a.listen(); out.append(repr(a))
c = socket.socket(); c.connect(a.getsockname()); out.append(repr(c))
d, _ = a.accept(); out.append(repr(d))
f = d.makefile("rb"); d.close(); out.append(repr(d)); f.close(); out.append(repr(d))
u = socket.socket(2, 2); out.append(repr(u)); u.connect(("127.0.0.1", 9)); out.append(repr(u))
x = socket.socket(socket.AF_INET6); out.append(repr(x)); x.bind(("::1", 0)); out.append(repr(x))
un = socket.socket(socket.AF_UNIX); out.append(repr(un))
un.bind(sys.argv[1]); out.append(repr(un)); un.close(); out.append(repr(un))
out.append(str(c))
for s in (a, c, u, x): s.close()
print(json.dumps(out))
`;

python.test("repr: String(sock) and Deno.inspect(sock) read as CPython's, every state", async () => {
  const path = await freshUnixPath(UNIX_PATHS[3]);
  const theirs = JSON.parse(await python(PY_REPR, path)) as string[];
  await Deno.remove(path);
  const ours: string[] = [];
  using a = S.socket();
  ours.push(String(a));
  a.bind(["127.0.0.1", 0]);
  a.listen();
  ours.push(String(a));
  using c = S.socket();
  await c.connect(a.getsockname());
  ours.push(Deno.inspect(c));
  const [d] = await a.accept();
  ours.push(String(d));
  const f = d.makefile("rb");
  d.close();
  ours.push(String(d));
  await f.close();
  ours.push(String(d));
  using u = S.socket(S.AF_INET, S.SOCK_DGRAM);
  ours.push(String(u));
  await u.connect(["127.0.0.1", 9]);
  ours.push(Deno.inspect(u));
  using x = S.socket(S.AF_INET6);
  ours.push(String(x));
  x.bind(["::1", 0]);
  ours.push(String(x));
  const un = S.socket(S.AF_UNIX);
  ours.push(String(un));
  un.bind(path);
  ours.push(String(un));
  un.close();
  ours.push(Deno.inspect(un));
  ours.push(`${c}`);
  assertEquals(ours.map(normalize), theirs.map(normalize));
  assertEquals(String(c).match(/fd=(\d+)/)?.[1], String(c.fileno()));
});

// ---- sendfile --------------------------------------------------------------------------

async function tempFile(bytes: Uint8Array): Promise<string> {
  await Deno.mkdir(UNIX_DIR, { recursive: true });
  const path = await Deno.makeTempFile({ dir: UNIX_DIR, prefix: "sendfile-" });
  await Deno.writeFile(path, bytes);
  return path;
}

Deno.test("sendfile: a Deno.FsFile arrives intact; offset and count honoured; position after", async () => {
  const bytes = pseudoRandomBytes(300_000, 7);
  const path = await tempFile(bytes);
  try {
    await using pair = await connectedPair();
    {
      using file = await Deno.open(path);
      const receiving = recvAll(pair.server, bytes.length);
      assertEquals(await pair.client.sendfile(file), bytes.length);
      assertEquals(await receiving, bytes);
      assertEquals(await file.seek(0, Deno.SeekMode.Current), bytes.length);
    }
    {
      using file = await Deno.open(path);
      const receiving = recvAll(pair.server, 70_000);
      assertEquals(await pair.client.sendfile(file, 1_000, 70_000), 70_000);
      assertEquals(await receiving, bytes.subarray(1_000, 71_000));
      assertEquals(await file.seek(0, Deno.SeekMode.Current), 71_000); // as CPython
    }
    {
      // count past the end: what the file has.
      using file = await Deno.open(path);
      const receiving = recvAll(pair.server, 500);
      assertEquals(await pair.client.sendfile(file, bytes.length - 500, 10_000), 500);
      assertEquals(await receiving, bytes.subarray(bytes.length - 500));
    }
  } finally {
    await Deno.remove(path);
  }
});

python.test("sendfile: any object with read and seek; counts and positions as CPython's", async () => {
  const bytes = pseudoRandomBytes(20_000, 3);
  let position = 0;
  const file = {
    read(p: Uint8Array): Promise<number | null> {
      const n = Math.min(p.length, 777, bytes.length - position); // short reads
      if (n === 0) return Promise.resolve(null);
      p.set(bytes.subarray(position, position + n));
      position += n;
      return Promise.resolve(n);
    },
    seek(offset: number): Promise<number> {
      position = offset;
      return Promise.resolve(position);
    },
  };
  await using pair = await connectedPair();
  const receiving = recvAll(pair.server, 15_000);
  const sent = await pair.client.sendfile(file, 5_000);
  assertEquals([sent, position], [15_000, 20_000]);
  assertEquals(await receiving, bytes.subarray(5_000));
  // CPython on a real file (its os.sendfile path): the offset is from the
  // start of the file, whatever the position.
  const py = await python(String.raw`
import socket, tempfile
a, b = socket.socketpair()
with tempfile.TemporaryFile() as f:
    f.write(bytes(20000)); f.flush(); f.seek(0)
    print(a.sendfile(f, 5000), f.tell(), a.sendfile(f, 0, 100), f.tell())`);
  assertEquals(py.trim(), "15000 20000 100 100");
  assertEquals(await pair.client.sendfile(file, 0, 100), 100);
  assertEquals(position, 100);
  assertEquals((await recvAll(pair.server, 100)).length, 100);
});

Deno.test("sendfile: bad arguments reject before any I/O; closed socket EBADF", async () => {
  await using pair = await connectedPair();
  const file = { read: () => Promise.resolve(null), seek: () => Promise.resolve(0) };
  await assertRejects(pair.client.sendfile({} as never), TypeError, /file/);
  await assertRejects(pair.client.sendfile(file, -1), RangeError, /negative offset/);
  await assertRejects(pair.client.sendfile(file, 0, 0), RangeError, /count must be a positive/);
  await assertRejects(pair.client.sendfile(file, 0.5), TypeError, /offset/);
  const closed = S.socket();
  closed.close();
  const e = await assertRejects(closed.sendfile(file), S.OSError);
  assertEquals(e.errno, S.errno.EBADF);
});

// ---- dup -------------------------------------------------------------------------------------

Deno.test("dup: a second object on the same connection, with its own fileno and timeout", async () => {
  await using pair = await connectedPair();
  pair.server.settimeout(5);
  const copy = pair.server.dup();
  assert(copy instanceof S.Socket);
  assert(copy.fileno() !== pair.server.fileno());
  assertEquals(copy.gettimeout(), 5);
  assertEquals(copy.getpeername(), pair.server.getpeername());
  await pair.client.sendall("ab");
  assertEquals(text(await copy.recv(1)), "a");
  assertEquals(text(await pair.server.recv(1)), "b"); // one stream, read in turn
  // Its own timeout: the copy times out, the original keeps its own.
  copy.settimeout(0.05);
  await assertRejects(copy.recv(10), S.TimeoutError);
  assertEquals(pair.server.gettimeout(), 5);
  await pair.client.sendall("c");
  assertEquals(text(await pair.server.recv(10)), "c"); // nothing lost to the timeout
  await copy.sendall("back");
  assertEquals(text(await pair.client.recv(10)), "back");
  copy.close();
});

Deno.test("dup: the connection closes when the original, every duplicate and every file are closed", async () => {
  await using pair = await connectedPair();
  const first = pair.server.dup();
  const second = first.dup();
  const file = second.makefile("wb");
  pair.server.close();
  assertEquals(pair.server.fileno() >= 0, true); // deferred while duplicates are open
  first.close();
  second.close();
  await file.write(new TextEncoder().encode("still open"));
  await file.flush();
  assertEquals(text(await pair.client.recv(100)), "still open");
  await file.close(); // the last one: the connection closes for real
  assertEquals(pair.server.fileno(), -1);
  assertEquals((await pair.client.recv(100)).length, 0); // the peer sees the end
  assertThrows(() => pair.server.dup(), S.OSError);
  const e = await assertRejects(first.recv(1), S.OSError);
  assertEquals(e.errno, S.errno.EBADF);
});

python.test("dup: CPython's dup shares the connection the same way", async () => {
  const out = await python(String.raw`
import socket
a, b = socket.socketpair()
c = a.dup()
a.close()
b.sendall(b"x"); print(c.recv(1), c.fileno() != -1, a.fileno())
c.close(); print(b.recv(1))`);
  assertEquals(out.trim().split("\n"), ["b'x' True -1", "b''"]);
  // Here: the original stays usable until every duplicate is closed (it
  // is deferred as with makefile); the rest is the same.
  await using pair = await connectedPair();
  const c = pair.server.dup();
  pair.server.close();
  await pair.client.sendall("x");
  assertEquals([text(await c.recv(1)), c.fileno() !== -1], ["x", true]);
  c.close();
  assertEquals(concat([await pair.client.recv(1)]).length, 0);
});

python.test("dup: a datagram socket's duplicate shares its binding and queue, with its own timeout", async () => {
  const py = await python(String.raw`
import socket
u = socket.socket(2, 2); u.bind(("127.0.0.1", 0)); d = u.dup()
print(d.getsockname() == u.getsockname(), d.type)
u.sendto(b"x", d.getsockname()); print(d.recvfrom(10)[0])
try: socket.socket(2, 2).sendfile(None)
except ValueError as e: print(e)`);
  assertEquals(py.trim().split("\n"), [
    "True 2",
    "b'x'",
    "only SOCK_STREAM type sockets are supported",
  ]);
  const u = S.socket(S.AF_INET, S.SOCK_DGRAM);
  u.bind(["127.0.0.1", 0]);
  const d = u.dup();
  assert(d instanceof S.DatagramSocket);
  assertEquals([d.getsockname(), d.type], [u.getsockname(), 2]);
  assert(d.fileno() !== u.fileno());
  await u.sendto("x", d.getsockname());
  assertEquals(text((await d.recvfrom(10))[0]), "x");
  d.settimeout(0.05);
  await assertRejects(d.recvfrom(10), S.TimeoutError);
  assertEquals(u.gettimeout(), null);
  await u.sendto("y", u.getsockname());
  assertEquals(text((await u.recvfrom(10))[0]), "y"); // nothing lost to the timeout
  u.close();
  assertEquals(u.fileno() >= 0, true); // deferred while the duplicate is open
  await d.sendto("z", d.getsockname());
  assertEquals(text(await d.recv(10)), "z");
  d.close();
  assertEquals(u.fileno(), -1);
  using other = S.socket(S.AF_INET, S.SOCK_DGRAM);
  await assertRejects(
    other.sendfile({} as never),
    TypeError,
    /only SOCK_STREAM type sockets are supported/,
  );
});
