/**
 * errors.ts: Python's class hierarchy, the errno tables per platform
 * (Linux's checked against CPython's `errno` module), the errno → class
 * choice (checked against CPython's `OSError(errno, …)`), and `toOSError`
 * on every kind of Deno error, including a missing permission in a child
 * `deno run` with no `--allow-net`.
 */

import {
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  DARWIN_ERRNO,
  errno,
  type ErrnoName,
  error,
  errorcode,
  FileNotFoundError,
  fromErrno,
  gaierror,
  LINUX_ERRNO,
  OSError,
  PermissionError,
  strerror,
  timeout,
  TimeoutError,
  toOSError,
  WINDOWS_ERRNO,
} from "@seed/socket/errors";
import * as mod from "@seed/socket";
import { assert, assertEquals, assertMatch, listening, python } from "./_util.ts";

const NAMES = Object.keys(LINUX_ERRNO) as ErrnoName[];

Deno.test("the class hierarchy is Python's, each class with its own name", () => {
  const tree: [new (code: number | null) => OSError, (abstract new (...a: never[]) => Error)[]][] =
    [
      [ConnectionRefusedError, [ConnectionError, OSError, Error]],
      [ConnectionResetError, [ConnectionError, OSError, Error]],
      [ConnectionAbortedError, [ConnectionError, OSError, Error]],
      [BrokenPipeError, [ConnectionError, OSError, Error]],
      [ConnectionError, [OSError, Error]],
      [TimeoutError, [OSError, Error]],
      [BlockingIOError, [OSError, Error]],
      [PermissionError, [OSError, Error]],
      [FileNotFoundError, [OSError, Error]],
      [gaierror, [OSError, Error]],
      [OSError, [Error]],
    ];
  for (const [cls, parents] of tree) {
    const err = new cls(1);
    assertEquals(err.name, cls.name);
    for (const parent of parents) assert(err instanceof parent, `${cls.name} < ${parent.name}`);
  }
  assert(!(new TimeoutError() instanceof ConnectionError));
  assert(!(new BlockingIOError(errno.EAGAIN) instanceof ConnectionError));
  // Python's aliases: socket.timeout is TimeoutError, socket.error is OSError.
  assertEquals(timeout, TimeoutError);
  assertEquals(error, OSError);
  assertEquals(mod.timeout, TimeoutError);
  assertEquals(mod.error, OSError);
  // The same classes are exported from mod.ts.
  assertEquals(mod.OSError, OSError);
  assertEquals(mod.TimeoutError, TimeoutError);
  assertEquals(mod.errno, errno);
});

Deno.test("OSError carries errno, strerror, Python's message and the cause", () => {
  const cause = new Error("deno's own");
  const err = new OSError(errno.ECONNREFUSED, null, { cause, detail: "127.0.0.1:9" });
  assertEquals(err.errno, errno.ECONNREFUSED);
  assertEquals(err.strerror, "Connection refused");
  assertEquals(err.message, `[Errno ${errno.ECONNREFUSED}] Connection refused: 127.0.0.1:9`);
  assertEquals(err.cause, cause);
  assertEquals(new OSError(errno.EBADF).message, `[Errno ${errno.EBADF}] Bad file descriptor`);
  assertEquals(new OSError(5, "custom").strerror, "custom");
  // socket.timeout: no errno, message "timed out".
  const timeout = new TimeoutError();
  assertEquals([timeout.errno, timeout.strerror, timeout.message], [
    null,
    "timed out",
    "timed out",
  ]);
  assertEquals(strerror(errno.ECONNRESET), "Connection reset by peer");
  assertEquals(errorcode(errno.EPIPE), "EPIPE");
  assertEquals(errorcode(123456), undefined);
});

python.test("errno: Linux's table is CPython's errno module; errno is the running platform's", async () => {
  if (Deno.build.os === "linux") {
    const py = JSON.parse(
      await python(
        "import errno, json, sys; print(json.dumps({n: getattr(errno, n) for n in sys.argv[1:]}))",
        ...NAMES,
      ),
    );
    assertEquals({ ...LINUX_ERRNO }, py);
    assertEquals(errno, LINUX_ERRNO);
    assertEquals(errno.ECONNREFUSED, 111);
  }
  const expected = Deno.build.os === "darwin"
    ? DARWIN_ERRNO
    : Deno.build.os === "windows"
    ? WINDOWS_ERRNO
    : LINUX_ERRNO;
  assertEquals(errno, expected);
});

