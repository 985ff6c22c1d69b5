/**
 * Hostile input, table-driven: wrong ports, hosts, address shapes for each
 * family, data types, flags, option values, buffer sizes, calls in the
 * wrong state and after close. Each row names the error class, the errno
 * where Python gives one and a pattern the message must match (the
 * argument's name). Rows with a Python snippet are cross-checked against
 * CPython in one python3 run: same errno, and the same kind of error.
 */

import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  BlockingIOError,
  BrokenPipeError,
  create_connection,
  create_server,
  DefaultSelector,
  EVENT_READ,
  gaierror,
  inet_ntoa,
  IPPROTO_TCP,
  LookupError,
  MSG_PEEK,
  OSError,
  OverflowError,
  type RawStream,
  select,
  setdefaulttimeout,
  SO_REUSEADDR,
  SO_TYPE,
  SOCK_DGRAM,
  SOCK_STREAM,
  type Socket,
  socket,
  SocketFile,
  SOL_SOCKET,
  TCP_NODELAY,
} from "@seed/socket";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
  python,
  runWithInput,
} from "./_util.ts";

/** The sockets a row may use, made fresh for each row. */
interface Context {
  /** A fresh unconnected AF_INET stream socket. */
  s: Socket;
  /** A fresh AF_INET6 stream socket. */
  s6: Socket;
  /** A fresh AF_UNIX stream socket. */
  u: Socket;
  /** A connected client (its server is `l`). */
  c: Socket;
  /** A listening socket on 127.0.0.1. */
  l: Socket;
  /** A closed socket. */
  x: Socket;
}

type ErrorClass = abstract new (...args: never[]) => Error;

interface Row {
  /** What is wrong. */
  name: string;
  /** The wrong call (may return a promise). */
  call: (k: Context) => unknown;
  /** The class this library throws. */
  error: ErrorClass;
  /** The errno this library (and Python, when `py` is given) reports. */
  errno?: number;
  /** A pattern of the message: the argument's name. */
  match: RegExp;
  /** The same call in Python, with the same names (`s`, `s6`, `u`, `c`, `l`, `x`). */
  py?: string;
}

