/**
 * Typed test helpers: the `@std/assert` functions this suite uses (the npm
 * copy of the standard library carries no types), and socket fixtures.
 *
 * @module
 */

import * as std from "@std/assert";
import { type Socket, socket } from "@seed/socket";

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** Asserts deep equality. */
export const assertEquals: <T>(actual: T, expected: T, msg?: string) => void = std.assertEquals;
/** Asserts deep inequality. */
export const assertNotEquals: <T>(actual: T, expected: T, msg?: string) => void =
  std.assertNotEquals;
/** Asserts strict (===) equality. */
export const assertStrictEquals: <T>(actual: unknown, expected: T, msg?: string) => void =
  std.assertStrictEquals;
/** Asserts that a condition holds. */
export const assert: (expr: unknown, msg?: string) => asserts expr = std.assert;
/** Asserts that `value` is an instance of `type`. */
export const assertInstanceOf: <T>(
  value: unknown,
  type: abstract new (...args: never[]) => T,
  msg?: string,
) => asserts value is T = std.assertInstanceOf;
/** Asserts that a string matches a pattern. */
export const assertMatch: (actual: string, expected: RegExp, msg?: string) => void =
  std.assertMatch;
/** Asserts that `actual` is greater than or equal to `expected`. */
export const assertGreaterOrEqual: <T>(actual: T, expected: T, msg?: string) => void =
  std.assertGreaterOrEqual;
/** Asserts that `actual` is less than or equal to `expected`. */
export const assertLessOrEqual: <T>(actual: T, expected: T, msg?: string) => void =
  std.assertLessOrEqual;
/** Fails the test. */
export const fail: (msg?: string) => never = std.fail;

/** Asserts that `fn` throws an instance of `type` (message matching `match`). */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  type: ErrorClass<E>,
  match?: RegExp,
): E {
  try {
    fn();
  } catch (e) {
    assertInstanceOf(e, type, `expected ${type.name}, got ${String(e)}`);
    if (match) assertMatch((e as Error).message, match);
    return e as E;
  }
  throw new std.AssertionError(`expected ${type.name} to be thrown`);
}

/** Asserts that the promise rejects with an instance of `type`. */
export async function assertRejects<E extends Error>(
  promise: Promise<unknown> | (() => Promise<unknown>),
  type: ErrorClass<E>,
  match?: RegExp,
): Promise<E> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (e) {
    assertInstanceOf(e, type, `expected ${type.name}, got ${String(e)}`);
    if (match) assertMatch((e as Error).message, match);
    return e as E;
  }
  throw new std.AssertionError(`expected ${type.name} to be rejected`);
}

/** Concatenates byte arrays. */
export const concat: (buffers: Uint8Array[]) => Uint8Array = (
  await import("@std/bytes")
).concat;

/** Resolves after `ms` milliseconds (for bounding, never for synchronising). */
export const delay: (ms: number, options?: { signal?: AbortSignal }) => Promise<void> = (
  await import("@std/async/delay")
).delay;

/**
 * Rejects if `p` has not settled within `ms` (the "never a hang" bound);
 * clears its timer either way.
 */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** UTF-8 text of bytes. */
export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

export { pseudoRandomBytes, sha256 } from "./_bytes.ts";

/** Receives until `size` bytes or EOF, blocking, at most `chunk` bytes a call. */
export async function recvAll(sock: Socket, size: number, chunk = 65536): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < size) {
    const part = await sock.recv(Math.min(chunk, size - got));
    if (part.length === 0) break;
    parts.push(part);
    got += part.length;
  }
  return concat(parts);
}

/** A listening server on 127.0.0.1, an ephemeral port. */
export function listening(host = "127.0.0.1"): { server: Socket; address: [string, number] } {
  const server = socket();
  server.bind([host, 0]);
  server.listen();
  return { server, address: server.getsockname() as [string, number] };
}

/** A connected TCP pair on loopback, with the listener already closed. */
export async function connectedPair(): Promise<{
  client: Socket;
  server: Socket;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const { server: listener, address } = listening();
  const client = socket();
  await client.connect(address);
  const [server] = await listener.accept();
  listener.close();
  return {
    client,
    server,
    [Symbol.asyncDispose]() {
      client.close();
      server.close();
      return Promise.resolve();
    },
  };
}

/**
 * The folder that holds every Unix socket the tests make; `deno task test`
 * grants read/write on it and net access to the exact paths below.
 */
export const UNIX_DIR = "/tmp/seed-socket-test";