Deno.test("errno: macOS and Windows tables hold their platforms' numbers", () => {
  const darwin: Partial<Record<ErrnoName, number>> = {
    EAGAIN: 35,
    EINPROGRESS: 36,
    EALREADY: 37,
    ENOPROTOOPT: 42,
    EOPNOTSUPP: 102,
    EAFNOSUPPORT: 47,
    EADDRINUSE: 48,
    EADDRNOTAVAIL: 49,
    ECONNABORTED: 53,
    ECONNRESET: 54,
    EISCONN: 56,
    ENOTCONN: 57,
    ETIMEDOUT: 60,
    ECONNREFUSED: 61,
    EBADF: 9,
    EINVAL: 22,
    EPIPE: 32,
  };
  const windows: Partial<Record<ErrnoName, number>> = {
    EWOULDBLOCK: 10035,
    EINPROGRESS: 10036,
    EALREADY: 10037,
    ENOPROTOOPT: 10042,
    EAFNOSUPPORT: 10047,
    EADDRINUSE: 10048,
    EADDRNOTAVAIL: 10049,
    ECONNABORTED: 10053,
    ECONNRESET: 10054,
    EISCONN: 10056,
    ENOTCONN: 10057,
    ETIMEDOUT: 10060,
    ECONNREFUSED: 10061,
    EBADF: 9,
    EINVAL: 22,
  };
  for (const [name, value] of Object.entries(darwin)) {
    assertEquals(DARWIN_ERRNO[name as ErrnoName], value, `darwin ${name}`);
  }
  for (const [name, value] of Object.entries(windows)) {
    assertEquals(WINDOWS_ERRNO[name as ErrnoName], value, `windows ${name}`);
  }
  for (const table of [LINUX_ERRNO, DARWIN_ERRNO, WINDOWS_ERRNO]) {
    assert(Object.isFrozen(table));
    assertEquals(Object.keys(table).sort(), [...NAMES].sort());
  }
});

python.test("fromErrno picks the class CPython's OSError(errno, …) picks", async () => {
  const ours = new Set([
    "OSError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "ConnectionAbortedError",
    "BrokenPipeError",
    "TimeoutError",
    "BlockingIOError",
    "PermissionError",
    "FileNotFoundError",
  ]);
  let expected: Record<string, string>;
  if (Deno.build.os === "linux") {
    expected = JSON.parse(
      await python(
        "import errno, json, sys\n" +
          "print(json.dumps({n: type(OSError(getattr(errno, n), 'x')).__name__ for n in sys.argv[1:]}))",
        ...NAMES,
      ),
    );
  } else {
    return; // CPython's classes are the same everywhere; Linux checks the table.
  }
  for (const name of NAMES) {
    const err = fromErrno(errno[name], { detail: "here" });
    const want = ours.has(expected[name]) ? expected[name] : "OSError";
    assertEquals(err.name, want, `${name} (${errno[name]})`);
    assertEquals(err.errno, errno[name]);
    assertMatch(err.message, /: here$/);
  }
});