const rows: Row[] = [
  // ---- ports
  {
    name: "bind port -1",
    call: (k) => k.s.bind(["127.0.0.1", -1]),
    error: RangeError,
    match: /port/,
    py: `s.bind(("127.0.0.1", -1))`,
  },
  {
    name: "bind port 65536",
    call: (k) => k.s.bind(["127.0.0.1", 65536]),
    error: RangeError,
    match: /port/,
    py: `s.bind(("127.0.0.1", 65536))`,
  },
  {
    name: "connect port 70000",
    call: (k) => k.s.connect(["127.0.0.1", 70000]),
    error: RangeError,
    match: /port/,
    py: `s.connect(("127.0.0.1", 70000))`,
  },
  {
    name: "port as a string",
    call: (k) => k.s.bind(["127.0.0.1", "80" as unknown as number]),
    error: TypeError,
    match: /port/,
    py: `s.bind(("127.0.0.1", "80"))`,
  },
  {
    name: "fractional port",
    call: (k) => k.s.connect(["127.0.0.1", 1.5]),
    error: RangeError,
    match: /port/,
  },
  { name: "NaN port", call: (k) => k.s.bind(["127.0.0.1", NaN]), error: RangeError, match: /port/ },
  {
    name: "AF_INET6 port -5",
    call: (k) => k.s6.bind(["::1", -5]),
    error: RangeError,
    match: /port/,
    py: `s6.bind(("::1", -5))`,
  },
  // ---- hosts
  {
    name: "host as a number",
    call: (k) => k.s.bind([123 as unknown as string, 0]),
    error: TypeError,
    match: /host/,
    py: `s.bind((123, 0))`,
  },
  {
    name: "host null",
    call: (k) => k.s.connect([null as unknown as string, 80]),
    error: TypeError,
    match: /host/,
  },
  {
    name: "IPv6 host on an AF_INET socket",
    call: (k) => k.s.connect(["::1", 80]),
    error: gaierror,
    errno: -9,
    match: /Address family|IPv6/,
    py: `s.connect(("::1", 80))`,
  },
  {
    name: "IPv4 host on an AF_INET6 socket",
    call: (k) => k.s6.connect(["127.0.0.1", 80]),
    error: gaierror,
    errno: -9,
    match: /Address family|IPv4/,
    py: `s6.connect(("127.0.0.1", 80))`,
  },
  // ---- address shapes, per family
  {
    name: "AF_INET address as a string",
    call: (k) => k.s.bind("127.0.0.1" as unknown as [string, number]),
    error: TypeError,
    match: /address/,
    py: `s.bind("127.0.0.1")`,
  },
  {
    name: "AF_INET address of one item",
    call: (k) => k.s.connect(["127.0.0.1"] as unknown as [string, number]),
    error: TypeError,
    match: /address/,
    py: `s.connect(("127.0.0.1",))`,
  },
  {
    name: "AF_INET address of three items",
    call: (k) => k.s.bind(["127.0.0.1", 0, 0] as unknown as [string, number]),
    error: TypeError,
    match: /address/,
    py: `s.bind(("127.0.0.1", 0, 0))`,
  },
  {
    name: "address null",
    call: (k) => k.s.bind(null as unknown as [string, number]),
    error: TypeError,
    match: /address/,
    py: `s.bind(None)`,
  },
  {
    name: "AF_INET6 address of five items",
    call: (k) => k.s6.bind(["::1", 0, 0, 0, 0] as unknown as [string, number]),
    error: TypeError,
    match: /address/,
    py: `s6.bind(("::1", 0, 0, 0, 0))`,
  },
  {
    name: "AF_INET6 flowinfo -1",
    call: (k) => k.s6.bind(["::1", 0, -1]),
    error: RangeError,
    match: /flowinfo/,
    py: `s6.bind(("::1", 0, -1))`,
  },
  {
    name: "AF_INET6 flowinfo over 20 bits",
    call: (k) => k.s6.bind(["::1", 0, 0x100000]),
    error: RangeError,
    match: /flowinfo/,
    py: `s6.bind(("::1", 0, 0x100000))`,
  },
  {
    name: "AF_INET6 scope_id a string",
    call: (k) => k.s6.bind(["::1", 0, 0, "x" as unknown as number]),
    error: TypeError,
    match: /scope_id/,
    py: `s6.bind(("::1", 0, 0, "x"))`,
  },
  {
    name: "AF_UNIX address as a tuple",
    call: (k) => k.u.connect(["a", 1]),
    error: TypeError,
    match: /AF_UNIX|path/,
    py: `u.connect(("a", 1))`,
  },
  {
    name: "AF_UNIX path too long",
    call: (k) => k.u.bind("/tmp/" + "x".repeat(200)),
    error: RangeError,
    match: /path too long/,
    py: `u.bind("/tmp/" + "x" * 200)`,
  },
  {
    name: "AF_UNIX path with NUL (abstract namespace)",
    call: (k) => k.u.bind("\0abstract"),
    error: TypeError,
    match: /path/,
  },
  {
    name: "AF_UNIX empty path",
    call: (k) => k.u.connect(""),
    error: TypeError,
    match: /path/,
  },
  // ---- data
  {
    name: "send a number",
    call: (k) => k.c.send(123 as unknown as string),
    error: TypeError,
    match: /data/,
    py: `c.send(123)`,
  },
  {
    name: "sendall an object",
    call: (k) => k.c.sendall({} as unknown as string),
    error: TypeError,
    match: /data/,
    py: `c.sendall({})`,
  },
  {
    name: "sendall an array of numbers",
    call: (k) => k.c.sendall([1, 2, 3] as unknown as string),
    error: TypeError,
    match: /data/,
    py: `c.sendall([1, 2, 3])`,
  },
  {
    name: "send null",
    call: (k) => k.c.send(null as unknown as string),
    error: TypeError,
    match: /data/,
    py: `c.send(None)`,
  },
  // ---- flags
  { name: "recv flags -1", call: (k) => k.c.recv(1, -1), error: RangeError, match: /flags/ },
  {
    name: "recv unsupported flag MSG_OOB",
    call: (k) => k.c.recv(1, 1),
    error: RangeError,
    match: /flags/,
  },
  {
    name: "recv fractional flags",
    call: (k) => k.c.recv(1, 1.5),
    error: TypeError,
    match: /flags/,
    py: `c.recv(1, 1.5)`,
  },
  {
    name: "recv flags as a string",
    call: (k) => k.c.recv(1, "0" as unknown as number),
    error: TypeError,
    match: /flags/,
    py: `c.recv(1, "0")`,
  },
  {
    name: "send with MSG_PEEK",
    call: (k) => k.c.send("x", MSG_PEEK),
    error: RangeError,
    match: /flags/,
  },
  {
    name: "signal that is not an AbortSignal",
    call: (k) => k.c.recv(1, { signal: "stop" as unknown as AbortSignal }),
    error: TypeError,
    match: /signal/,
  },
  // ---- option values and timeouts
  {
    name: "setsockopt value a string",
    call: (k) => k.s.setsockopt(SOL_SOCKET, SO_REUSEADDR, "yes" as unknown as number),
    error: TypeError,
    match: /value/,
    py: `s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, "yes")`,
  },
  {
    name: "setsockopt level a string",
    call: (k) => k.s.setsockopt("1" as unknown as number, SO_REUSEADDR, 1),
    error: TypeError,
    match: /level/,
    py: `s.setsockopt("1", socket.SO_REUSEADDR, 1)`,
  },
  {
    name: "setsockopt unknown option",
    call: (k) => k.s.setsockopt(SOL_SOCKET, 9999, 1),
    error: OSError,
    errno: 92,
    match: /Protocol not available/,
    py: `s.setsockopt(socket.SOL_SOCKET, 9999, 1)`,
  },
  {
    name: "setsockopt read-only SO_TYPE",
    call: (k) => k.s.setsockopt(SOL_SOCKET, SO_TYPE, 1),
    error: OSError,
    errno: 92,
    match: /Protocol not available/,
    py: `s.setsockopt(socket.SOL_SOCKET, socket.SO_TYPE, 1)`,
  },
  {
    name: "getsockopt option a string",
    call: (k) => k.s.getsockopt(IPPROTO_TCP, "1" as unknown as number),
    error: TypeError,
    match: /option/,
    py: `s.getsockopt(socket.IPPROTO_TCP, "1")`,
  },
  {
    name: "TCP_NODELAY on AF_UNIX",
    call: (k) => k.u.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1),
    error: OSError,
    errno: 95,
    match: /not supported/,
    py: `u.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)`,
  },
  {
    name: "settimeout negative",
    call: (k) => k.s.settimeout(-1),
    error: RangeError,
    match: /timeout/,
    py: `s.settimeout(-1)`,
  },
  {
    name: "settimeout a string",
    call: (k) => k.s.settimeout("1" as unknown as number),
    error: TypeError,
    match: /timeout/,
    py: `s.settimeout("1")`,
  },
  {
    name: "settimeout NaN",
    call: (k) => k.s.settimeout(NaN),
    error: TypeError,
    match: /timeout/,
  },
  {
    name: "setdefaulttimeout negative",
    call: () => setdefaulttimeout(-5),
    error: RangeError,
    match: /timeout/,
    py: `socket.setdefaulttimeout(-5)`,
  },
  // ---- socket()
  {
    name: "unknown family",
    call: () => socket(99),
    error: OSError,
    errno: 97,
    match: /Address family not supported/,
    py: `socket.socket(99)`,
  },
  {
    name: "unknown type",
    call: () => socket(AF_INET, 99),
    error: OSError,
    errno: 22,
    match: /type/,
    py: `socket.socket(socket.AF_INET, 99)`,
  },
  {
    name: "UDP protocol on a stream socket",
    call: () => socket(AF_INET, SOCK_STREAM, 17),
    error: OSError,
    errno: 93,
    match: /proto/,
    py: `socket.socket(socket.AF_INET, socket.SOCK_STREAM, 17)`,
  },
  {
    name: "family a string",
    call: () => socket("2" as unknown as number),
    error: TypeError,
    match: /family/,
    py: `socket.socket("2")`,
  },
  // ---- buffer sizes
  {
    name: "recv negative bufsize",
    call: (k) => k.c.recv(-1),
    error: RangeError,
    match: /bufsize/,
    py: `c.recv(-1)`,
  },
  {
    name: "recv fractional bufsize",
    call: (k) => k.c.recv(1.5),
    error: TypeError,
    match: /bufsize/,
    py: `c.recv(1.5)`,
  },
  {
    name: "recv bufsize a string",
    call: (k) => k.c.recv("10" as unknown as number),
    error: TypeError,
    match: /bufsize/,
    py: `c.recv("10")`,
  },
  {
    name: "recv_into negative nbytes",
    call: (k) => k.c.recv_into(new Uint8Array(4), -1),
    error: RangeError,
    match: /nbytes/,
    py: `c.recv_into(bytearray(4), -1)`,
  },
  {
    name: "recv_into nbytes over the buffer",
    call: (k) => k.c.recv_into(new Uint8Array(4), 10),
    error: RangeError,
    match: /buffer too small/,
    py: `c.recv_into(bytearray(4), 10)`,
  },
  {
    name: "recv_into a string buffer",
    call: (k) => k.c.recv_into("abc" as unknown as Uint8Array),
    error: TypeError,
    match: /buffer/,
    py: `c.recv_into("abc")`,
  },
  // ---- wrong state
  {
    name: "accept on a socket not listening",
    call: (k) => k.s.accept(),
    error: OSError,
    errno: 22,
    match: /Invalid argument/,
    py: `s.accept()`,
  },
  {
    name: "recv on an unconnected socket",
    call: (k) => k.s.recv(1),
    error: OSError,
    errno: 107,
    match: /not connected/,
    py: `s.recv(1)`,
  },
  {
    name: "send on an unconnected socket",
    call: (k) => k.s.send("x"),
    error: BrokenPipeError,
    errno: 32,
    match: /Broken pipe/,
    py: `s.send(b"x")`,
  },
  {
    name: "sendall on an unconnected socket",
    call: (k) => k.s.sendall("x"),
    error: BrokenPipeError,
    errno: 32,
    match: /Broken pipe/,
    py: `s.sendall(b"x")`,
  },
  {
    name: "getpeername on an unconnected socket",
    call: (k) => k.s.getpeername(),
    error: OSError,
    errno: 107,
    match: /not connected/,
    py: `s.getpeername()`,
  },
  {
    name: "shutdown on an unconnected socket",
    call: (k) => k.s.shutdown(1),
    error: OSError,
    errno: 107,
    match: /not connected/,
    py: `s.shutdown(1)`,
  },
  {
    name: "shutdown how 5",
    call: (k) => k.c.shutdown(5),
    error: OSError,
    errno: 22,
    match: /how/,
    py: `c.shutdown(5)`,
  },
  {
    name: "bind twice",
    call: (k) => {
      k.s.bind(["127.0.0.1", 0]);
      k.s.bind(["127.0.0.1", 0]);
    },
    error: OSError,
    errno: 22,
    match: /Invalid argument/,
    py: `s.bind(("127.0.0.1", 0)); s.bind(("127.0.0.1", 0))`,
  },
  {
    name: "bind an address in use",
    call: (k) => k.s.bind(k.l.getsockname() as [string, number]),
    error: OSError,
    errno: 98,
    match: /Address already in use/,
    py: `s.bind(l.getsockname())`,
  },
  {
    name: "connect a connected socket",
    call: (k) => k.c.connect(k.l.getsockname() as [string, number]),
    error: OSError,
    errno: 106,
    match: /already connected/,
    py: `c.connect(l.getsockname())`,
  },
  {
    name: "listen on a connected socket",
    call: (k) => k.c.listen(),
    error: OSError,
    errno: 22,
    match: /Invalid argument/,
    py: `c.listen()`,
  },
  {
    name: "listen backlog a string",
    call: (k) => k.s.listen("5" as unknown as number),
    error: TypeError,
    match: /backlog/,
    py: `s.listen("5")`,
  },
  // ---- after close
  {
    name: "recv after close",
    call: (k) => k.x.recv(1),
    error: OSError,
    errno: 9,
    match: /Bad file descriptor/,
    py: `x.recv(1)`,
  },
  {
    name: "send after close",
    call: (k) => k.x.send("x"),
    error: OSError,
    errno: 9,
    match: /Bad file descriptor/,
    py: `x.send(b"x")`,
  },
  {
    name: "bind after close",
    call: (k) => k.x.bind(["127.0.0.1", 0]),
    error: OSError,
    errno: 9,
    match: /Bad file descriptor/,
    py: `x.bind(("127.0.0.1", 0))`,
  },
  {
    name: "connect after close",
    call: (k) => k.x.connect(k.l.getsockname() as [string, number]),
    error: OSError,
    errno: 9,
    match: /Bad file descriptor/,
    py: `x.connect(l.getsockname())`,
  },
  {
    name: "listen after close",
    call: (k) => k.x.listen(),
    error: OSError,
    errno: 9,
    match: /Bad file descriptor/,
    py: `x.listen()`,
  },
  {
    name: "accept after close",
    call: (k) => k.x.accept(),
    error: OSError,
    errno: 9,
    match: /Bad file descriptor/,
    py: `x.accept()`,
  },
  {
    name: "getsockname after close",
    call: (k) => k.x.getsockname(),
    error: OSError,
    errno: 9,
    match: /Bad file descriptor/,
    py: `x.getsockname()`,
  },
  {
    name: "setsockopt after close",
    call: (k) => k.x.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1),
    error: OSError,
    errno: 9,
    match: /Bad file descriptor/,
    py: `x.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)`,
  },
  {
    name: "shutdown after close",
    call: (k) => k.x.shutdown(1),
    error: OSError,
    errno: 9,
    match: /Bad file descriptor/,
    py: `x.shutdown(1)`,
  },
  {
    name: "settimeout after close",
    call: (k) => k.x.settimeout(1),
    error: OSError,
    errno: 9,
    match: /Bad file descriptor/,
    py: `x.settimeout(1)`,
  },
  {
    name: "setblocking after close",
    call: (k) => k.x.setblocking(false),
    error: OSError,
    errno: 9,
    match: /Bad file descriptor/,
    py: `x.setblocking(False)`,
  },
  // ---- sizes and numbers past what CPython's C types hold
  {
    name: "recv bufsize 2**53",
    call: (k) => k.c.recv(2 ** 53),
    error: RangeError,
    match: /bufsize/,
  },
  {
    name: "recv bufsize 2**63",
    call: (k) => k.c.recv(2 ** 63),
    error: OverflowError,
    match: /bufsize: Python int too large to convert to C ssize_t/,
    py: `c.recv(2**63)`,
  },
  {
    name: "recv flags wider than 32 bits",
    call: (k) => k.c.recv(1, 2 ** 33),
    error: OverflowError,
    match: /flags: signed integer is greater than maximum/,
    py: `c.recv(1, 2**33)`,
  },
  {
    name: "send flags below -2**31",
    call: (k) => k.c.send("x", -(2 ** 31) - 1),
    error: OverflowError,
    match: /flags: signed integer is less than minimum/,
    py: `c.send(b"x", -2**31 - 1)`,
  },
  {
    name: "an object where flags goes",
    call: (k) => k.c.recv(1, { flags: 2 } as unknown as number),
    error: TypeError,
    match: /flags must be an integer/,
    py: `c.recv(1, {"flags": 2})`,
  },
  {
    name: "an AbortSignal where flags goes",
    call: (k) => k.c.recv(1, new AbortController().signal as unknown as number),
    error: TypeError,
    match: /flags must be an integer, not AbortSignal/,
  },
  {
    name: "listen 2**31",
    call: (k) => k.l.listen(2 ** 31),
    error: OverflowError,
    match: /backlog: signed integer is greater than maximum/,
    py: `l.listen(2**31)`,
  },
  {
    name: "settimeout 2**53",
    call: (k) => k.s.settimeout(2 ** 53),
    error: OverflowError,
    match: /timeout: timestamp too large to convert to C _PyTime_t/,
    py: `s.settimeout(2**53)`,
  },
  {
    name: "settimeout 1e300",
    call: (k) => k.s.settimeout(1e300),
    error: OverflowError,
    match: /timeout: timestamp out of range for platform time_t/,
    py: `s.settimeout(1e300)`,
  },
  {
    name: "socket type as a string",
    call: () => socket(2, "x" as unknown as number),
    error: TypeError,
    match: /type must be an integer/,
    py: `socket.socket(2, "x")`,
  },
  {
    name: "shutdown how as a string",
    call: (k) => k.c.shutdown("x" as unknown as number),
    error: TypeError,
    match: /how must be an integer/,
    py: `c.shutdown("x")`,
  },
  {
    name: "shutdown how 2**33",
    call: (k) => k.c.shutdown(2 ** 33),
    error: OverflowError,
    match: /how: Python int too large to convert to C int/,
    py: `c.shutdown(2**33)`,
  },
  {
    name: "makefile encoding 5",
    call: (k) => k.c.makefile("r", { encoding: 5 as unknown as string }),
    error: TypeError,
    match: /encoding must be a string/,
    py: `c.makefile("r", encoding=5)`,
  },
  {
    name: "makefile errors 5",
    call: (k) => k.c.makefile("r", { errors: 5 as unknown as string }),
    error: TypeError,
    match: /errors must be a string/,
    py: `c.makefile("r", errors=5)`,
  },
  {
    name: "makefile unknown error handler",
    call: (k) => k.c.makefile("r", { errors: "x" }),
    error: LookupError,
    match: /unknown error handler name 'x'/,
    // CPython looks the handler up at the first decode: the same error there.
    py: `b"\\xff".decode("utf-8", "x")`,
  },
  {
    name: "makefile buffering 2**63",
    call: (k) => k.c.makefile("rb", { buffering: 2 ** 63 }),
    error: OverflowError,
    match: /buffering/,
    py: `c.makefile("rb", buffering=2**63)`,
  },
  {
    name: "writelines with no argument",
    call: (k) => (k.c.makefile("wb").writelines as () => Promise<void>)(),
    error: TypeError,
    match: /lines must be an iterable/,
    py: `c.makefile("wb").writelines()`,
  },
  {
    name: "SocketFile over something that is not a raw stream",
    call: () => new SocketFile({} as RawStream, "rb"),
    error: TypeError,
    match: /raw must be a raw stream/,
  },
  {
    name: "create_connection timeout NaN (before the name lookup)",
    call: () => create_connection(["no-such-host.invalid", 80], NaN),
    error: TypeError,
    match: /timeout must be a number/,
  },
  {
    name: "create_connection source port Deno cannot bind from (before the name lookup)",
    call: () => create_connection(["no-such-host.invalid", 80], 1, ["127.0.0.1", 5999]),
    error: OSError,
    errno: 95,
    match: /source_address port 5999/,
  },
  {
    name: "create_connection source_address of the wrong shape",
    call: () =>
      create_connection(["no-such-host.invalid", 80], 1, "x" as unknown as [string, number]),
    error: TypeError,
    match: /source_address/,
  },
  {
    name: "create_server backlog NaN (before bind)",
    call: () => create_server(["127.0.0.1", 0], { backlog: NaN }),
    error: TypeError,
    match: /backlog must be an integer/,
  },
  // ---- detached (transferred) buffers
  {
    name: "send a detached buffer",
    call: (k) => k.c.send(detached()),
    error: TypeError,
    match: /send\(\): data is a view on a detached/,
  },
  {
    name: "sendall a detached DataView",
    call: (k) => {
      const view = new DataView(new ArrayBuffer(4));
      structuredClone(view.buffer, { transfer: [view.buffer] });
      return k.c.sendall(view);
    },
    error: TypeError,
    match: /sendall\(\): data is a view on a detached/,
  },
  {
    name: "recv_into a detached buffer",
    call: (k) => k.c.recv_into(detached()),
    error: TypeError,
    match: /recv_into\(\): buffer is a view on a detached/,
  },
  {
    name: "inet_ntoa a detached buffer",
    call: () => inet_ntoa(detached()),
    error: TypeError,
    match: /inet_ntoa\(\): packed_ip is a view on a detached/,
  },
  {
    name: "sendto a detached ArrayBuffer",
    call: async () => {
      using d = socket(AF_INET, SOCK_DGRAM);
      await d.sendto(detached().buffer as ArrayBuffer, ["127.0.0.1", 9]);
    },
    error: TypeError,
    match: /sendto\(\): data is a view on a detached/,
  },
  // ---- UDP errors name the call that was made
  {
    name: "UDP recv with a bad bufsize names recv",
    call: async () => {
      using d = socket(AF_INET, SOCK_DGRAM);
      await d.recv("x" as unknown as number);
    },
    error: TypeError,
    match: /^recv\(\): bufsize/,
  },
  {
    name: "UDP recv_into with a bad nbytes names recv_into",
    call: async () => {
      using d = socket(AF_INET, SOCK_DGRAM);
      await d.recv_into(new Uint8Array(4), 9);
    },
    error: RangeError,
    match: /^recv_into\(\): nbytes/,
  },
];

