/**
 * Deno's permissions: a child `deno run` (see `_perm_child.ts`) runs each
 * operation under (a) no `--allow-net`, (b) `--allow-net=127.0.0.1:<port>`,
 * (c) the loopback set, and narrower grants that must be enough. Each
 * operation works, fails for a reason that is not permission, or raises
 * `PermissionError` (errno EACCES) whose message names the `--allow-…`
 * entry that is missing. The child runs with `--no-config` (the library is
 * imported by path) and `--no-prompt`; datagram rows add `--unstable-net`.
 * The second test walks README's permission table row by row: sockets, the
 * name service (`--allow-read=/etc/hosts`, `--allow-sys=hostname`), the
 * services file, TLS files, and datagram sockets without `--unstable-net`.
 */

import { assert, assertEquals, assertMatch, listening, UNIX_DIR } from "./_util.ts";

const CHILD = new URL("./_perm_child.ts", import.meta.url).pathname;

interface Outcome {
  op: string;
  ok: boolean;
  name?: string;
  errno?: number | null;
  message?: string;
}

async function child(flags: string[], ops: string[]): Promise<Map<string, Outcome>> {
  const out = await new Deno.Command("deno", {
    args: ["run", "--no-config", "--no-prompt", "--quiet", ...flags, CHILD, ...ops],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.success, `child failed (${out.code}): ${stderr}`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const outcomes = lines.map((line) => JSON.parse(line) as Outcome);
  assertEquals(outcomes.map((o) => o.op), ops);
  return new Map(outcomes.map((o) => [o.op, o]));
}

function works(o: Outcome | undefined): void {
  assert(o, "no outcome");
  assert(o.ok, `${o.op}: ${o.name}: ${o.message}`);
}

function denied(
  o: Outcome | undefined,
  entry: string,
  error: { name: string; errno: number | null } = { name: "PermissionError", errno: 13 },
): void {
  assert(o, "no outcome");
  assert(!o.ok, `${o.op} worked without ${entry}`);
  assertEquals(o.name, error.name, `${o.op}: ${o.message}`);
  assertEquals(o.errno, error.errno, `${o.op}: ${o.message}`);
  assert(o.message!.includes(entry), `${o.op}: "${o.message}" does not name ${entry}`);
}

/** Failed, but not for want of a permission. */
function notDenied(o: Outcome | undefined, name?: string): void {
  assert(o, "no outcome");
  assert(o.ok || o.name !== "PermissionError", `${o.op}: ${o.message}`);
  if (name && !o.ok) assertEquals(o.name, name, `${o.op}: ${o.message}`);
}

/** A port nothing listens on (bound, then released). */
function freePort(): number {
  const { server, address } = listening();
  server.close();
  return address[1];
}

Deno.test("permissions: each operation works or names the missing --allow-net entry", async (t) => {
  const { server, address } = listening();
  const port = address[1];
  const accepting = (async () => {
    for await (const [conn] of server) conn.close();
  })();
  const other = freePort();
  const unixPath = `${UNIX_DIR}/perm.sock`;
  await Deno.mkdir(UNIX_DIR, { recursive: true });
  try {
    await t.step("(a) no --allow-net", async () => {
      const ops = [
        `connect:127.0.0.1:${port}`,
        `connect:localhost:${port}`,
        "bind:127.0.0.1:0",
        `bind:127.0.0.1:${other}`,
        "bind:[::1]:0",
        `unix:${unixPath}`,
      ];
      const r = await child([], ops);
      denied(r.get(ops[0]), `--allow-net=127.0.0.1:${port}`);
      denied(r.get(ops[1]), `--allow-net=localhost:${port}`);
      denied(r.get(ops[2]), "--allow-net=127.0.0.1:0");
      denied(r.get(ops[3]), `--allow-net=127.0.0.1:${other}`);
      denied(r.get(ops[4]), "--allow-net=[::1]:0");
      // A Unix socket needs three grants; the message names all of them.
      const unix = r.get(ops[5]);
      denied(unix, `--allow-net=unix:${unixPath}`);
      assertMatch(unix!.message!, new RegExp(`--allow-read=${unixPath}`));
      assertMatch(unix!.message!, new RegExp(`--allow-write=${unixPath}`));
    });

    await t.step("(b) --allow-net=127.0.0.1:<one port>", async () => {
      const ops = [
        `connect:127.0.0.1:${port}`,
        `connect:127.0.0.1:${other}`,
        `connect:localhost:${port}`,
        `bind:127.0.0.1:${port}`,
        "bind:127.0.0.1:0",
      ];
      const r = await child([`--allow-net=127.0.0.1:${port}`], ops);
      works(r.get(ops[0]));
      denied(r.get(ops[1]), `--allow-net=127.0.0.1:${other}`);
      denied(r.get(ops[2]), `--allow-net=localhost:${port}`);
      // Allowed, and then the kernel says the port is taken.
      notDenied(r.get(ops[3]), "OSError");
      assertMatch(r.get(ops[3])!.message!, /Address already in use/);
      denied(r.get(ops[4]), "--allow-net=127.0.0.1:0");
    });

    await t.step("(c) the loopback set", async () => {
      const ops = [
        `connect:127.0.0.1:${port}`,
        `connect:localhost:${port}`,
        "bind:127.0.0.1:0",
        "bind:localhost:0",
        "bind:[::1]:0",
        `connect:127.0.0.1:${other}`,
        "connect:10.255.255.1:80",
      ];
      const r = await child(["--allow-net=127.0.0.1,localhost,[::1]"], ops);
      works(r.get(ops[0]));
      works(r.get(ops[1]));
      works(r.get(ops[2]));
      works(r.get(ops[3]));
      notDenied(r.get(ops[4])); // works where the host has IPv6 loopback
      notDenied(r.get(ops[5]), "ConnectionRefusedError");
      // Outside the set: denied before any packet leaves.
      denied(r.get(ops[6]), "--allow-net=10.255.255.1:80");
    });

    await t.step("nothing asks for more than the operation needs", async () => {
      // A server on a chosen port needs only that host:port.
      const r1 = await child([`--allow-net=127.0.0.1:${other}`], [`bind:127.0.0.1:${other}`]);
      works(r1.get(`bind:127.0.0.1:${other}`));
      // An ephemeral port needs only host:0.
      const r2 = await child(["--allow-net=127.0.0.1:0"], ["bind:127.0.0.1:0"]);
      works(r2.get("bind:127.0.0.1:0"));
      // A client needs only its destination.
      const r3 = await child([`--allow-net=127.0.0.1:${port}`], [`connect:127.0.0.1:${port}`]);
      works(r3.get(`connect:127.0.0.1:${port}`));
      // A Unix server needs exactly its three grants.
      await Deno.remove(unixPath).catch(() => {});
      const r4 = await child([
        `--allow-net=unix:${unixPath}`,
        `--allow-read=${unixPath}`,
        `--allow-write=${unixPath}`,
      ], [`unix:${unixPath}`]);
      works(r4.get(`unix:${unixPath}`));
    });
    await t.step("UDP: a client to 127.0.0.1 needs only --allow-net=127.0.0.1", async () => {
      const ops = [`udp-sendto:127.0.0.1:${other}`, "udp-bind:127.0.0.1:0"];
      // Without --unstable-net, the error names the flag.
      const none = await child([`--allow-net=127.0.0.1`], ops);
      for (const op of ops) {
        const o = none.get(op)!;
        assert(!o.ok && o.name === "OSError" && o.errno === 93, JSON.stringify(o));
        assertMatch(o.message!, /--unstable-net/);
      }
      // No --allow-net: the implicit bind names the entry it needs.
      const denyAll = await child(["--unstable-net"], ops);
      denied(denyAll.get(ops[0]), "--allow-net=127.0.0.1:0");
      denied(denyAll.get(ops[1]), "--allow-net=127.0.0.1:0");
      // One destination port only: the implicit bind still needs host:0.
      const onePort = await child(["--unstable-net", `--allow-net=127.0.0.1:${other}`], ops);
      denied(onePort.get(ops[0]), "--allow-net=127.0.0.1:0");
      // Exactly the bind and the destination: enough.
      const exact = await child([
        "--unstable-net",
        `--allow-net=127.0.0.1:0,127.0.0.1:${other}`,
      ], ops);
      works(exact.get(ops[0]));
      works(exact.get(ops[1]));
      // The host alone: enough, and nothing broader is asked for.
      const host = await child(["--unstable-net", "--allow-net=127.0.0.1"], ops);
      works(host.get(ops[0]));
      works(host.get(ops[1]));
    });
  } finally {
    server.close();
    await accepting;
    await Deno.remove(unixPath).catch(() => {});
  }
});

/**
 * One row of README's permission table: the call (a `_perm_child.ts`
 * operation), the flags it is run with first (`without`: all but the one
 * the table names) and the entry the `PermissionError` must name, then the
 * flags with that entry added (`with`), under which it must work.
 */
interface Row {
  op: string;
  without: string[];
  /** The entry the denial names; `null` when the call needs nothing. */
  entry: string | null;
  with?: string[];
  /** Under `with`, the call may still fail, but not for a permission. */
  mayFail?: boolean;
  /**
   * Without the flag, the error in place of `PermissionError` (errno 13);
   * its message still names `entry`.
   */
  error?: { name: string; errno: number | null };
  /**
   * Without the flag, the call is not refused: it falls back to what needs
   * no permission and fails with this message, naming no flag.
   */
  fallback?: string;
}

Deno.test("permissions: every call of README's table, without and with the flag it names", async () => {
  const certs = (name: string) => new URL(`./certs/${name}`, import.meta.url).pathname;
  const [cert, key, ca] = [certs("server.pem"), certs("server.key"), certs("ca.pem")];
  // getfqdn() looks the local host's name up: its denial under
  // --allow-sys=hostname names it. The rows that let the lookup happen run
  // only when the hosts file answers for that name (gethostbyname_ex then
  // needs no net permission), so that no DNS query leaves the machine.
  const named = (await child(["--allow-sys=hostname"], ["getfqdn"])).get("getfqdn");
  const hostname = /--allow-net=(\S+)$/.exec(named?.message ?? "")?.[1];
  assert(hostname, `getfqdn under --allow-sys=hostname: ${JSON.stringify(named)}`);
  const inHosts = (await child(["--allow-read=/etc/hosts"], [`gethostbyname_ex:${hostname}`]))
    .get(`gethostbyname_ex:${hostname}`)!.ok;
  const servicesFile = (await child(["--allow-read=/etc/services"], ["exists:/etc/services"]))
    .get("exists:/etc/services")!.ok;
  const fqdnGrants = [
    "--allow-sys=hostname",
    `--allow-net=${hostname}`,
    "--allow-read=/etc/hosts",
  ];
  // A peer that reads until the client's EOF, then closes.
  const { server: sink, address: [, sinkPort] } = listening();
  const peers: Promise<void>[] = [];
  const sinking = (async () => {
    for await (const [conn] of sink) {
      peers.push((async () => {
        try {
          while ((await conn.recv(1024)).length > 0);
        } catch {
          // A child that exits at once may reset: what matters is the child's outcome.
        } finally {
          conn.close();
        }
      })());
    }
  })();
  const [bindPort, acceptPort, udpDest, udpServer] = [
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ];
  const unix = (name: string) => `${UNIX_DIR}/perm-${name}.sock`;
  const unixGrants = (path: string) => [
    `--allow-net=unix:${path}`,
    `--allow-read=${path}`,
    `--allow-write=${path}`,
  ];
  const sinkGrant = `--allow-net=127.0.0.1:${sinkPort}`;
  const rows: Row[] = [
    // TCP servers.
    { op: `bind:127.0.0.1:${bindPort}`, without: [], entry: `--allow-net=127.0.0.1:${bindPort}` },
    { op: "bind:127.0.0.1:0", without: [], entry: "--allow-net=127.0.0.1:0" },
    { op: "create_server:127.0.0.1:0", without: [], entry: "--allow-net=127.0.0.1:0" },
    // listen() without bind() binds the wildcard: only its denial is run
    // here, since the tests never listen beyond loopback.
    { op: "listen", without: [], entry: "--allow-net=0.0.0.0:0", with: undefined },
    // A server's accept and the accepted socket's calls need nothing more than its bind.
    {
      op: `accept:127.0.0.1:${acceptPort}`,
      without: [],
      entry: `--allow-net=127.0.0.1:${acceptPort}`,
    },
    // TCP clients; once connected, send*, recv*, shutdown and options need nothing more.
    { op: `connect:127.0.0.1:${sinkPort}`, without: [], entry: sinkGrant },
    { op: `connect_ex:127.0.0.1:${sinkPort}`, without: [], entry: sinkGrant },
    { op: `create_connection:127.0.0.1:${sinkPort}`, without: [], entry: sinkGrant },
    { op: `stream-calls:127.0.0.1:${sinkPort}`, without: [], entry: sinkGrant },
    // AF_UNIX: three grants for the exact path, for bind and for connect.
    { op: `unix:${unix("bind")}`, without: [], entry: `--allow-net=unix:${unix("bind")}` },
    { op: `unix-pair:${unix("pair")}`, without: [], entry: `--allow-net=unix:${unix("pair")}` },
    {
      op: `unix-connect:${unix("connect")}`,
      without: [],
      entry: `--allow-net=unix:${unix("connect")}`,
      mayFail: true, // nothing listens there: FileNotFoundError
    },
    // Datagrams: a first sendto binds (loopback for a loopback destination),
    // and every sendto needs its destination, a server's reply included.
    {
      op: `udp-sendto:127.0.0.1:${udpDest}`,
      without: ["--unstable-net"],
      entry: "--allow-net=127.0.0.1:0",
      with: ["--unstable-net", `--allow-net=127.0.0.1:0,127.0.0.1:${udpDest}`],
    },
    {
      op: "udp-bind:127.0.0.1:0",
      without: ["--unstable-net"],
      entry: "--allow-net=127.0.0.1:0",
      with: ["--unstable-net", "--allow-net=127.0.0.1:0"],
    },
    {
      op: `udp-sendto-bound:127.0.0.1:${udpDest}`,
      without: ["--unstable-net", "--allow-net=127.0.0.1:0"],
      entry: `--allow-net=127.0.0.1:${udpDest}`,
      with: ["--unstable-net", `--allow-net=127.0.0.1:0,127.0.0.1:${udpDest}`],
    },
    {
      // The reply goes to the client's ephemeral port: the server needs the host.
      op: `udp-reply:127.0.0.1:${udpServer}`,
      without: ["--unstable-net", `--allow-net=127.0.0.1:${udpServer},127.0.0.1:0`],
      entry: "--allow-net=127.0.0.1:",
      with: ["--unstable-net", "--allow-net=127.0.0.1"],
    },
    // Module-level functions.
    {
      op: "socketpair",
      without: [],
      entry: "--allow-net=127.0.0.1:0",
      with: [
        "--allow-net=127.0.0.1",
      ],
    },
    { op: "getaddrinfo:localhost:80", without: [], entry: "--allow-net=localhost" },
    { op: "getaddrinfo:127.0.0.1:80", without: [], entry: null },
    {
      op: "getaddrinfo:localhost:http",
      without: ["--allow-net=localhost"],
      entry: "--allow-read=/etc/services",
      with: ["--allow-net=localhost", "--allow-read=/etc/services"],
      mayFail: true, // a machine without /etc/services: gaierror
    },
    { op: "gethostname", without: [], entry: "--allow-sys=hostname" },
    // Names go to the system resolver, which answers for names in the hosts file.
    { op: "gethostbyname:localhost", without: [], entry: "--allow-net=localhost" },
    { op: "gethostbyname:127.0.0.1", without: [], entry: null },
    // The hosts file is read first; a name in it needs nothing more, one
    // that is not goes to the resolver (its denial comes before any query).
    { op: "gethostbyname_ex:localhost", without: [], entry: "--allow-read=/etc/hosts" },
    {
      op: "gethostbyname_ex:nonexistent.invalid",
      without: ["--allow-read=/etc/hosts"],
      entry: "--allow-net=nonexistent.invalid",
      with: undefined,
    },
    { op: "gethostbyaddr:127.0.0.1", without: [], entry: "--allow-read=/etc/hosts" },
    { op: "getnameinfo:127.0.0.1:80", without: [], entry: "--allow-read=/etc/hosts" },
    // An address the hosts file lacks goes to DNS: the denial names the
    // system's DNS server (only the denial runs: no query leaves).
    {
      op: "gethostbyaddr:192.0.2.1",
      without: ["--allow-read=/etc/hosts"],
      entry: "--allow-net=",
      with: undefined,
    },
    // getfqdn(): the local host's name, its address, then the address's names.
    { op: "getfqdn", without: [], entry: "--allow-sys=hostname", with: undefined },
    {
      op: "getfqdn",
      without: ["--allow-sys=hostname"],
      entry: `--allow-net=${hostname}`,
      with: inHosts ? fqdnGrants : undefined,
    },
    ...(inHosts
      ? [{ op: "getfqdn", without: fqdnGrants.slice(0, 2), entry: "--allow-read=/etc/hosts" }]
      : []),
    { op: "getfqdn:127.0.0.1", without: [], entry: "--allow-read=/etc/hosts" },
    // Services: a built-in table of the well-known ones needs nothing; the
    // system's file, when readable, also has the rest ("systat", port 11).
    { op: "getservbyname:http", without: [], entry: null },
    {
      op: "getservbyname:systat",
      without: [],
      entry: "--allow-read=/etc/services",
      fallback: "service/proto not found",
      mayFail: !servicesFile,
    },
    // TLS files: each file read needs its own grant.
    {
      op: `load_cert_chain:${cert}:${key}`,
      without: [],
      entry: `--allow-read=${cert}`,
      with: [`--allow-read=${cert},${key}`],
    },
    {
      op: `load_cert_chain:${cert}:${key}`,
      without: [`--allow-read=${cert}`],
      entry: `--allow-read=${key}`,
      with: [`--allow-read=${cert},${key}`],
    },
    { op: `load_verify_locations:${ca}`, without: [], entry: `--allow-read=${ca}` },
    // Datagram sockets need Deno's unstable net API: an OSError names the flag.
    {
      op: "udp-socket",
      without: [],
      entry: "--unstable-net",
      error: { name: "OSError", errno: 93 },
    },
  ];
  // Where `with` is not given, it is `without` plus the named entry (all
  // three grants for a Unix path).
  const withFlags = (row: Row): string[] | undefined => {
    if ("with" in row) return row.with;
    if (row.entry === null) return undefined;
    const unixPath = /^--allow-net=unix:(.*)$/.exec(row.entry);
    return [...row.without, ...(unixPath ? unixGrants(unixPath[1]) : [row.entry])];
  };
  // One child per set of flags.
  const runs = new Map<string, { flags: string[]; ops: string[] }>();
  const plan = (flags: string[], op: string) => {
    const key = JSON.stringify(flags);
    const run = runs.get(key) ?? { flags, ops: [] };
    if (!run.ops.includes(op)) run.ops.push(op);
    runs.set(key, run);
  };
  for (const row of rows) {
    plan(row.without, row.op);
    const flags = withFlags(row);
    if (flags) plan(flags, row.op);
  }
  const paths = ["bind", "pair", "connect"].map(unix);
  await Deno.mkdir(UNIX_DIR, { recursive: true });
  for (const path of paths) await Deno.remove(path).catch(() => {});
  try {
    const outcomes = new Map<string, Outcome>();
    for (const { flags, ops } of runs.values()) {
      for (const [op, o] of await child(flags, ops)) {
        outcomes.set(`${JSON.stringify(flags)} ${op}`, o);
      }
    }
    const outcome = (flags: string[], op: string) => outcomes.get(`${JSON.stringify(flags)} ${op}`);
    for (const row of rows) {
      const without = outcome(row.without, row.op);
      if (row.entry === null) works(without);
      else if (row.fallback !== undefined) {
        notDenied(without);
        assert(!without!.ok, `${row.op} worked without ${row.entry}`);
        assertEquals(without!.message, row.fallback);
      } else {
        denied(without, row.entry, row.error);
        const unixPath = /^--allow-net=unix:(.*)$/.exec(row.entry);
        if (unixPath) {
          for (const grant of unixGrants(unixPath[1]).slice(1)) {
            assert(without!.message!.includes(grant), `${row.op}: does not name ${grant}`);
          }
        }
      }
      if (row.op === "gethostbyaddr:192.0.2.1") {
        assertMatch(without!.message!, /--allow-net=\S+:53$/);
      }
      const flags = withFlags(row);
      if (!flags) continue;
      if (row.mayFail) notDenied(outcome(flags, row.op));
      else works(outcome(flags, row.op));
    }
  } finally {
    sink.close();
    await sinking;
    await Promise.all(peers);
    for (const path of paths) await Deno.remove(path).catch(() => {});
  }
});