Deno.test("toOSError maps every Deno error class to its errno and keeps it as cause", () => {
  const E = Deno.errors;
  const table: [Error, string, number][] = [
    [new E.ConnectionRefused("x"), "ConnectionRefusedError", errno.ECONNREFUSED],
    [new E.ConnectionReset("x"), "ConnectionResetError", errno.ECONNRESET],
    [new E.ConnectionAborted("x"), "ConnectionAbortedError", errno.ECONNABORTED],
    [new E.BrokenPipe("x"), "BrokenPipeError", errno.EPIPE],
    [new E.TimedOut("x"), "TimeoutError", errno.ETIMEDOUT],
    [new E.WouldBlock("x"), "BlockingIOError", errno.EAGAIN],
    [new E.PermissionDenied("x"), "PermissionError", errno.EACCES],
    [new E.NotFound("x"), "FileNotFoundError", errno.ENOENT],
    [new E.AddrInUse("x"), "OSError", errno.EADDRINUSE],
    [new E.AddrNotAvailable("x"), "OSError", errno.EADDRNOTAVAIL],
    [new E.NotConnected("x"), "OSError", errno.ENOTCONN],
    [new E.BadResource("x"), "OSError", errno.EBADF],
    [new E.Interrupted("x"), "OSError", errno.EINTR],
    [new E.AlreadyExists("x"), "OSError", errno.EEXIST],
    [new E.InvalidData("x"), "OSError", errno.EINVAL],
    [new E.NetworkUnreachable("x"), "OSError", errno.ENETUNREACH],
  ];
  for (const [denoError, name, code] of table) {
    const err = toOSError(denoError, { address: "127.0.0.1:80" });
    assertEquals(err.name, name, denoError.name);
    assertEquals(err.errno, code, denoError.name);
    assertEquals(err.cause, denoError);
    assertMatch(err.message, /127\.0\.0\.1:80/);
  }
  // A POSIX name in `.code` wins (Deno sets it on I/O errors).
  const coded = Object.assign(new Error("reset"), { code: "ECONNRESET" });
  assertEquals(toOSError(coded).name, "ConnectionResetError");
  // An OSError passes through untouched; anything else still becomes one.
  const same = new OSError(errno.EBADF);
  assertEquals(toOSError(same), same);
  const odd = toOSError("a string");
  assert(odd instanceof OSError);
  assertEquals(odd.cause, "a string");
  const numbered = toOSError(new Error("Something odd (os error 71)"));
  assertEquals(numbered.errno, 71);
  const lookup = toOSError(
    new Error("failed to lookup address information: Name or service not known"),
  );
  assert(lookup instanceof gaierror);
});

Deno.test("toOSError: a missing permission is PermissionError naming the --allow-* entry", () => {
  const net = toOSError(
    new Deno.errors.NotCapable(
      'Requires net access to "10.0.0.1:8080", run again with the --allow-net flag',
    ),
  );
  assert(net instanceof PermissionError);
  assertEquals(net.errno, errno.EACCES);
  assertMatch(net.message, /--allow-net=10\.0\.0\.1:8080/);
  const unix = toOSError(
    new Deno.errors.NotCapable('Requires net access to "unix:/tmp/x.sock"'),
  );
  assertMatch(unix.message, /--allow-net=unix:\/tmp\/x\.sock/);
  assertMatch(unix.message, /--allow-read=\/tmp\/x\.sock/);
  assertMatch(unix.message, /--allow-write=\/tmp\/x\.sock/);
});

Deno.test("a real refused connect maps to ConnectionRefusedError with Deno's error as cause", async () => {
  const { server, address } = listening();
  server.close();
  const err = await Deno.connect({ hostname: address[0], port: address[1] }).then(
    (conn) => {
      conn.close();
      throw new Error("connected?");
    },
    (e) => toOSError(e, { address: `${address[0]}:${address[1]}` }),
  );
  assert(err instanceof ConnectionRefusedError);
  assertEquals(err.errno, errno.ECONNREFUSED);
  assert(err.cause instanceof Deno.errors.ConnectionRefused);
});

Deno.test("without --allow-net, bind and connect raise PermissionError naming --allow-net=HOST:PORT", async () => {
  const { server, address } = listening();
  using _server = server;
  const port = address[1];
  const child = new URL("./_no_net_child.ts", import.meta.url).pathname;
  const out = await new Deno.Command("deno", {
    args: ["run", "--no-config", "--no-prompt", "--quiet", child, String(port)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.success, `child failed: ${stderr}`);
  const results = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(results.map((r) => r.op), ["bind", "connect", "connect_ex"]);
  const [bind, connect, connectEx] = results;
  for (const r of results) {
    assertEquals(r.ok, false, r.op);
    assertEquals(r.name, "PermissionError", r.op);
    assertEquals(r.errno, 13, r.op);
    assertEquals(r.cause, "NotCapable", r.op);
  }
  assertMatch(bind.message, /--allow-net=127\.0\.0\.1:0\b/);
  assertMatch(connect.message, new RegExp(`--allow-net=127\\.0\\.0\\.1:${port}\\b`));
  assertMatch(connectEx.message, new RegExp(`--allow-net=127\\.0\\.0\\.1:${port}\\b`));
});
