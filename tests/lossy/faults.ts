/**
 * The orchestrator of `deno task faults` (run by `tools/faults.sh`, which
 * builds the namespaces): starts `peer.ts server` in one namespace and
 * `peer.ts client` in the other, takes the link down and up when the
 * client asks (and once in the middle of the 32 MiB transfer), reads the
 * kernel's TCP retransmission counters, and prints a summary. Exits 1 when
 * a scenario failed.
 *
 * Environment: NS_A, NS_B (namespace names), DEV_B (the veth end in NS_B),
 * DENO_BIN (absolute path of the deno binary), ADDR_A, ADDR_B, UNANSWERED.
 *
 * @module
 */

const env = (name: string): string => {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} is not set (run tools/faults.sh)`);
  return value;
};

const NS_A = env("NS_A");
const NS_B = env("NS_B");
const DEV_B = env("DEV_B");
const DENO_BIN = env("DENO_BIN");
const ADDR_A = env("ADDR_A");
const ADDR_B = env("ADDR_B");
const UNANSWERED = env("UNANSWERED");
const PEER = new URL("./peer.ts", import.meta.url).pathname;
const DOWN_SECONDS = 2;

async function ip(...args: string[]): Promise<string> {
  const out = await new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

async function link(state: "up" | "down"): Promise<void> {
  await ip("-n", NS_B, "link", "set", DEV_B, state);
  log(`link ${DEV_B} ${state}`);
}

async function retransmissions(ns: string): Promise<number> {
  const snmp = await ip("netns", "exec", ns, "cat", "/proc/net/snmp");
  const lines = snmp.split("\n").filter((l) => l.startsWith("Tcp:"));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/);
  return Number(values[names.indexOf("RetransSegs")]);
}

const started = performance.now();
function log(line: string): void {
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
}

function spawnPeer(ns: string, allow: string, args: string[]): {
  child: Deno.ChildProcess;
  lines: AsyncGenerator<string>;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
} {
  const child = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      ns,
      DENO_BIN,
      "run",
      "--no-config",
      "--no-prompt",
      "--unstable-net",
      `--allow-net=${allow}`,
      PEER,
      ...args,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = (async function* () {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      yield* parts;
    }
    if (rest) yield rest;
  })();
  return { child, lines, stdin: child.stdin.getWriter() };
}

const encoder = new TextEncoder();
const results: { name: string; ok: boolean; [key: string]: unknown }[] = [];

const server = spawnPeer(NS_B, ADDR_B, ["server", ADDR_B]);
const ready = await server.lines.next();
if (ready.value !== "listening") throw new Error(`server did not start: ${ready.value}`);
log(`server listening on ${ADDR_B} in ${NS_B}`);

const retransBefore = await retransmissions(NS_A) + await retransmissions(NS_B);
// The client may bind UDP implicitly on the wildcard; it reaches only the
// test subnet.
const client = spawnPeer(NS_A, `${ADDR_B},${UNANSWERED},${ADDR_A},0.0.0.0`, [
  "client",
  ADDR_B,
  UNANSWERED,
]);
let flapped: Promise<void> | null = null;
for await (const line of client.lines) {
  if (line.startsWith("progress ")) {
    const sent = Number(line.slice("progress ".length));
    if (sent % (4 << 20) === 0) log(`transfer: ${sent >> 20} MiB handed to the socket`);
    if (sent >= 8 << 20 && !flapped) {
      // Mid-transfer: the link goes away for a while, then comes back.
      flapped = (async () => {
        await link("down");
        await new Promise((r) => setTimeout(r, DOWN_SECONDS * 1000));
        await link("up");
      })();
    }
  } else if (line === "need-down") {
    await link("down");
    await client.stdin.write(encoder.encode("down\n"));
  } else if (line === "need-up") {
    await link("up");
    await client.stdin.write(encoder.encode("up\n"));
  } else if (line.startsWith("result ")) {
    const r = JSON.parse(line.slice("result ".length));
    results.push(r);
    log(
      `${r.ok ? "PASS" : "FAIL"} ${r.name}: ${
        JSON.stringify({ ...r, name: undefined, ok: undefined })
      }`,
    );
  } else if (line === "done") {
    break;
  } else {
    log(`client: ${line}`);
  }
}
await flapped;
await client.stdin.close().catch(() => {});
const clientStatus = await client.child.status;
log(`client exited (${clientStatus.code})`);
await server.stdin.close().catch(() => {});
const serverStatus = await server.child.status;
log(`server exited (${serverStatus.code})`);
const retransAfter = await retransmissions(NS_A) + await retransmissions(NS_B);

const failed = results.filter((r) => !r.ok);
console.log("");
console.log(
  `faults: ${results.length - failed.length}/${results.length} scenarios passed, ` +
    `${retransAfter - retransBefore} TCP segments retransmitted, ` +
    `client exit ${clientStatus.code}, server exit ${serverStatus.code}, ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s`,
);
if (results.length < 4) console.log("faults: FAIL (some scenarios reported nothing)");
Deno.exit(failed.length === 0 && results.length >= 4 && clientStatus.success ? 0 : 1);