/** The Unix socket paths the test task grants (one per test that needs one). */
export const UNIX_PATHS: readonly string[] = ["a", "b", "c", "d", "e", "f"].map((n) =>
  `${UNIX_DIR}/${n}.sock`
);

/** Makes the Unix socket folder and removes a stale socket file at `path`. */
export async function freshUnixPath(path: string): Promise<string> {
  await Deno.mkdir(UNIX_DIR, { recursive: true });
  await Deno.remove(path).catch(() => {});
  return path;
}

/**
 * Reads `stream` (a child's stdout) until a newline or its end, then
 * releases it; resolves the text read (what the child printed first, e.g.
 * its port).
 */
export async function readUntilNewline(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  let out = "";
  try {
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += text(value);
    }
  } finally {
    reader.releaseLock();
  }
  return out;
}

/** Runs `command args…` with `input` on its stdin; resolves its output, whatever its status. */
export async function runWithInput(
  command: string,
  args: string[],
  input: string,
): Promise<Deno.CommandOutput> {
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  return await child.output();
}

/**
 * The harmless call that tells whether a tool is usable: it must exit 0.
 * A tool not listed here is probed with `TOOL --version`.
 */
const PROBES: Record<string, readonly [string, ...string[]]> = {
  python3: ["python3", "--version"],
  openssl: ["openssl", "version"],
  "ip netns": ["ip", "netns", "list"],
};

const probed = new Map<string, string | null>();

/**
 * Why `tool` cannot be used here (a short phrase), or `null` when it can.
 * Probed once per test module, which prints one `SKIPPED:` line for a
 * missing tool. A tool that the test task does not allow to run is a fault
 * in the task, not a missing tool: that throws.
 */
export function missing(tool: string): string | null {
  const known = probed.get(tool);
  if (known !== undefined) return known;
  const [command, ...args] = PROBES[tool] ?? [tool, "--version"];
  let reason: string | null = null;
  try {
    const out = new Deno.Command(command, { args, stdin: "null", stdout: "null", stderr: "null" })
      .outputSync();
    if (!out.success) reason = `\`${[command, ...args].join(" ")}\` exited with ${out.code}`;
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      throw new Error(`the test task must grant --allow-run=${command} to run ${tool}`, {
        cause: e,
      });
    }
    reason = e instanceof Deno.errors.NotFound
      ? `${command} is not on PATH`
      : `${command} cannot run (${e instanceof Error ? e.message : String(e)})`;
  }
  probed.set(tool, reason);
  if (reason !== null) console.log(`SKIPPED: tests that need ${tool} are ignored: ${reason}`);
  return reason;
}

/**
 * Test options that ignore a test (or a step) when a tool it runs is
 * missing, so `deno test` counts it as ignored instead of failing it; the
 * first time a tool is found missing, one line says which and why
 * (`SKIPPED: tests that need python3 are ignored: python3 is not on PATH`).
 *
 * ```ts ignore
 * Deno.test({ name: "a TLS peer", ...requires("openssl"), fn: async () => {} });
 * Deno.test("a CPython peer", requires("python3"), async () => {});
 * await t.step({ name: "a CPython peer", ...requires("python3"), fn: async () => {} });
 * ```
 *
 * `python.test` and `python.step` are the short forms for `python3`. Tools
 * with a special probe are listed in `PROBES` (`"ip netns"` runs `ip netns
 * list`); any other name is probed with `NAME --version`.
 */
export function requires(...tools: string[]): { ignore: boolean } {
  return { ignore: tools.map(missing).some((reason) => reason !== null) };
}

type TestFn = (t: Deno.TestContext) => void | Promise<void>;

/**
 * Runs `python3 -c code` with arguments; resolves its stdout (throws on
 * failure). `python.test(name, fn)` and `python.step(t, name, fn)` are
 * `Deno.test` and `t.step` for a test that runs python3: ignored, with one
 * line saying so, where it is missing.
 */
export const python: {
  (code: string, ...args: string[]): Promise<string>;
  test(name: string, fn: TestFn): void;
  step(t: Deno.TestContext, name: string, fn: TestFn): Promise<boolean>;
} = Object.assign(runPython, {
  test(name: string, fn: TestFn): void {
    Deno.test({ name, ...requires("python3"), fn });
  },
  step(t: Deno.TestContext, name: string, fn: TestFn): Promise<boolean> {
    return t.step({ name, ...requires("python3"), fn });
  },
});

async function runPython(code: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("python3", {
    args: ["-c", code, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`python3 failed (${out.code}): ${stderr}`);
  return new TextDecoder().decode(out.stdout);
}
