import {
  BlockingIOError,
  LookupError,
  MSG_WAITALL,
  type RawStream,
  SHUT_WR,
  socket,
  SocketFile,
  SocketIO,
  SocketTextFile,
  TimeoutError,
  UnicodeDecodeError,
  UnsupportedOperation,
} from "@seed/socket";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
  connectedPair,
  python,
  text,
} from "./_util.ts";

const encoder = new TextEncoder();

/** A raw stream that hands out the given chunks, one per read. */
class ChunkRaw implements RawStream {
  #chunks: Uint8Array[];
  closed = false;
  constructor(chunks: Uint8Array[]) {
    this.#chunks = chunks.filter((c) => c.length > 0);
  }
  readinto(buffer: Uint8Array): Promise<number> {
    const chunk = this.#chunks.shift();
    if (!chunk) return Promise.resolve(0);
    const n = Math.min(chunk.length, buffer.length);
    buffer.set(chunk.subarray(0, n));
    if (n < chunk.length) this.#chunks.unshift(chunk.subarray(n));
    return Promise.resolve(n);
  }
  write(data: Uint8Array): Promise<number> {
    return Promise.resolve(data.length);
  }
  close(): void {
    this.closed = true;
  }
  fileno(): number {
    return 99;
  }
}

const SAMPLE = "alpha\nbeta\r\ngamma\rdelta\r\r\n\nh\u00e9llo \u2713 \u{1F600}\r\nlast\r";
const NEWLINES: (string | null)[] = [null, "", "\n", "\r", "\r\n"];

// CPython's answer: for every split position and newline mode, readlines()
// of a TextIOWrapper over a raw stream that returns the two pieces.
const PY_SPLIT = `
import io, json, sys
data = sys.argv[1].encode("utf-8")
class Raw(io.RawIOBase):
    def __init__(self, chunks): self.chunks = [c for c in chunks if c]
    def readable(self): return True
    def readinto(self, b):
        if not self.chunks: return 0
        c = self.chunks.pop(0)
        n = min(len(b), len(c))
        b[:n] = c[:n]
        if n < len(c): self.chunks.insert(0, c[n:])
        return n
out = {}
for nl in [None, "", "\\n", "\\r", "\\r\\n"]:
    rows = []
    for i in range(len(data) + 1):
        f = io.TextIOWrapper(io.BufferedReader(Raw([data[:i], data[i:]])), encoding="utf-8", newline=nl)
        rows.append(f.readlines())
    out[repr(nl)] = rows
    rows = []
    for i in range(len(data) + 1):
        f = io.BufferedReader(Raw([data[:i], data[i:]]))
        rows.append([l.decode("utf-8", "surrogateescape") for l in f.readlines()])
    out["binary"] = rows
print(json.dumps(out))
`;

python.test("readline over chunks split at every byte position matches CPython", async () => {
  const expected = JSON.parse(await python(PY_SPLIT, SAMPLE)) as Record<string, string[][]>;
  const data = encoder.encode(SAMPLE);
  for (const newline of NEWLINES) {
    const key = newline === null
      ? "None"
      : `'${newline.replace("\r", "\\r").replace("\n", "\\n")}'`;
    for (let i = 0; i <= data.length; i++) {
      const raw = new ChunkRaw([data.subarray(0, i), data.subarray(i)]);
      const f = new SocketTextFile(new SocketFile(raw, "rb"), { newline });
      assertEquals(await f.readlines(), expected[key][i], `newline ${key}, split at ${i}`);
    }
  }
  for (let i = 0; i <= data.length; i++) {
    const f = new SocketFile(new ChunkRaw([data.subarray(0, i), data.subarray(i)]), "rb");
    const lines = (await f.readlines()).map((l) => new TextDecoder().decode(l));
    assertEquals(lines, expected.binary[i], `binary, split at ${i}`);
  }
});