/** A Uint8Array whose buffer has been transferred away. */
function detached(): Uint8Array {
  const bytes = new Uint8Array(4);
  structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
  return bytes;
}

/** Runs every row's Python snippet in one python3 process: [class, errno]. */
const PY_RUNNER = `
import json, socket, sys
rows = json.loads(sys.stdin.read())
out = []
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
for code in rows:
    s = socket.socket(); s6 = socket.socket(socket.AF_INET6); u = socket.socket(socket.AF_UNIX)
    c = socket.create_connection(l.getsockname())
    x = socket.socket(); x.close()
    try:
        exec(code)
        out.append(["none", None])
    except Exception as e:
        out.append([type(e).__name__, getattr(e, "errno", None)])
    finally:
        for k in (s, s6, u, c):
            k.close()
        socket.setdefaulttimeout(None)
print(json.dumps(out))
`;

/** Python's class for each of ours, by kind. */
function sameKind(ours: Error, theirs: string): boolean {
  if (ours instanceof TypeError) return theirs === "TypeError";
  if (ours.name === "OverflowError" || ours.name === "LookupError") return theirs === ours.name;
  if (ours instanceof RangeError) {
    return theirs === "ValueError" || theirs === "OverflowError" || theirs === "OSError";
  }
  return ours.name === theirs;
}

