/**
 * Run by `errors_test.ts` under `deno run` with no `--allow-net`: binds and
 * connects on loopback and prints one JSON line per operation with the
 * error's class, errno, message and the class of its cause.
 *
 * @module
 */

import { socket } from "../mod.ts";

const port = Number(Deno.args[0]);
const ops: [string, () => Promise<void> | void][] = [
  ["bind", () => {
    using sock = socket();
    sock.bind(["127.0.0.1", 0]);
  }],
  ["connect", async () => {
    using sock = socket();
    await sock.connect(["127.0.0.1", port]);
  }],
  ["connect_ex", async () => {
    using sock = socket();
    await sock.connect_ex(["127.0.0.1", port]);
  }],
];
for (const [op, run] of ops) {
  try {
    await run();
    console.log(JSON.stringify({ op, ok: true }));
  } catch (e) {
    const err = e as Error & { errno?: number };
    console.log(JSON.stringify({
      op,
      ok: false,
      name: err.name,
      errno: err.errno,
      message: err.message,
      cause: (err.cause as Error | undefined)?.name,
    }));
  }
}
