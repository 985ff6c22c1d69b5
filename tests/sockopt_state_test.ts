/**
 * `getsockopt` answers what the socket's own state knows (`SO_ACCEPTCONN`,
 * `SO_TYPE`, `SO_DOMAIN`, `SO_PROTOCOL`, `SO_ERROR`) as CPython on Linux,
 * for stream and datagram sockets; what Deno cannot honour stays
 * `ENOPROTOOPT`.
 */

import * as S from "@seed/socket";
import { assertEquals, assertThrows, python } from "./_util.ts";

const KINDS: [number, number, number][] = [
  [S.AF_INET, S.SOCK_STREAM, 0],
  [S.AF_INET6, S.SOCK_STREAM, 0],
  [S.AF_UNIX, S.SOCK_STREAM, 0],
  [S.AF_INET, S.SOCK_STREAM, S.IPPROTO_TCP],
  [S.AF_INET, S.SOCK_DGRAM, 0],
  [S.AF_INET6, S.SOCK_DGRAM, 0],
  [S.AF_INET, S.SOCK_DGRAM, S.IPPROTO_UDP],
];
const OPTIONS = [S.SO_ACCEPTCONN, S.SO_TYPE, S.SO_DOMAIN, S.SO_PROTOCOL, S.SO_ERROR];

python.test("getsockopt: SO_ACCEPTCONN/TYPE/DOMAIN/PROTOCOL/ERROR as CPython, every kind", async () => {
  const theirs = JSON.parse(
    await python(
      String.raw`
import json, socket, sys
kinds, opts = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = []
for f, t, p in kinds:
    s = socket.socket(f, t, p)
    out.append([s.getsockopt(socket.SOL_SOCKET, o) for o in opts]); s.close()
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
out.append([s.getsockopt(socket.SOL_SOCKET, o) for o in opts])
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
out.append([c.getsockopt(socket.SOL_SOCKET, o) for o in opts])
out.append([a.getsockopt(socket.SOL_SOCKET, o) for o in opts])
print(json.dumps(out))
`,
      JSON.stringify(KINDS),
      JSON.stringify(OPTIONS),
    ),
  );
  const ours: number[][] = [];
  for (const [f, t, p] of KINDS) {
    using s = S.socket(f, t, p);
    ours.push(OPTIONS.map((o) => s.getsockopt(S.SOL_SOCKET, o)));
  }
  using server = S.socket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  ours.push(OPTIONS.map((o) => server.getsockopt(S.SOL_SOCKET, o)));
  using client = await S.create_connection(server.getsockname() as [string, number]);
  const [accepted] = await server.accept();
  using _accepted = accepted;
  ours.push(OPTIONS.map((o) => client.getsockopt(S.SOL_SOCKET, o)));
  ours.push(OPTIONS.map((o) => accepted.getsockopt(S.SOL_SOCKET, o)));
  assertEquals(ours, theirs);
});

Deno.test("getsockopt: state options are read-only; others Deno cannot honour are ENOPROTOOPT", () => {
  for (const type of [S.SOCK_STREAM, S.SOCK_DGRAM]) {
    using s = S.socket(S.AF_INET, type);
    for (const o of [S.SO_ACCEPTCONN, S.SO_DOMAIN, S.SO_PROTOCOL]) {
      const e = assertThrows(() => s.setsockopt(S.SOL_SOCKET, o, 1), S.OSError);
      assertEquals(e.errno, S.errno.ENOPROTOOPT);
    }
    for (const o of [S.SO_LINGER, S.SO_RCVTIMEO, S.SO_PRIORITY]) {
      const e = assertThrows(() => s.getsockopt(S.SOL_SOCKET, o), S.OSError);
      assertEquals(e.errno, S.errno.ENOPROTOOPT);
    }
  }
});