Deno.test("readline over one-byte chunks on a real socket keeps \\r\\n and \\r rules", async () => {
  await using pair = await connectedPair();
  const data = encoder.encode("a\r\nb\rc\n\r\r\nd");
  await using f = pair.server.makefile("r", { newline: "" });
  for (const byte of data) await pair.client.sendall(new Uint8Array([byte]));
  await pair.client.shutdown(SHUT_WR);
  assertEquals(await f.readlines(), ["a\r\n", "b\r", "c\n", "\r", "\r\n", "d"]);
});

python.test("readline(limit) matches CPython, binary and text", async () => {
  const sample = "short\nlonger line here\n\u00e9\u00e9\u00e9\u00e9\nend";
  const expected = JSON.parse(
    await python(
      `
import io, json, sys
data = sys.argv[1].encode()
out = []
for limit in range(0, 12):
    t = io.TextIOWrapper(io.BufferedReader(io.BytesIO(data)), encoding="utf-8")
    b = io.BufferedReader(io.BytesIO(data))
    tl = []; bl = []
    for _ in range(12):
        tl.append(t.readline(limit)); bl.append(list(b.readline(limit)))
    out.append([tl, bl])
print(json.dumps(out))`,
      sample,
    ),
  ) as [string[], number[][]][];
  const data = encoder.encode(sample);
  for (let limit = 0; limit < 12; limit++) {
    const t = new SocketTextFile(new SocketFile(new ChunkRaw([data]), "rb"));
    const b = new SocketFile(new ChunkRaw([data]), "rb");
    const tl: string[] = [];
    const bl: number[][] = [];
    for (let k = 0; k < 12; k++) {
      tl.push(await t.readline(limit));
      bl.push([...await b.readline(limit)]);
    }
    assertEquals(tl, expected[limit][0], `text limit ${limit}`);
    assertEquals(bl, expected[limit][1], `binary limit ${limit}`);
  }
});

Deno.test("a TimeoutError in the middle of a line loses nothing; the next call completes it", async (t) => {
  for (const mode of ["rb", "r"] as const) {
    await t.step(mode, async () => {
      await using pair = await connectedPair();
      await using f = mode === "rb" ? pair.server.makefile("rb") : pair.server.makefile("r");
      pair.server.settimeout(0.05);
      await pair.client.sendall("first\nhalf of a");
      const first = await f.readline();
      assertEquals(typeof first === "string" ? first : text(first), "first\n");
      await assertRejects(f.readline(), TimeoutError);
      await assertRejects(f.read(100), TimeoutError);
      await pair.client.sendall(" line\nrest");
      const line = await f.readline();
      assertEquals(typeof line === "string" ? line : text(line), "half of a line\n");
      await pair.client.shutdown(SHUT_WR);
      const rest = await f.read();
      assertEquals(typeof rest === "string" ? rest : text(rest), "rest");
    });
  }
});

Deno.test("a multibyte character split by a timeout is decoded once complete", async () => {
  await using pair = await connectedPair();
  await using f = pair.server.makefile("r");
  pair.server.settimeout(0.05);
  const bytes = encoder.encode("\u{1F600}!\n");
  await pair.client.sendall(bytes.subarray(0, 2));
  await assertRejects(f.read(1), TimeoutError);
  await pair.client.sendall(bytes.subarray(2));
  assertEquals(await f.read(1), "\u{1F600}");
  assertEquals(await f.readline(), "!\n");
});

python.test("reads on a non-blocking socket reject with BlockingIOError and lose nothing", async () => {
  await using pair = await connectedPair();
  pair.server.setblocking(false);
  await using f = pair.server.makefile("rb");
  await assertRejects(f.readline(), BlockingIOError);
  await pair.client.sendall("par");
  await assertRejects(f.readline(), BlockingIOError); // "par" is buffered, no newline yet
  await pair.client.sendall("tial\n");
  pair.server.setblocking(true);
  assertEquals(text(await f.readline()), "partial\n");
  // CPython's BufferedReader returns None here instead; both mean "nothing ready".
  const py = await python(`
import socket
a, b = socket.socketpair()
b.setblocking(False)
print(repr(b.makefile("rb").read(10)))`);
  assertEquals(py.trim(), "None");
});

