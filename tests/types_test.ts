/**
 * The type-level pins of `types_check.ts` pass `deno check`, and `deno doc`
 * shows parameters that have defaults as optional.
 */

import { assert } from "./_util.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function deno(...args: string[]): Promise<string> {
  const out = await new Deno.Command("deno", {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.success, `deno ${args.join(" ")} failed (${out.code}):\n${stdout}\n${stderr}`);
  return stdout;
}

Deno.test("types: tests/types_check.ts passes deno check (bytes, socket(), selectors, defaults)", async () => {
  await deno("check", "--quiet", "tests/types_check.ts");
});

Deno.test("types: deno doc shows parameters with defaults as optional", async () => {
  const doc = await deno("doc", "mod.ts");
  for (
    const signature of [
      "listen(backlog?: number): void",
      "recv_into(buffer: ArrayBufferView | ArrayBuffer, nbytes?: number",
      "sendfile(file: SendableFile, offset?: number, count?: number | null): Promise<number>",
      "recvmsg(bufsize: number, ancbufsize?: number, flags?: number): Promise<RecvmsgResult>",
      "constructor(family?: number, type?: number, proto?: number)",
      "getaddrinfo(host: string | null, port: number | string | null, family?: number, type?: number, proto?: number, flags?: number)",
      "getfqdn(name?: string): Promise<string>",
      "read(size?: number): Promise<Uint8Array<ArrayBuffer>>",
      "readline(limit?: number): Promise<string>",
      "serve_forever(poll_interval?: number): Promise<void>",
      "constructor(code: number | null, text?: string | null, options?: OSErrorOptions)",
    ]
  ) {
    assert(doc.includes(signature), `deno doc lacks "${signature}"`);
  }
  // No documented signature shows a defaulted parameter as required.
  const signatures = doc.split("\n").filter((line) =>
    /^\s*(async )?(function |constructor\(|[a-z_]+\()/.test(line)
  );
  for (const line of signatures) {
    for (const name of ["backlog", "nbytes", "bind_and_activate", "poll_interval"]) {
      assert(!line.includes(`${name}: `), `required "${name}" in: ${line.trim()}`);
    }
  }
});