async function withContext<T>(fn: (k: Context) => Promise<T>): Promise<T> {
  const l = socket();
  l.bind(["127.0.0.1", 0]);
  l.listen();
  const c = socket();
  const x = socket();
  x.close();
  const k: Context = { s: socket(), s6: socket(AF_INET6), u: socket(AF_UNIX), c, l, x };
  try {
    await c.connect(l.getsockname() as [string, number]);
    return await fn(k);
  } finally {
    for (const sock of [k.s, k.s6, k.u, c, l]) sock.close();
    setdefaulttimeout(null);
  }
}

python.test(`bad input: ${rows.length} wrong calls, each with its class, errno and message`, async (t) => {
  assert(rows.length >= 40, `only ${rows.length} rows`);
  const withPython = rows.filter((r) => r.py !== undefined);
  const results: [string, number | null][] = JSON.parse(
    await pythonWithInput(PY_RUNNER, JSON.stringify(withPython.map((r) => r.py))),
  );
  const cpython = new Map(withPython.map((r, i) => [r, results[i]]));
  for (const row of rows) {
    await t.step(row.name, async () => {
      await withContext(async (k) => {
        let error: unknown;
        try {
          await row.call(k);
        } catch (e) {
          error = e;
        }
        assert(error !== undefined, `${row.name}: no error`);
        assertInstanceOf(error, row.error, `${row.name}: got ${String(error)}`);
        assertMatch((error as Error).message, row.match);
        if (row.errno !== undefined) assertEquals((error as OSError).errno, row.errno);
        else if (error instanceof OSError) assertEquals(error.errno, null);
        const py = cpython.get(row);
        if (py) {
          const [cls, pyErrno] = py;
          assert(
            sameKind(error as Error, cls),
            `${row.name}: Python raises ${cls}, this library ${(error as Error).name}`,
          );
          if (pyErrno !== null) assertEquals((error as OSError).errno, pyErrno, row.name);
        }
      });
    });
  }
});

