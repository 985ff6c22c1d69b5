/**
 * The two hosts of `deno task faults`, run inside network namespaces by
 * `tools/faults.sh` (through `tests/lossy/faults.ts`):
 *
 * - `server HOST`: on HOST, TCP 9001 receives a stream to its end and
 *   answers its sha256; TCP 9002 echoes; UDP 9003 counts numbered
 *   datagrams; TCP 9004 reports the UDP count. Exits when stdin closes.
 * - `client SERVER UNANSWERED`: runs the scenarios one after the other,
 *   printing `result {json}` lines and `need-down` / `need-up` when it
 *   wants the orchestrator to take the link down or up (it answers `down` /
 *   `up` on stdin once done); prints `progress BYTES` during the transfer.
 *
 * Uses only the library (imported by path, so it runs with `--no-config`).
 *
 * @module
 */

import {
  AF_INET,
  type OSError,
  SHUT_WR,
  SOCK_DGRAM,
  type Socket,
  socket,
  TimeoutError,
} from "../../mod.ts";
import { pseudoRandomBytes as pattern, sha256 } from "../_bytes.ts";

const MiB = 1 << 20;
const TRANSFER = 32 * MiB;
const ECHO_BLOCK = 64 * 1024;
const DATAGRAMS = 3000;
const DATAGRAM_SIZE = 1200;

function listen(host: string, port: number): Socket {
  const server = socket();
  server.bind([host, port]);
  server.listen();
  return server;
}

async function readAll(conn: Socket, limit: number): Promise<Uint8Array> {
  const out = new Uint8Array(limit);
  let got = 0;
  for (;;) {
    const n = await conn.recv_into(out.subarray(got, Math.min(limit, got + 65536)));
    if (n === 0) break;
    got += n;
    if (got === limit) {
      if ((await conn.recv(1)).length !== 0) throw new Error("more bytes than expected");
      break;
    }
  }
  return out.subarray(0, got);
}

// ---- server ---------------------------------------------------------------

async function server(host: string): Promise<void> {
  const shaServer = listen(host, 9001);
  const echoServer = listen(host, 9002);
  const reportServer = listen(host, 9003 + 1);
  const udp = socket(AF_INET, SOCK_DGRAM);
  udp.bind([host, 9003]);
  const seen = new Set<number>();
  let corrupted = 0;
  let lastDatagram = performance.now();

  const tasks = [
    (async () => {
      for await (const [conn] of shaServer) {
        const data = await readAll(conn, TRANSFER);
        await conn.sendall(`${data.length} ${await sha256(data)}\n`);
        conn.close();
      }
    })(),
    (async () => {
      for await (const [conn] of echoServer) {
        for (;;) {
          const data = await conn.recv(65536);
          if (data.length === 0) break;
          await conn.sendall(data);
        }
        conn.close();
      }
    })(),
    (async () => {
      const expected = pattern(DATAGRAM_SIZE, 99);
      for await (const [data] of udp) {
        lastDatagram = performance.now();
        const seq = new DataView(data.buffer, data.byteOffset).getUint32(0);
        const body = data.subarray(4);
        if (
          body.length !== DATAGRAM_SIZE - 4 ||
          body.some((b, i) => b !== expected[i + 4])
        ) corrupted++;
        else seen.add(seq);
      }
    })(),
    (async () => {
      for await (const [conn] of reportServer) {
        // Report once the datagrams stopped coming for a while.
        while (performance.now() - lastDatagram < 500) {
          await new Promise((r) => setTimeout(r, 100));
        }
        await conn.sendall(JSON.stringify({ received: seen.size, corrupted }) + "\n");
        conn.close();
        seen.clear();
        corrupted = 0;
      }
    })(),
  ];
  console.log("listening");
  // Run until the orchestrator closes stdin.
  for await (const _ of Deno.stdin.readable) { /* wait */ }
  for (const s of [shaServer, echoServer, reportServer, udp]) s.close();
  await Promise.allSettled(tasks);
}

// ---- client ---------------------------------------------------------------

const stdinLines = (async function* () {
  let rest = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
})();

async function ask(what: "need-down" | "need-up", answer: string): Promise<void> {
  console.log(what);
  const { value } = await stdinLines.next();
  if (value !== answer) throw new Error(`expected ${answer} on stdin, got ${value}`);
}

function result(name: string, ok: boolean, detail: Record<string, unknown>): void {
  console.log("result " + JSON.stringify({ name, ok, ...detail }));
}

