/**
 * The name service (`gethostbyname`, `gethostbyname_ex`, `gethostbyaddr`,
 * `getnameinfo`, `getfqdn`, `getservbyname`, `getservbyport`,
 * `getprotobyname`) against CPython on the same machine. Calls that need
 * more than the test task grants (the hosts file, resolving names other
 * than localhost) run in a child `deno run` (`_netdb_child.ts`) with
 * `--allow-read=/etc/hosts,/etc/services,/etc/protocols` and net access to
 * the names looked up only; the rest run here, under the task's flags.
 */

import * as S from "@seed/socket";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
  python,
} from "./_util.ts";

const CHILD = new URL("./_netdb_child.ts", import.meta.url).pathname;

const PY_RUNNER = String.raw`
import json, socket, sys
out = []
for name, *args in json.loads(sys.argv[1]):
    if name == "getnameinfo": args[0] = tuple(args[0])
    try:
        v = getattr(socket, name)(*args)
        out.append({"v": json.loads(json.dumps(v))})
    except (TypeError, ValueError, OverflowError):
        out.append({"e": "ArgError"})
    except OSError as e:
        out.append({"e": type(e).__name__, "errno": e.errno, "msg": str(e)})
print(json.dumps(out))
`;

type Call = [string, ...unknown[]];

async function inPython(calls: Call[]): Promise<unknown[]> {
  return JSON.parse(await python(PY_RUNNER, JSON.stringify(calls)));
}