python.test("the socket closes for real only with its last file (CPython's _io_refs)", async () => {
  await using pair = await connectedPair();
  const r = pair.server.makefile("rb");
  const w = pair.server.makefile("w");
  pair.server.close();
  assert(pair.server.fileno() >= 0, "still open while files are");
  await w.write("still works\n");
  await w.close();
  assert(pair.server.fileno() >= 0);
  await pair.client.sendall("x\n");
  assertEquals(text(await r.readline()), "x\n");
  assertEquals(text(await pair.client.recv(100)), "still works\n");
  await r.close();
  assertEquals(pair.server.fileno(), -1);
  await r.close(); // idempotent
  const py = await python(`
import socket
a, b = socket.socketpair()
f = b.makefile("rb")
b.close()
print(b.fileno() >= 0)
f.close()
print(b.fileno())`);
  assertEquals(py.trim().split("\n"), ["True", "-1"]);
});

Deno.test("write modes: buffering, flush, close, newline translation, writelines", async () => {
  await using pair = await connectedPair();
  const w = pair.client.makefile("w", { newline: "\r\n" });
  assertEquals(await w.write("one\ntwo\n"), 8);
  await w.writelines(["three\n", "\u00e9\n"]);
  assertEquals(w.mode, "w");
  await w.close();
  assert(w.closed);
  await pair.client.shutdown(SHUT_WR);
  await using r = pair.server.makefile("rb");
  assertEquals(text(await r.read()), "one\r\ntwo\r\nthree\r\n\u00e9\r\n");
});

Deno.test("a binary writer sends when its buffer fills, not before", async () => {
  await using pair = await connectedPair();
  await using w = pair.client.makefile("wb", { buffering: 4 });
  pair.server.settimeout(0.05);
  await w.write(new Uint8Array([1, 2, 3]));
  await assertRejects(pair.server.recv(10), TimeoutError);
  await w.write(new Uint8Array([4, 5]));
  assertEquals([...await pair.server.recv(5, MSG_WAITALL)], [1, 2, 3, 4, 5]);
});

Deno.test("rw files, raw files, iteration and await using", async () => {
  await using pair = await connectedPair();
  {
    await using f = pair.client.makefile("rw");
    await f.write("ping\n");
    await f.flush();
    const raw = pair.server.makefile("rwb", { buffering: 0 });
    assertInstanceOf(raw, SocketIO);
    assertEquals(text(await raw.read(5)), "ping\n");
    assertEquals(await raw.write(encoder.encode("a\nb\nc")), 5);
    raw.close();
    await pair.server.shutdown(SHUT_WR);
    const lines: string[] = [];
    for await (const line of f) lines.push(line);
    assertEquals(lines, ["a\n", "b\n", "c"]);
  }
  pair.client.close();
  assertEquals(pair.client.fileno(), -1);
});

Deno.test("bad modes and options fail before any I/O, as CPython's ValueError", async () => {
  await using pair = await connectedPair();
  const s = pair.server;
  assertThrows(() => s.makefile("x"), RangeError, /invalid mode/);
  assertThrows(() => s.makefile("r", { buffering: 0 }), RangeError, /unbuffered/);
  assertThrows(() => s.makefile("r", { newline: "x" }), RangeError, /illegal newline/);
  assertThrows(
    () => s.makefile("r", { encoding: "no-such-codec" }),
    RangeError,
    /unknown encoding/,
  );
  assertThrows(() => s.makefile("r", { errors: "bogus" }), RangeError, /errors/);
  assertThrows(() => s.makefile("r", { buffering: 1.5 }), TypeError, /buffering/);
  const w = s.makefile("wb");
  await assertRejects(w.read(), UnsupportedOperation);
  const r = s.makefile("r");
  await assertRejects(r.write("x"), UnsupportedOperation);
  await w.close();
  await r.close();
  await assertRejects(r.readline(), TypeError, /closed file/);
  s.close();
  assertEquals(s.fileno(), -1, "no reference leaked by the failed calls");
});