async function transfer(host: string): Promise<void> {
  const data = pattern(TRANSFER, 7);
  const digest = await sha256(data);
  const start = performance.now();
  using conn = socket();
  conn.settimeout(120);
  await conn.connect([host, 9001]);
  const step = MiB;
  for (let off = 0; off < data.length; off += step) {
    await conn.sendall(data.subarray(off, off + step));
    console.log(`progress ${off + step}`);
  }
  await conn.shutdown(SHUT_WR);
  const answer = new TextDecoder().decode(await readAll(conn, 200)).trim();
  const seconds = (performance.now() - start) / 1000;
  const [size, theirs] = answer.split(" ");
  result("tcp 32 MiB transfer, sha256 both sides", theirs === digest && Number(size) === TRANSFER, {
    bytes: Number(size),
    sha256_sent: digest,
    sha256_received: theirs,
    seconds: Number(seconds.toFixed(2)),
    mbit_per_s: Number((TRANSFER * 8 / seconds / 1e6).toFixed(2)),
  });
}

async function unanswered(address: string): Promise<void> {
  using sock = socket();
  sock.settimeout(1);
  const start = performance.now();
  let error: unknown = null;
  try {
    await sock.connect([address, 9]);
  } catch (e) {
    error = e;
  }
  const seconds = (performance.now() - start) / 1000;
  result(
    "connect with settimeout(1) to an unanswered address",
    error instanceof TimeoutError && seconds >= 0.95 && seconds < 2.5,
    { error: String(error), seconds: Number(seconds.toFixed(3)) },
  );
}

async function downedLink(host: string): Promise<void> {
  using conn = socket();
  conn.settimeout(30);
  await conn.connect([host, 9002]);
  const first = pattern(ECHO_BLOCK, 11);
  const second = pattern(ECHO_BLOCK, 12);
  await conn.sendall(first);
  const back1 = await conn.recv(ECHO_BLOCK, 256 /* MSG_WAITALL */);
  await ask("need-down", "down");
  await conn.sendall(second); // queued in the kernel: the link is down
  conn.settimeout(1);
  const start = performance.now();
  let timedOut: unknown = null;
  try {
    const early = await conn.recv(ECHO_BLOCK);
    timedOut = `got ${early.length} bytes while the link was down`;
  } catch (e) {
    timedOut = e;
  }
  const waited = (performance.now() - start) / 1000;
  await ask("need-up", "up");
  conn.settimeout(60);
  const resumed = performance.now();
  const back2 = await conn.recv(ECHO_BLOCK, 256 /* MSG_WAITALL */);
  const resumeSeconds = (performance.now() - resumed) / 1000;
  await conn.shutdown(SHUT_WR);
  const tail = await conn.recv(10);
  const same = (a: Uint8Array, b: Uint8Array) =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  result(
    "recv with a timeout on a downed link, then the connection resumes",
    timedOut instanceof TimeoutError && same(back1, first) && same(back2, second) &&
      tail.length === 0,
    {
      timeout_error: String(timedOut),
      waited_s: Number(waited.toFixed(3)),
      resumed_after_s: Number(resumeSeconds.toFixed(2)),
      echoed_bytes: back1.length + back2.length,
    },
  );
}

async function datagrams(host: string): Promise<void> {
  using udp = socket(AF_INET, SOCK_DGRAM);
  const datagram = pattern(DATAGRAM_SIZE, 99);
  const view = new DataView(datagram.buffer);
  let sent = 0;
  let sendErrors = 0;
  const start = performance.now();
  for (let seq = 0; seq < DATAGRAMS; seq++) {
    // Offer about 30 Mbit/s to the 20 Mbit/s link: the short queue drops.
    while (seq * DATAGRAM_SIZE * 8 > (performance.now() - start) * 30e3) {
      await new Promise((r) => setTimeout(r, 1));
    }
    view.setUint32(0, seq);
    try {
      await udp.sendto(datagram, [host, 9003]);
      sent++;
    } catch (e) {
      sendErrors++;
      if (sendErrors === 1) console.error(`sendto: ${(e as OSError).message}`);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  using report = socket();
  report.settimeout(30);
  await report.connect([host, 9004]);
  const counts = JSON.parse(new TextDecoder().decode(await readAll(report, 200)));
  result("udp datagrams over the shaped link", counts.corrupted === 0 && counts.received > 0, {
    sent,
    send_errors: sendErrors,
    received: counts.received,
    lost: sent - counts.received,
    corrupted: counts.corrupted,
    send_seconds: Number(seconds.toFixed(2)),
  });
}

async function client(host: string, unansweredAddress: string): Promise<void> {
  const scenarios: [string, () => Promise<void>][] = [
    ["unanswered", () => unanswered(unansweredAddress)],
    ["downed link", () => downedLink(host)],
    ["transfer", () => transfer(host)],
    ["datagrams", () => datagrams(host)],
  ];
  for (const [name, run] of scenarios) {
    try {
      await run();
    } catch (e) {
      result(name, false, { error: String(e) });
    }
  }
  console.log("done");
  // The connect to the unanswered address is still retrying SYNs in Deno
  // (it cannot be cancelled, only left behind): do not wait ~2 min for it.
  Deno.exit(0);
}

const [role, ...args] = Deno.args;
if (role === "server") await server(args[0]);
else if (role === "client") await client(args[0], args[1]);
else throw new Error("usage: peer.ts server HOST | client SERVER UNANSWERED");
