/**
 * The examples run as a user runs them: `deno task demo`'s flow under
 * `--allow-net=127.0.0.1`, and the echo server and client as two separate
 * `deno run` processes, each with `--allow-net=127.0.0.1:PORT` and nothing
 * else. And they need no registry: `deno task demo` works offline.
 */

import { SHUT_WR, socket } from "@seed/socket";
import * as ssl from "@seed/socket/ssl";
import { assert, assertEquals, assertMatch, listening, within } from "./_util.ts";
import config from "../deno.json" with { type: "json" };

const ROOT = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();

async function run(args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const out = await new Deno.Command("deno", {
    args: ["run", "--no-prompt", "--quiet", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    ok: out.success,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** A port that was free a moment ago (the examples need a fixed port). */
function freePort(): number {
  const { server, address } = listening();
  server.close();
  return address[1];
}

Deno.test("examples/flow.ts narrates the twelve steps in order with the real addresses", async () => {
  const { ok, stdout, stderr } = await run(["--allow-net=127.0.0.1", "examples/flow.ts"]);
  assert(ok, stderr);
  const steps = stdout.split("\n").filter((l) => /^\s*\d+\. /.test(l));
  assertEquals(steps.map((l) => Number(l.trim().split(".")[0])), [
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
  ]);
  const bound = /bound to 127\.0\.0\.1:(\d+)/.exec(steps[1]);
  assert(bound, steps[1]);
  const port = bound[1];
  assert(Number(port) > 0);
  assertMatch(steps[2], new RegExp(`listening on 127\\.0\\.0\\.1:${port}`));
  assertMatch(steps[4], new RegExp(`connecting to 127\\.0\\.0\\.1:${port}`));
  const peer = /connection from (127\.0\.0\.1:\d+)/.exec(steps[5]);
  assert(peer, steps[5]);
  assertMatch(steps[6], /client\s+sendall\("Hello, server!"\)/);
  assertMatch(steps[7], /server\s+recv\(1024\) -> 14 bytes: "Hello, server!"/);
  assertMatch(steps[8], new RegExp(`Hello, ${peer[1].replaceAll(".", "\\.")}!`));
  assertMatch(steps[10], /client\s+close\(\)/);
  assertMatch(steps[11], /0 bytes \(peer closed\)/);
});

Deno.test("examples/echo_server.ts and echo_client.ts work with --allow-net=127.0.0.1:PORT only", async () => {
  const port = freePort();
  const grant = `--allow-net=127.0.0.1:${port}`;
  const server = new Deno.Command("deno", {
    args: ["run", "--no-prompt", "--quiet", grant, "examples/echo_server.ts", String(port)],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const serverErr = new Response(server.stderr).text();
  const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  const readUntil = async (pattern: RegExp) => {
    while (!pattern.test(output)) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`server ended; output: ${output}; stderr: ${await serverErr}`);
      output += value;
    }
  };
  try {
    await readUntil(/listening on \["127\.0\.0\.1",\d+\]\n/);
    assertMatch(output, new RegExp(`listening on \\["127\\.0\\.0\\.1",${port}\\]`));

    const message = "héllo, echo ✓";
    const client = await run([grant, "examples/echo_client.ts", String(port), message]);
    assert(client.ok, client.stderr);
    assertMatch(client.stdout, new RegExp(`-> \\["127\\.0\\.0\\.1",${port}\\]`));
    assert(client.stdout.includes(`received ${JSON.stringify(message)}`), client.stdout);
    await readUntil(/echoed \d+ bytes, closed\n/);
    assertMatch(output, new RegExp(`echoed ${new TextEncoder().encode(message).length} bytes`));

    // A client granted another port is refused, and told which grant it needs.
    const denied = await run([
      `--allow-net=127.0.0.1:${port === 65535 ? 1 : port + 1}`,
      "examples/echo_client.ts",
      String(port),
    ]);
    assert(!denied.ok);
    assertMatch(denied.stderr, /PermissionError/);
    assert(denied.stderr.includes(grant), denied.stderr);
  } finally {
    server.kill("SIGTERM");
    await lines.cancel().catch(() => {});
    await server.status;
    await serverErr;
  }
});

/** Every program in examples/ (the test task may not list the folder). */
const EXAMPLES = [
  "echo_client.ts",
  "echo_server.ts",
  "flow.ts",
  "line_chat.ts",
  "pipe_file.ts",
  "selectors_echo.ts",
  "udp_chat.ts",
  "udp_echo.ts",
  "https_get.ts",
  "tls_echo_server.ts",
  "starttls.ts",
];

Deno.test("deno task demo needs no registry: no npm: or jsr: import in deno.json or any example's graph", async () => {
  // `deno task` fetches every package that deno.json's imports or lock file
  // name before it runs anything, used or not: the test-only mappings and the
  // lock file live in tests/, passed to `deno test` and `deno check` only.
  const remote = Object.values(config.imports as Record<string, string>)
    .filter((target) => /^(npm|jsr|https?):/.test(target));
  assertEquals(remote, []);
  assertEquals((config as { lock?: unknown }).lock, false);
  for (const example of EXAMPLES) {
    const out = await new Deno.Command("deno", {
      args: ["info", "--json", `examples/${example}`],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, `${example}: ${decoder.decode(out.stderr)}`);
    const graph = JSON.parse(decoder.decode(out.stdout)) as { modules: { specifier: string }[] };
    const outside = graph.modules.map((m) => m.specifier).filter((s) => !/^(file|node):/.test(s));
    assertEquals(outside, [], example);
  }
});

// ---- TLS examples ---------------------------------------------------------------

const CERTS = `${ROOT}tests/certs/`;

Deno.test("the TLS examples type-check", async () => {
  const out = await new Deno.Command("deno", {
    args: ["check", "examples/https_get.ts", "examples/tls_echo_server.ts", "examples/starttls.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, decoder.decode(out.stderr));
});

Deno.test("examples/https_get.ts fetches from a local HTTPS server trusted with --cert", async () => {
  const ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH);
  ctx.load_cert_chain(`${CERTS}server.pem`, `${CERTS}server.key`);
  const { server: plain, address } = listening();
  const server = await ctx.wrap_socket(plain, { server_side: true });
  const serving = (async () => {
    const [conn] = await server.accept();
    const f = conn.makefile("rb");
    let request = "";
    for (;;) {
      const line = decoder.decode((await f.readline())!);
      request += line;
      if (line === "\r\n" || line === "") break;
    }
    await f.close();
    await conn.sendall("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    conn.close();
    return request;
  })();
  try {
    const { ok, stdout, stderr } = await run([
      `--cert=${CERTS}ca.pem`,
      `--allow-net=localhost:${address[1]}`,
      "examples/https_get.ts",
      `https://localhost:${address[1]}/index.html`,
    ]);
    assert(ok, stderr);
    const request = await serving;
    assertMatch(request, /^GET \/index\.html HTTP\/1\.1\r\nHost: localhost:\d+\r\n/);
    assertMatch(stdout, /^HTTP\/1\.1 200 OK\n/);
    assertMatch(stdout, /"commonName","localhost"/);
    assertMatch(stdout, /body: 5 bytes/);
  } finally {
    server.close();
  }
});

Deno.test("examples/tls_echo_server.ts echoes over TLS with --allow-net and --allow-read for its files only", async () => {
  const port = freePort();
  const cert = `${CERTS}server.pem`;
  const key = `${CERTS}server.key`;
  const server = new Deno.Command("deno", {
    args: [
      "run",
      "--no-prompt",
      "--quiet",
      `--allow-net=127.0.0.1:${port}`,
      `--allow-read=${cert},${key}`,
      "examples/tls_echo_server.ts",
      String(port),
      cert,
      key,
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const serverErr = new Response(server.stderr).text();
  const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  const readUntil = async (pattern: RegExp) => {
    while (!pattern.test(output)) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`server ended; output: ${output}; stderr: ${await serverErr}`);
      output += value;
    }
  };
  try {
    await within(readUntil(/listening on \["127\.0\.0\.1",\d+\]\n/), 10000, "the server's start");
    const sock = socket();
    await sock.connect(["127.0.0.1", port]);
    const ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, { cafile: `${CERTS}ca.pem` });
    const tls = await ctx.wrap_socket(sock, { server_hostname: "localhost" });
    await tls.sendall("echo me");
    assertEquals(decoder.decode(await tls.recv(64)), "echo me");
    await tls.shutdown(SHUT_WR);
    assertEquals((await tls.recv(64)).length, 0);
    tls.close();
    await within(readUntil(/echoed 7 bytes, closed\n/), 10000, "the server's report");
  } finally {
    server.kill("SIGTERM");
    await lines.cancel().catch(() => {});
    await server.status;
    await serverErr;
  }
});

Deno.test("examples/starttls.ts upgrades an SMTP-like dialogue in place, both ends", async () => {
  const { ok, stdout, stderr } = await run([
    "--allow-net=127.0.0.1",
    "--allow-read=tests/certs",
    "examples/starttls.ts",
  ]);
  assert(ok, stderr);
  assertEquals(stdout.trim().split("\n"), [
    "client <- 220 mail.example ESMTP ready",
    "server <- STARTTLS",
    "client <- 220 go ahead",
    "server <- EHLO client.example (over TLSv1.3)",
    "client <- 250 mail.example at your service (certificate for localhost)",
  ]);
});