Deno.test("encodings: latin-1 both ways, strict UTF-8 errors, replace", async () => {
  await using pair = await connectedPair();
  await using w = pair.client.makefile("wb");
  await w.write(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a, 0xff, 0x0a]));
  await w.flush();
  await using latin = pair.server.makefile("r", { encoding: "latin-1" });
  assertEquals(await latin.readline(), "caf\u00e9\n");
  assertEquals(latin.encoding, "latin-1");
  const strict = new SocketTextFile(
    new SocketFile(new ChunkRaw([new Uint8Array([0xff, 0x0a])]), "rb"),
  );
  await assertRejects(strict.readline(), UnicodeDecodeError);
  const lenient = new SocketTextFile(
    new SocketFile(new ChunkRaw([new Uint8Array([0x61, 0xff, 0x0a])]), "rb"),
    { errors: "replace" },
  );
  assertEquals(await lenient.readline(), "a\ufffd\n");
  assertEquals(await latin.readline(), "\u00ff\n");
});

Deno.test("read(n), read1, readinto, peek on a binary file", async () => {
  await using pair = await connectedPair();
  await using f = pair.server.makefile("rb");
  await pair.client.sendall("0123456789");
  assertEquals(text(await f.read(3)), "012");
  assertEquals(text(await f.peek()), "3456789");
  const buffer = new Uint8Array(4);
  assertEquals(await f.readinto(buffer), 4);
  assertEquals(text(buffer), "3456");
  assertEquals(text(await f.read1()), "789");
  await pair.client.sendall("abc");
  await pair.client.shutdown(SHUT_WR);
  assertEquals(text(await f.read(10)), "abc");
  assertEquals((await f.read()).length, 0);
});

Deno.test("concurrent writes to one file are all sent, in call order", async () => {
  const sent: number[] = [];
  const slow: RawStream = {
    closed: false,
    readinto: () => Promise.resolve(0),
    async write(data) {
      await new Promise((r) => setTimeout(r, 0));
      const n = Math.min(data.length, 3); // short writes too
      sent.push(...data.subarray(0, n));
      return n;
    },
    close() {},
    fileno: () => 1,
  };
  for (const size of [0, 4, 8192]) {
    sent.length = 0;
    const f = new SocketFile(slow, "wb", size);
    const writes = [];
    for (let i = 0; i < 50; i++) writes.push(f.write(new Uint8Array([i, i])));
    await Promise.all(writes);
    await f.flush();
    assertEquals(sent, Array.from({ length: 100 }, (_, k) => k >> 1), `buffer size ${size}`);
  }
});

Deno.test("closing a binary file gives its unread bytes back to the socket, in order", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("HEADER\r\nbody bytes");
  {
    await using f = pair.server.makefile("rb");
    assertEquals(text(await f.readline()), "HEADER\r\n");
  }
  assertEquals(text(await pair.server.recv(100)), "body bytes");
  // A file closed while its read waits: the read completes, the rest goes back.
  const f = pair.server.makefile("rb");
  const pending = f.readline();
  await f.close();
  await pair.client.sendall("line\nafter");
  assertEquals(text(await pending), "line\n");
  assertEquals(text(await pair.server.recv(100)), "after");
  assertEquals(pair.server.fileno() >= 0, true);
});

python.test("a CPython peer's makefile writes are read line by line, and ours by it", async () => {
  const server = socket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  const [, port] = server.getsockname() as [string, number];
  const peer = python(
    `
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as s:
    w = s.makefile("w", newline="\\r\\n", encoding="utf-8")
    w.write("caf\\u00e9\\nsecond line\\nno end"); w.flush(); s.shutdown(socket.SHUT_WR)
    r = s.makefile("r", newline="")
    print([line for line in r])`,
    String(port),
  );
  const [conn] = await server.accept();
  server.close();
  const lines: string[] = [];
  {
    await using f = conn.makefile("rw", { newline: "\r\n" });
    for await (const line of f) lines.push(line);
    await f.write("x\ny\r\nz");
  }
  await conn.shutdown(1);
  conn.close();
  assertEquals(lines, ["caf\u00e9\r\n", "second line\r\n", "no end"]);
  // Ours wrote "x\r\ny\r\r\nz" ("\n" as "\r\n"); CPython splits "y\r" and "\r\n".
  assertEquals((await peer).trim(), "['x\\r\\n', 'y\\r', '\\r\\n', 'z']");
});

