/**
 * Deno's permissions: a child `deno run` (see `_perm_child.ts`) runs each
 * operation under (a) no `--allow-net`, (b) `--allow-net=127.0.0.1:<port>`,
 * (c) the loopback set, and narrower grants that must be enough. Each
 * operation works, fails for a reason that is not permission, or raises
 * `PermissionError` (errno EACCES) whose message names the `--allow-…`
 * entry that is missing. The child runs with `--no-config` (the library is
 * imported by path) and `--no-prompt`; datagram rows add `--unstable-net`.
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

function denied(o: Outcome | undefined, entry: string): void {
  assert(o, "no outcome");
  assert(!o.ok, `${o.op} worked without ${entry}`);
  assertEquals(o.name, "PermissionError", `${o.op}: ${o.message}`);
  assertEquals(o.errno, 13);
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