async function inChild(calls: Call[], net: string[]): Promise<unknown[]> {
  const out = await new Deno.Command("deno", {
    args: [
      "run",
      "--no-config",
      "--no-prompt",
      "--quiet",
      "--allow-read=/etc/hosts,/etc/services,/etc/protocols",
      "--allow-sys=hostname",
      `--allow-net=${net.join(",")}`,
      CHILD,
      JSON.stringify(calls),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.success, `child failed (${out.code}): ${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Each call's outcome here and in CPython, side by side, for a readable diff. */
function sideBySide(calls: Call[], ours: unknown[], theirs: unknown[]): void {
  assertEquals(
    calls.map((c, i) => [JSON.stringify(c), ours[i]]),
    calls.map((c, i) => [JSON.stringify(c), theirs[i]]),
  );
}

const HOST_CALLS: Call[] = [
  ["gethostbyname", "localhost"],
  ["gethostbyname", "LOCALHOST"],
  ["gethostbyname", "127.0.0.1"],
  ["gethostbyname", "1.2.3"],
  ["gethostbyname", ""],
  ["gethostbyname", "<broadcast>"],
  ["gethostbyname", "::1"],
  ["gethostbyname", "nonexistent.invalid"],
  ["gethostbyname_ex", "localhost"],
  ["gethostbyname_ex", "LOCALHOST"],
  ["gethostbyname_ex", "127.0.0.1"],
  ["gethostbyname_ex", "1.2.3"],
  ["gethostbyname_ex", ""],
  ["gethostbyname_ex", "::1"],
  ["gethostbyname_ex", "nonexistent.invalid"],
  ["gethostbyaddr", "127.0.0.1"],
  ["gethostbyaddr", "localhost"],
  ["gethostbyaddr", "127.0.0.2"],
  ["gethostbyaddr", "::1"],
  ["gethostbyaddr", "nonexistent.invalid"],
  ["gethostbyaddr", ""],
  ["getnameinfo", ["127.0.0.1", 80], 0],
  ["getnameinfo", ["127.0.0.1", 80], S.NI_NUMERICHOST],
  ["getnameinfo", ["127.0.0.1", 80], S.NI_NUMERICSERV],
  ["getnameinfo", ["127.0.0.1", 53], S.NI_DGRAM],
  ["getnameinfo", ["127.0.0.1", 80], S.NI_NOFQDN],
  ["getnameinfo", ["127.0.0.1", 65000], 0],
  ["getnameinfo", ["127.0.0.2", 80], 0],
  ["getnameinfo", ["127.0.0.2", 80], S.NI_NAMEREQD],
  ["getnameinfo", ["::1", 22, 0, 0], 0],
  ["getnameinfo", ["::1", 80, 0, 1], S.NI_NUMERICHOST],
  ["getnameinfo", ["fe80::1%1", 80], S.NI_NUMERICHOST],
  ["getnameinfo", ["localhost", 80], 0],
  ["getnameinfo", ["127.0.0.1", 80, 0, 0], 0],
  ["getnameinfo", ["127.0.0.1"], 0],
  ["getfqdn", "localhost"],
  ["getfqdn", "127.0.0.1"],
  ["getfqdn", "nonexistent.invalid"],
  ["getfqdn", ""],
];

python.test("netdb: host names and addresses as CPython (hosts file, numeric, unknown)", async () => {
  const hostname = (await python("import socket; print(socket.gethostname())")).trim();
  const calls: Call[] = [...HOST_CALLS, ["gethostbyname_ex", hostname], [
    "gethostbyaddr",
    hostname,
  ]];
  const [ours, theirs] = await Promise.all([
    inChild(calls, ["localhost", "nonexistent.invalid", hostname]),
    inPython(calls),
  ]);
  sideBySide(calls, ours, theirs);
});

python.test("netdb: services and protocols from the system files as CPython", async () => {
  const calls: Call[] = [
    ["getservbyname", "http"],
    ["getservbyname", "http", "tcp"],
    ["getservbyname", "www"],
    ["getservbyname", "domain", "udp"],
    ["getservbyname", "HTTP"],
    ["getservbyname", "nope"],
    ["getservbyname", "http", "xyz"],
    ["getservbyport", 80],
    ["getservbyport", 80, "udp"],
    ["getservbyport", 53, "udp"],
    ["getservbyport", 143],
    ["getservbyport", 9999],
    ["getservbyport", 70000],
    ["getprotobyname", "tcp"],
    ["getprotobyname", "TCP"],
    ["getprotobyname", "ipv6-icmp"],
    ["getprotobyname", "nope"],
  ];
  const [ours, theirs] = await Promise.all([inChild(calls, ["localhost"]), inPython(calls)]);
  sideBySide(calls, ours, theirs);
});

// Without --allow-read the built-in tables answer: each of their entries
// must agree with the system's files, as CPython reads them.
const WELL_KNOWN = [
  "echo",
  "discard",
  "sink",
  "daytime",
  "chargen",
  "ftp-data",
  "ftp",
  "ssh",
  "telnet",
  "smtp",
  "mail",
  "time",
  "whois",
  "domain",
  "bootps",
  "bootpc",
  "tftp",
  "gopher",
  "finger",
  "http",
  "www",
  "kerberos",
  "krb5",
  "pop3",
  "sunrpc",
  "portmapper",
  "auth",
  "ident",
  "nntp",
  "ntp",
  "netbios-ns",
  "netbios-ssn",
  "imap2",
  "imap",
  "snmp",
  "snmp-trap",
  "bgp",
  "ldap",
  "https",
  "microsoft-ds",
  "submissions",
  "smtps",
  "syslog",
  "printer",
  "submission",
  "ldaps",
  "rsync",
  "imaps",
  "pop3s",
  "openvpn",
  "ms-sql-s",
  "mysql",
  "postgresql",
  "postgres",
  "amqp",
  "x11",
  "http-alt",
  "webcache",
];

python.test("netdb: the built-in tables (no read permission) agree with CPython", async () => {
  assertEquals(
    (await Deno.permissions.query({ name: "read", path: "/etc/services" })).state,
    "prompt",
  );
  const calls: Call[] = [];
  for (const name of WELL_KNOWN) {
    for (const proto of ["tcp", "udp"]) calls.push(["getservbyname", name, proto]);
  }
  for (const port of [7, 21, 22, 25, 53, 80, 123, 143, 443, 587, 993, 3306, 5432, 8080]) {
    for (const proto of ["tcp", "udp"]) calls.push(["getservbyport", port, proto]);
  }
  for (const name of ["ip", "icmp", "ICMP", "igmp", "tcp", "TCP", "udp", "UDP", "ipv6", "gre"]) {
    calls.push(["getprotobyname", name]);
  }
  for (const name of ["esp", "ah", "ipv6-icmp", "IPv6-ICMP", "sctp", "udplite"]) {
    calls.push(["getprotobyname", name]);
  }
  const ours = calls.map(([name, ...args]) => {
    const fn = (S as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    try {
      return { v: fn(...args) };
    } catch (e) {
      assertInstanceOf(e, S.OSError);
      return { e: e.name, errno: e.errno, msg: e.message };
    }
  });
  sideBySide(calls, ours, await inPython(calls));
});

Deno.test("netdb: under the test task's flags, numeric and localhost lookups work", async () => {
  assertEquals(await S.gethostbyname("localhost"), "127.0.0.1");
  assertEquals(await S.gethostbyname("127.1"), "127.0.0.1");
  assertEquals(await S.gethostbyname_ex("10.1"), ["10.1", [], ["10.0.0.1"]]);
  assertEquals(await S.getnameinfo(["127.0.0.1", 8080], S.NI_NUMERICHOST | S.NI_NUMERICSERV), [
    "127.0.0.1",
    "8080",
  ]);
  assertEquals(await S.getnameinfo(["::1", 80, 0, 3], S.NI_NUMERICHOST | S.NI_NUMERICSERV), [
    "::1%3",
    "80",
  ]);
});

Deno.test("netdb: a missing permission names the flag to add", async () => {
  const read = await assertRejects(S.gethostbyaddr("127.0.0.1"), S.PermissionError);
  assert(read.message.includes("--allow-read=/etc/hosts"), read.message);
  await assertRejects(
    S.gethostbyname_ex("localhost"),
    S.PermissionError,
    /--allow-read=\/etc\/hosts/,
  );
  await assertRejects(
    S.getnameinfo(["127.0.0.1", 80], 0),
    S.PermissionError,
    /--allow-read=\/etc\/hosts/,
  );
  await assertRejects(
    S.gethostbyname("example.invalid"),
    S.PermissionError,
    /--allow-net=example\.invalid/,
  );
  // getfqdn does not swallow it (CPython's would return the name).
  await assertRejects(S.getfqdn("127.0.0.1"), S.PermissionError, /--allow-read=\/etc\/hosts/);
});

Deno.test("netdb: a DNS PTR query without net permission names the DNS server's entry", async () => {
  // The hosts file is readable here; 192.0.2.1 (TEST-NET-1) is not in it.
  const [outcome] = await inChild([["gethostbyaddr", "192.0.2.1"]], ["localhost"]) as {
    e?: string;
    msg?: string;
  }[];
  assertEquals(outcome.e, "PermissionError", JSON.stringify(outcome));
  assert(/run with --allow-net=\S+:53/.test(outcome.msg ?? ""), outcome.msg);
});

Deno.test("netdb: herror and gaierror are OSErrors with CPython's numbers and texts", () => {
  const h = new S.herror(1, "Unknown host");
  assertInstanceOf(h, S.OSError);
  assertEquals([h.name, h.errno, h.message], ["herror", 1, "[Errno 1] Unknown host"]);
});

Deno.test("netdb: bad arguments reject with TypeError/RangeError before any lookup", async () => {
  const bad = (x: unknown) => x as never;
  await assertRejects(S.gethostbyname(bad(5)), TypeError, /hostname/);
  await assertRejects(S.gethostbyname_ex(bad(null)), TypeError, /hostname/);
  await assertRejects(S.gethostbyaddr(bad(1)), TypeError, /ip_address/);
  await assertRejects(S.getnameinfo(bad("127.0.0.1"), 0), TypeError, /sockaddr/);
  await assertRejects(S.getnameinfo(bad(["127.0.0.1", "80"]), 0), TypeError, /port/);
  await assertRejects(S.getnameinfo(["127.0.0.1", 70000], 0), RangeError, /port/);
  await assertRejects(S.getnameinfo(["127.0.0.1", 80], bad("0")), TypeError, /flags/);
  await assertRejects(S.getfqdn(bad(1)), TypeError, /name/);
  assertThrows(() => S.getservbyname(bad(80)), TypeError, /servicename/);
  assertThrows(() => S.getservbyport(bad("80")), TypeError, /port/);
  assertThrows(() => S.getservbyport(-1), RangeError, /0-65535/);
  assertThrows(() => S.getprotobyname(bad(6)), TypeError, /protocolname/);
});