Deno.test("readlines, read() and iteration that time out lose no line", async (t) => {
  for (const mode of ["rb", "r"] as const) {
    await t.step(mode, async () => {
      await using pair = await connectedPair();
      await using f = mode === "rb" ? pair.server.makefile("rb") : pair.server.makefile("r");
      pair.server.settimeout(0.05);
      const show = (lines: (string | Uint8Array)[]) =>
        lines.map((l) => typeof l === "string" ? l : text(l));
      await pair.client.sendall("l1\nl2\npart");
      // The lines read before the timeout go back to the file.
      await assertRejects(f.readlines(), TimeoutError);
      await assertRejects(f.read(), TimeoutError);
      const seen: string[] = [];
      await assertRejects(async () => {
        for await (const line of f) seen.push(show([line])[0]);
      }, TimeoutError);
      assertEquals(seen, ["l1\n", "l2\n"]); // iteration hands out lines as they come
      await pair.client.sendall("ial\nl4\n");
      await pair.client.shutdown(SHUT_WR);
      assertEquals(show(await f.readlines()), ["partial\n", "l4\n"]);
    });
  }
});

Deno.test("a readline's timeout bounds each receive, as CPython's SocketIO: a trickle completes", async () => {
  await using pair = await connectedPair();
  await using f = pair.server.makefile("r");
  pair.server.settimeout(5);
  const reading = f.readline();
  for (const piece of ["a", "b", "c", "\n"]) await pair.client.sendall(piece);
  assertEquals(await reading, "abc\n");
});

Deno.test("a makefile() that fails leaves no hold on the socket: close() closes it", async () => {
  const server = socket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  const address = server.getsockname() as [string, number];
  for (
    const options of [
      { buffering: 2 ** 53 },
      { buffering: 2 ** 40 },
      { buffering: 2 ** 63 },
      { encoding: "no-such-codec" },
      { errors: "nope" },
    ]
  ) {
    const mode = "buffering" in options ? "rb" : "r";
    assertThrows(() => server.makefile(mode, options), Error);
  }
  server.close();
  assertEquals(server.fileno(), -1);
  // The port is free: nothing accepts there any more.
  const probe = socket();
  const code = await probe.connect_ex(address);
  probe.close();
  assertEquals(code, 111);
});

