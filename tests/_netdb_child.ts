/**
 * Run by `netdb_test.ts` under `deno run` with the permissions the name
 * service needs. Its argument is a JSON list of calls `[function, ...args]`;
 * it prints one JSON list of outcomes: `{ v }` or `{ e, errno, msg }`, the
 * shape the test's python3 script prints for the same calls. It imports the
 * library by relative path, so it runs with `--no-config`.
 *
 * @module
 */

import * as lib from "../mod.ts";

type Call = [name: string, ...args: unknown[]];

const calls = JSON.parse(Deno.args[0]) as Call[];
const out: unknown[] = [];
for (const [name, ...args] of calls) {
  const fn = (lib as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
  try {
    out.push({ v: await fn(...args) });
  } catch (e) {
    if (e instanceof lib.OSError) {
      out.push({ e: e.name, errno: e.errno, msg: e.message });
    } else {
      out.push({ e: e instanceof TypeError || e instanceof RangeError ? "ArgError" : String(e) });
    }
  }
}
console.log(JSON.stringify(out));