async function pythonWithInput(code: string, input: string): Promise<string> {
  const out = await runWithInput("python3", ["-c", code], input);
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

/** Transfers `bytes.buffer` away, as `postMessage` or `ArrayBuffer.prototype.transfer` would. */
function detach(bytes: Uint8Array<ArrayBuffer>): void {
  structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
}

for (const mode of ["blocking", "timeout", "non-blocking"] as const) {
  Deno.test(`recv_into whose buffer is detached while it waits (${mode}) rejects and keeps the bytes`, async () => {
    const l = socket();
    l.bind(["127.0.0.1", 0]);
    l.listen();
    const c = socket();
    await c.connect(l.getsockname() as [string, number]);
    const [conn] = await l.accept();
    l.close();
    try {
      conn.settimeout(mode === "blocking" ? null : mode === "timeout" ? 5 : 0);
      const buffer = new Uint8Array(8);
      let pending: Promise<number>;
      if (mode === "non-blocking") {
        // Nothing there yet: BlockingIOError; the read stays in flight.
        await assertRejects(conn.recv_into(buffer), BlockingIOError);
        conn.settimeout(5);
      }
      pending = conn.recv_into(buffer);
      detach(buffer);
      await c.sendall("abc");
      const error = await pending.then(() => null, (e) => e);
      assertInstanceOf(error, TypeError);
      assertMatch(error.message, /recv_into\(\): buffer is a view on a detached/);
      conn.settimeout(5);
      assertEquals(new TextDecoder().decode(await conn.recv(16)), "abc");
      // The socket goes on: a fresh buffer gets the next bytes.
      pending = conn.recv_into(new Uint8Array(8));
      await c.sendall("de");
      assertEquals(await pending, 2);
    } finally {
      c.close();
      conn.close();
    }
  });
}

Deno.test("UDP recvfrom_into whose buffer is detached while it waits keeps the datagram", async () => {
  using a = socket(AF_INET, SOCK_DGRAM);
  using b = socket(AF_INET, SOCK_DGRAM);
  a.bind(["127.0.0.1", 0]);
  b.bind(["127.0.0.1", 0]);
  const buffer = new Uint8Array(16);
  const pending = a.recvfrom_into(buffer);
  detach(buffer);
  await b.sendto("kept", a.getsockname());
  const error = await pending.then(() => null, (e) => e);
  assertInstanceOf(error, TypeError);
  assertMatch(error.message, /recvfrom_into\(\): buffer is a view on a detached/);
  const [data] = await a.recvfrom(16);
  assertEquals(new TextDecoder().decode(data), "kept");
});

/** Values that make careless code throw while it builds a message. */
function hostileValues(): [string, unknown][] {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return [
    ["a Symbol", Symbol("s")],
    ["a null-prototype object", Object.create(null)],
    ["a revoked Proxy", proxy],
    ["a BigInt", 1n],
    ["NaN", NaN],
    ["an object whose constructor getter throws", {
      get constructor(): never {
        throw new Error("getter");
      },
    }],
  ];
}

/** What an engine says when an error message was not built by the library. */
const ENGINE_MESSAGE =
  /Cannot convert|revoked|is not a function|Cannot read properties|Invalid typed array|getter|is not iterable|Do not know how to serialize/;

Deno.test("hostile arguments: Promise-returning calls reject (never throw) with the library's own message", async () => {
  const l = socket();
  l.bind(["127.0.0.1", 0]);
  l.listen();
  const c = socket();
  await c.connect(l.getsockname() as [string, number]);
  const [conn] = await l.accept();
  const d = socket(AF_INET, SOCK_DGRAM);
  d.bind(["127.0.0.1", 0]);
  // A value a call accepts waits for nothing to arrive: a TimeoutError then.
  for (const sock of [l, conn, d]) sock.settimeout(0.05);
  type Call = [string, (v: never) => unknown];
  const calls: Call[] = [
    ["connect", (v) => socket().connect(v)],
    ["connect [v, 80]", (v) => socket().connect([v, 80])],
    ["connect [host, v]", (v) => socket().connect(["127.0.0.1", v])],
    ["connect_ex", (v) => socket().connect_ex(v)],
    ["recv bufsize", (v) => conn.recv(v)],
    ["recv flags", (v) => conn.recv(1, v)],
    ["recv_into", (v) => conn.recv_into(v)],
    ["recv_into nbytes", (v) => conn.recv_into(new Uint8Array(1), v)],
    ["send", (v) => conn.send(v)],
    ["sendall", (v) => conn.sendall(v)],
    ["sendall flags", (v) => conn.sendall("x", v)],
    ["shutdown", (v) => conn.shutdown(v)],
    ["accept options", (v) => l.accept(v)],
    ["sendto data", (v) => d.sendto(v, ["127.0.0.1", 9])],
    ["sendto address", (v) => d.sendto("x", v)],
    ["recvfrom", (v) => d.recvfrom(v)],
    ["recvfrom_into", (v) => d.recvfrom_into(v)],
    ["create_connection", (v) => create_connection(v)],
    ["create_connection timeout", (v) => create_connection(["127.0.0.1", 9], v)],
  ];
  try {
    for (const [what, value] of hostileValues()) {
      for (const [name, call] of calls) {
        let result: unknown;
        try {
          result = call(value as never);
        } catch (e) {
          throw new Error(`${name}(${what}) threw synchronously: ${String(e)}`);
        }
        assertInstanceOf(result, Promise, `${name}(${what})`);
        const error = await (result as Promise<unknown>).then(() => null, (e) => e);
        if (error === null) continue; // a value the call accepts
        assertInstanceOf(error, Error, `${name}(${what})`);
        assert(
          !ENGINE_MESSAGE.test(error.message),
          `${name}(${what}): ${error.name}: ${error.message}`,
        );
      }
    }
  } finally {
    for (const sock of [l, c, conn, d]) sock.close();
  }
});

Deno.test("hostile arguments: synchronous calls throw the library's own message", () => {
  const s = socket();
  try {
    const calls: [string, (v: never) => unknown][] = [
      ["socket family", (v) => socket(v).close()],
      ["socket type", (v) => socket(AF_INET, v).close()],
      ["socket proto", (v) => socket(AF_INET, SOCK_STREAM, v).close()],
      ["bind", (v) => socket().bind(v)],
      ["listen", (v) => s.listen(v)],
      ["settimeout", (v) => s.settimeout(v)],
      ["setsockopt level", (v) => s.setsockopt(v, 1, 1)],
      ["setsockopt value", (v) => s.setsockopt(IPPROTO_TCP, TCP_NODELAY, v)],
      ["makefile mode", (v) => s.makefile(v)],
      ["makefile options", (v) => s.makefile("r", v)],
      ["makefile encoding", (v) => s.makefile("r", { encoding: v })],
      ["SocketFile raw", (v) => new SocketFile(v, "rb")],
      ["inet_ntoa", (v) => inet_ntoa(v)],
      ["create_server", (v) => create_server(v)],
      ["create_server options", (v) => create_server(["127.0.0.1", 0], v)],
    ];
    for (const [what, value] of hostileValues()) {
      for (const [name, call] of calls) {
        try {
          const made = call(value as never);
          if (made instanceof SocketFile || (made as { close?: unknown })?.close) {
            (made as { close(): unknown }).close();
          }
        } catch (e) {
          assertInstanceOf(e, Error, `${name}(${what})`);
          assert(!ENGINE_MESSAGE.test(e.message), `${name}(${what}): ${e.name}: ${e.message}`);
        }
      }
    }
  } finally {
    s.close();
  }
});

Deno.test("hostile arguments: select and selectors name what they refuse", async () => {
  const sel = new DefaultSelector();
  const s = socket();
  try {
    for (const [what, value] of hostileValues()) {
      const checks: [string, () => unknown][] = [
        ["select rlist", () => select([value as never], [], [], 0)],
        ["register fileobj", () => sel.register(value as never, EVENT_READ)],
        ["register events", () => sel.register(s, value as never)],
      ];
      for (const [name, check] of checks) {
        let error: unknown;
        try {
          await check();
        } catch (e) {
          error = e;
        }
        assertInstanceOf(error, Error, `${name}(${what})`);
        assert(!ENGINE_MESSAGE.test(error.message), `${name}(${what}): ${error.message}`);
      }
    }
  } finally {
    s.close();
    sel.close();
  }
});