// Byte sequences that are not UTF-8, each a different kind of error.
const INVALID_UTF8: number[][] = [
  [0x61, 0xff, 0x62], // invalid start byte
  [0x61, 0xe2, 0x82], // truncated at the end of the stream
  [0xe2, 0x82, 0x41, 0x0a], // truncated, then ASCII
  [0xed, 0xa0, 0x80, 0x0a], // an encoded surrogate
  [0xed, 0xbf, 0xbf, 0xed, 0xa0, 0x80], // two surrogates
  [0xf0, 0x9f, 0x98, 0x80, 0x0a], // valid: an emoji
  [0xf0, 0x9f, 0x98, 0x0a], // truncated four-byte
  [0xc0, 0xaf, 0xe0, 0x80, 0x80], // overlong forms
  [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  [0xef, 0xbb, 0xbf, 0x41, 0x80, 0x80], // a BOM, then stray continuation bytes
  [0xc3, 0xa9, 0xe2], // valid, then truncated
  [0x61, 0xe2, 0x28, 0xa1, 0x0a],
];
const HANDLERS = [
  "strict",
  "ignore",
  "replace",
  "backslashreplace",
  "surrogateescape",
  "surrogatepass",
];

python.test("makefile('r', { errors }) decodes invalid UTF-8 as CPython, for every handler", async () => {
  // CPython's makefile over a socketpair: the text, as code points, or null
  // for UnicodeDecodeError.
  const expected = JSON.parse(
    await python(
      `
import json, socket, sys
cases, handlers = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = {}
for h in handlers:
    row = []
    for case in cases:
        a, b = socket.socketpair()
        a.sendall(bytes(case)); a.close()
        f = b.makefile("r", errors=h, newline="")
        try:
            row.append([ord(c) for c in f.read()])
        except UnicodeDecodeError:
            row.append(None)
        f.close(); b.close()
    out[h] = row
print(json.dumps(out))`,
      JSON.stringify(INVALID_UTF8),
      JSON.stringify(HANDLERS),
    ),
  ) as Record<string, (number[] | null)[]>;
  for (const errors of HANDLERS) {
    for (const [i, bytes] of INVALID_UTF8.entries()) {
      // Whole, and one byte per receive: the same text.
      for (const chunked of [false, true]) {
        const chunks = chunked ? bytes.map((b) => new Uint8Array([b])) : [new Uint8Array(bytes)];
        const f = new SocketTextFile(new SocketFile(new ChunkRaw(chunks), "rb"), {
          errors,
          newline: "",
        });
        let got: number[] | null;
        try {
          got = [...await f.read()].flatMap((c) => {
            // Lone surrogates are one code unit each, as Python's str.
            const units: number[] = [];
            for (let k = 0; k < c.length; k++) units.push(c.charCodeAt(k));
            return c.length === 2 && c.codePointAt(0)! > 0xffff ? [c.codePointAt(0)!] : units;
          });
        } catch (e) {
          assertInstanceOf(e, UnicodeDecodeError);
          got = null;
        }
        assertEquals(got, expected[errors][i], `${errors} case ${i} chunked ${chunked}`);
      }
    }
  }
});

python.test("an unknown error handler is a LookupError naming it, before any I/O", async () => {
  await using pair = await connectedPair();
  const error = assertThrows(() => pair.server.makefile("r", { errors: "bogus" }), LookupError);
  assertEquals(error.message, "makefile(): errors: unknown error handler name 'bogus'");
  // CPython's own wording, at its first decode.
  const py = await python(
    `
try:
    b"\\xff".decode("utf-8", "bogus")
except LookupError as e:
    print(e)`,
  );
  assert(error.message.endsWith(py.trim()), py);
});

Deno.test("surrogateescape and surrogatepass write back what they read", async () => {
  await using pair = await connectedPair();
  for (const errors of ["surrogateescape", "surrogatepass", "backslashreplace"]) {
    await using out = pair.client.makefile("w", { errors });
    const text = errors === "surrogateescape" ? "a\udcff\n" : "a\ud800\n";
    await out.write(text);
    await out.flush();
    const got = await pair.server.recv(16);
    const want = errors === "surrogateescape"
      ? [0x61, 0xff, 0x0a]
      : errors === "surrogatepass"
      ? [0x61, 0xed, 0xa0, 0x80, 0x0a]
      : [...new TextEncoder().encode("a\\ud800\n")];
    assertEquals([...got], want, errors);
  }
});

Deno.test("lines a caller keeps stay intact; transferring one's buffer loses no unread byte", async () => {
  const data = encoder.encode("one\ntwo\nthree\nfour\n");
  const f = new SocketFile(new ChunkRaw([data]), "rb");
  const one = await f.readline();
  const two = await f.readline();
  assertEquals(text(one), "one\n");
  // The read buffer is never handed out: writing into a result, or
  // transferring the ArrayBuffer behind it, leaves what is not yet read.
  one.fill(0x21);
  assertEquals(text(one), "!!!!");
  assertEquals(text(two), "two\n");
  two.buffer.transfer();
  assertEquals(two.length, 0);
  assertEquals(text(await f.readline()), "three\n");
  assertEquals(text(await f.readline()), "four\n");
  assertEquals((await f.readline()).length, 0);
});

/**
 * A raw stream that records what it sends (one byte a call when `oneByte`)
 * and, the first time `failNow()` says so, throws a TimeoutError instead.
 */
function flakyRaw(sent: number[], failNow: () => boolean, oneByte: boolean): RawStream {
  let failed = false;
  return {
    closed: false,
    readinto: () => Promise.resolve(0),
    async write(data) {
      await Promise.resolve();
      if (!failed && failNow()) {
        failed = true;
        throw new TimeoutError();
      }
      if (oneByte) {
        sent.push(data[0]);
        return 1;
      }
      sent.push(...data);
      return data.length;
    },
    close() {},
    fileno: () => 1,
  };
}

Deno.test("an unbuffered write that fails part way keeps the rest ahead of later writes", async () => {
  const sent: number[] = [];
  const f = new SocketFile(flakyRaw(sent, () => sent.length >= 2, true), "wb", 0);
  const first = f.write(new Uint8Array([1, 2, 3, 4]));
  const second = f.write(new Uint8Array([5, 6])); // queued while the first is in flight
  await assertRejects(() => first, TimeoutError);
  await second;
  await f.flush();
  assertEquals(sent, [1, 2, 3, 4, 5, 6]);
});

Deno.test("an unbuffered write whose first send fails keeps it all ahead of later writes", async () => {
  const sent: number[] = [];
  const f = new SocketFile(flakyRaw(sent, () => true, false), "wb", 0);
  const first = f.write(new Uint8Array([1, 2, 3]));
  const second = f.write(new Uint8Array([4, 5])); // queued while the first is in flight
  await assertRejects(() => first, TimeoutError);
  assertEquals(await second, 2);
  await f.flush();
  assertEquals(sent, [1, 2, 3, 4, 5]);
  // The lock was let go: the next write goes straight out again.
  assertEquals(await f.write(new Uint8Array([6])), 1);
  assertEquals(sent, [1, 2, 3, 4, 5, 6]);
});

Deno.test("a raw layer that throws instead of rejecting: write and flush reject, nothing is lost", async () => {
  const sent: number[] = [];
  let fail = 2;
  const raw: RawStream = {
    closed: false,
    readinto: () => Promise.resolve(0),
    write(data) {
      if (fail-- > 0) throw new TimeoutError();
      sent.push(...data);
      return Promise.resolve(data.length);
    },
    close() {},
    fileno: () => 1,
  };
  const unbuffered = new SocketFile(raw, "wb", 0);
  const first = unbuffered.write(new Uint8Array([1, 2]));
  assertInstanceOf(first, Promise);
  await assertRejects(() => first, TimeoutError);
  const buffered = new SocketFile(raw, "wb", 64);
  await buffered.write(new Uint8Array([3]));
  const flushed = buffered.flush();
  assertInstanceOf(flushed, Promise);
  await assertRejects(() => flushed, TimeoutError);
  await unbuffered.flush();
  await buffered.flush();
  assertEquals(sent, [1, 2, 3]);
});

Deno.test("a write that goes straight out sends the bytes as they were at the call", async () => {
  const sent: number[] = [];
  const raw: RawStream = {
    closed: false,
    readinto: () => Promise.resolve(0),
    async write(data) {
      await new Promise((r) => setTimeout(r, 0));
      sent.push(data[0]); // one byte a call: the rest is read later
      return 1;
    },
    close() {},
    fileno: () => 1,
  };
  for (const size of [0, 4]) {
    sent.length = 0;
    const f = new SocketFile(raw, "wb", size);
    const data = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const done = f.write(data);
    data.fill(0);
    await done;
    await f.flush();
    assertEquals(sent, [1, 2, 3, 4, 5, 6], `buffer size ${size}`);
  }
});

Deno.test("an unbuffered file over a socket, blocking or timed, sends every write, in order", async () => {
  for (const timeout of [null, 5]) {
    await unbufferedWrites(timeout);
  }
});

async function unbufferedWrites(timeout: number | null): Promise<void> {
  await using pair = await connectedPair();
  pair.client.settimeout(timeout);
  const f = new SocketFile(new SocketIO(pair.client, "wb"), "wb", 0);
  const payload = new Uint8Array(1 << 20).map((_, i) => i % 251);
  const reading = (async () => {
    const got = new Uint8Array(payload.length + 3);
    let n = 0;
    while (n < got.length) n += await pair.server.recv_into(got.subarray(n));
    return got;
  })();
  const sent = payload.slice();
  const writes = Promise.all([f.write(sent), f.write(new Uint8Array([7, 8, 9]))]);
  // Over a timed socket a send may go on after its call returns: the file
  // sends a copy, so the caller may reuse its array once its write settles.
  if (timeout !== null) await writes.then(() => sent.fill(0));
  await writes;
  const got = await reading;
  assertEquals(got.subarray(0, payload.length), payload, `timeout ${timeout}`);
  assertEquals([...got.subarray(payload.length)], [7, 8, 9]);
  await f.close();
}

python.test("binary readline(limit) over any split matches CPython's BufferedReader", async () => {
  // Long and short lines, around the 128-byte scan and the 1 KiB copy sizes.
  const data = encoder.encode(
    ["a\n", "\n", "b".repeat(127) + "\n", "c".repeat(130) + "\n", "d".repeat(1100) + "\n", "tail"]
      .join(""),
  );
  const limits = [-1, 0, 1, 5, 128, 129, 1024, 2000];
  const py = JSON.parse(
    await python(
      `
import io, json, sys
data = sys.argv[1].encode()
out = {}
for limit in ${JSON.stringify(limits)}:
    r = io.BufferedReader(io.BytesIO(data), 64)
    lines = []
    for _ in range(4000):
        line = r.readline(limit)
        if not line and limit != 0: break
        lines.append(len(line))
        if limit == 0 and len(lines) > 3: break
    out[str(limit)] = lines
print(json.dumps(out))`,
      text(data),
    ),
  ) as Record<string, number[]>;
  for (const split of [1, 7, 64, 200, data.length]) {
    for (const limit of limits) {
      const chunks = [];
      for (let i = 0; i < data.length; i += split) chunks.push(data.subarray(i, i + split));
      const f = new SocketFile(new ChunkRaw(chunks), "rb", 64);
      const got: number[] = [];
      const joined: number[] = [];
      for (let k = 0; k < 4000; k++) {
        const line = await f.readline(limit);
        if (line.length === 0 && limit !== 0) break;
        got.push(line.length);
        joined.push(...line);
        if (limit === 0 && got.length > 3) break;
      }
      assertEquals(got, py[String(limit)], `split ${split}, limit ${limit}`);
      if (limit !== 0) assertEquals(joined, [...data], `split ${split}, limit ${limit}`);
    }
  }
});

python.test("text writes in every writable codec match CPython's TextIOWrapper, bytes and counts", async () => {
  const cases: [string, string | null, string[]][] = [
    ["utf-8", null, ["", "plain\n", "h\u00e9llo \u{1F600}\n", "x".repeat(1500), "end"]],
    ["utf-8-sig", null, ["", "ascii first\n", "then \u00e9\n"]],
    ["utf-8-sig", null, ["\u00e9 first\n", "then ascii\n"]],
    ["latin-1", "\r\n", ["a\nb\n", "\u00ff\n", ""]],
    ["ascii", "\r", ["one\ntwo\n", "x".repeat(1025)]],
  ];
  const py = JSON.parse(
    await python(
      `
import io, json, sys
out = []
for encoding, newline, writes in json.loads(sys.argv[1]):
    raw = io.BytesIO()
    f = io.TextIOWrapper(raw, encoding=encoding, newline=newline, write_through=True)
    counts = [f.write(w) for w in writes]
    f.flush()
    out.append([list(raw.getvalue()), counts])
print(json.dumps(out))`,
      JSON.stringify(cases),
    ),
  ) as [number[], number[]][];
  for (const [i, [encoding, newline, writes]] of cases.entries()) {
    const sent: number[] = [];
    const raw: RawStream = {
      closed: false,
      readinto: () => Promise.resolve(0),
      write(data) {
        sent.push(...data);
        return Promise.resolve(data.length);
      },
      close() {},
      fileno: () => 1,
    };
    const f = new SocketTextFile(new SocketFile(raw, "wb"), { encoding, newline });
    const counts = [];
    for (const w of writes) counts.push(await f.write(w));
    await f.flush();
    assertEquals([sent, counts], py[i], `${encoding} ${JSON.stringify(newline)}`);
  }
});
