/**
 * What Deno cannot do exists by name and throws `OSError` saying why:
 * `fromfd`, `fromshare`, `sethostname`, `if_nameindex`/`if_nametoindex`/
 * `if_indextoname`, raw sockets, ancillary data in `sendmsg`/`recvmsg`.
 * `sendmsg`/`recvmsg` without ancillary data behave as CPython's.
 */

import * as S from "@seed/socket";
import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
  connectedPair,
  python,
  text,
} from "./_util.ts";

Deno.test("omissions: each name exists and throws OSError EOPNOTSUPP saying why", () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () => S.fromfd(3, S.AF_INET, S.SOCK_STREAM),
      /fromfd\(\): Deno exposes no OS file descriptors/,
    ],
    [() => S.fromshare(new Uint8Array(0)), /fromshare\(\): Deno exposes no socket handles/],
    [() => S.close(3), /close\(\): Deno exposes no OS file descriptors; call sock\.close\(\)/],
    [() => S.dup(3), /dup\(\): Deno exposes no OS file descriptors; call sock\.dup\(\)/],
    [() => S.sethostname("box"), /sethostname\(\): Deno has no API to set the host name/],
    [() => S.if_nameindex(), /if_nameindex\(\): Deno exposes no interface indexes/],
    [() => S.if_nametoindex("lo"), /if_nametoindex\(\): Deno exposes no interface indexes/],
    [() => S.if_indextoname(1), /if_indextoname\(\): Deno exposes no interface indexes/],
  ];
  for (const [fn, message] of cases) {
    const e = assertThrows(fn, S.OSError, message);
    assertEquals(e.errno, S.errno.EOPNOTSUPP);
  }
});

python.test("omissions: every public name of CPython's socket module exists here", async () => {
  // Python's own imports and its enum base classes are not part of the API.
  // CAPI is CPython's C-level capsule.
  const skip = new Set(["CAPI", "IntEnum", "IntFlag", "array", "io", "os", "selectors", "sys"]);
  const names = (await python(
    "import socket; print(' '.join(n for n in dir(socket) if not n.startswith('_')))",
  )).trim().split(" ").filter((n) => !skip.has(n));
  assertEquals(names.filter((n) => !(n in S)), []);
  using sock = S.socket();
  assert(sock instanceof S.SocketType);
});

python.test("CMSG_LEN and CMSG_SPACE compute CPython's numbers, and its range errors", async () => {
  const lengths = [0, 1, 4, 8, 9, 100, 2147483623, 2147483624, 2147483631, 2147483632, -1];
  const py = JSON.parse(
    await python(
      String.raw`
import json, socket, sys
def f(fn, n):
    try: return fn(n)
    except OverflowError as e: return str(e)
print(json.dumps([[f(socket.CMSG_LEN, n), f(socket.CMSG_SPACE, n)] for n in json.loads(sys.argv[1])]))`,
      JSON.stringify(lengths),
    ),
  );
  const f = (fn: (n: number) => number, n: number) => {
    try {
      return fn(n);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      return e.message;
    }
  };
  assertEquals(lengths.map((n) => [f(S.CMSG_LEN, n), f(S.CMSG_SPACE, n)]), py);
  assertThrows(() => S.CMSG_LEN("4" as never), TypeError, /length/);
});

Deno.test("omissions: send_fds and recv_fds reject with OSError EOPNOTSUPP saying why", async () => {
  using sock = S.socket();
  for (
    const call of [() => S.send_fds(sock, ["x"], [0]), () => S.recv_fds(sock, 1024, 1)]
  ) {
    const e = await assertRejects(
      call(),
      S.OSError,
      /_fds\(\): Deno has no sendmsg\(\)\/recvmsg\(\)/,
    );
    assertEquals(e.errno, S.errno.EOPNOTSUPP);
  }
});

Deno.test("omissions: SOCK_RAW, SOCK_SEQPACKET and SOCK_RDM say Deno has no such sockets", () => {
  for (
    const [type, message] of [
      [S.SOCK_RAW, /raw sockets: Deno has no raw socket API/],
      [S.SOCK_SEQPACKET, /SOCK_SEQPACKET/],
      [S.SOCK_RDM, /SOCK_RDM/],
    ] as const
  ) {
    const e = assertThrows(() => S.socket(S.AF_INET, type), S.OSError, message);
    assertEquals(e.errno, S.errno.ESOCKTNOSUPPORT);
  }
  // Any other unknown type is EINVAL, as Linux says.
  assertEquals(assertThrows(() => S.socket(S.AF_INET, 99), S.OSError).errno, S.errno.EINVAL);
});

const PY = String.raw`
import json, socket
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()
c = socket.create_connection(srv.getsockname()); d, _ = srv.accept()
out = {"stream_sent": c.sendmsg([b"ab", b"cd"])}
data, anc, flags, addr = d.recvmsg(10)
out["stream"] = [data.decode(), anc, flags, addr]
u = socket.socket(2, 2); u.bind(("127.0.0.1", 0)); v = socket.socket(2, 2); v.bind(("127.0.0.1", 0))
out["dgram_sent"] = v.sendmsg([b"hello", b"world"], [], 0, u.getsockname())
data, anc, flags, addr = u.recvmsg(4)
out["dgram"] = [data.decode(), anc, flags, addr == v.getsockname()]
v.sendmsg([b"ok"], [], 0, u.getsockname())
data, anc, flags, addr = u.recvmsg(10)
out["dgram_whole"] = [data.decode(), anc, flags]
print(json.dumps(out))
`;

python.test("sendmsg/recvmsg without ancillary data: as CPython (stream and datagram)", async () => {
  const py = JSON.parse(await python(PY));
  await using pair = await connectedPair();
  const out: Record<string, unknown> = {};
  out.stream_sent = await pair.client.sendmsg([new Uint8Array([97, 98]), "cd"]);
  const [data, anc, flags, addr] = await pair.server.recvmsg(10);
  out.stream = [text(data), anc, flags, addr];
  using u = S.socket(S.AF_INET, S.SOCK_DGRAM);
  u.bind(["127.0.0.1", 0]);
  using v = S.socket(S.AF_INET, S.SOCK_DGRAM);
  v.bind(["127.0.0.1", 0]);
  out.dgram_sent = await v.sendmsg(["hello", "world"], [], 0, u.getsockname());
  const [d2, anc2, flags2, addr2] = await u.recvmsg(4);
  out.dgram = [text(d2), anc2, flags2, JSON.stringify(addr2) === JSON.stringify(v.getsockname())];
  await v.sendmsg(["ok"], [], 0, u.getsockname());
  const [d3, anc3, flags3] = await u.recvmsg(10);
  out.dgram_whole = [text(d3), anc3, flags3];
  assertEquals(out, py);
});

Deno.test("sendmsg/recvmsg with ancillary data reject with OSError saying why, sending nothing", async () => {
  await using pair = await connectedPair();
  const fds: S.Ancillary = [S.SOL_SOCKET, S.SCM_RIGHTS, new Uint8Array(4)];
  const e = await assertRejects(pair.client.sendmsg(["x"], [fds]), S.OSError, /ancillary data/);
  assertEquals(e.errno, S.errno.EOPNOTSUPP);
  await assertRejects(pair.server.recvmsg(10, 64), S.OSError, /ancillary data/);
  await assertRejects(pair.client.sendmsg(5 as never), TypeError, /buffers/);
  await assertRejects(pair.server.recvmsg(-1), RangeError, /bufsize/);
  await pair.client.sendall("y");
  assertEquals(text(await pair.server.recv(10)), "y"); // the rejected "x" never went out
});
