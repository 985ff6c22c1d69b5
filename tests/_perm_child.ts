/**
 * Run by `permissions_test.ts` under `deno run` with chosen permissions.
 * Each argument is one operation, `kind:host:port` (or `unix:path`); for
 * each it prints one JSON line: `{ op, ok }` or `{ op, ok: false, name,
 * errno, message }`. It imports the library by relative path, so it runs
 * with `--no-config`.
 *
 * @module
 */

import * as lib from "../mod.ts";

async function run(op: string): Promise<void> {
  const [kind, ...rest] = op.split(":");
  const port = Number(rest.at(-1));
  const host = rest.slice(0, -1).join(":");
  switch (kind) {
    case "connect": {
      // A TCP client: connect, send, close.
      using sock = lib.socket(host.includes(":") ? lib.AF_INET6 : lib.AF_INET);
      sock.settimeout(5);
      await sock.connect([host, port]);
      await sock.sendall("ping");
      return;
    }
    case "bind": {
      // A TCP server: bind and listen.
      using sock = lib.socket(host.includes(":") ? lib.AF_INET6 : lib.AF_INET);
      sock.bind([host, port]);
      sock.listen();
      return;
    }
    case "unix": {
      const path = rest.join(":");
      using sock = lib.socket(lib.AF_UNIX);
      sock.bind(path);
      sock.listen();
      return;
    }
    case "udp-sendto": {
      // A UDP client: sendto binds implicitly, then a reply-less send.
      using sock = lib.socket(lib.AF_INET, lib.SOCK_DGRAM);
      await sock.sendto("ping", [host, port]);
      return;
    }
    case "udp-bind": {
      using sock = lib.socket(lib.AF_INET, lib.SOCK_DGRAM);
      sock.bind([host, port]);
      return;
    }
    default:
      throw new Error(`unknown operation ${op}`);
  }
}

for (const op of Deno.args) {
  try {
    await run(op);
    console.log(JSON.stringify({ op, ok: true }));
  } catch (e) {
    const error = e as lib.OSError;
    console.log(JSON.stringify({
      op,
      ok: false,
      name: error.name,
      errno: error.errno ?? null,
      message: error.message,
    }));
  }
}
