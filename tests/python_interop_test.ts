/**
 * CPython interop: a `python3` client talks to this library's server and a
 * `python3` server to this library's client. 4 MiB go each way; both sides
 * compute the sha256 of what they sent and received, and the digests must
 * agree. The Python side prints its digests as one JSON line.
 */

import { SHUT_WR, type Socket, socket } from "@seed/socket";
import { assertEquals, concat, listening, pseudoRandomBytes, python, sha256 } from "./_util.ts";

const SIZE = 4 << 20;

const PY_CLIENT = `
import hashlib, json, os, socket, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=30)
data = os.urandom(${SIZE})
s.sendall(data)
s.shutdown(socket.SHUT_WR)
h = hashlib.sha256(); n = 0
while True:
    b = s.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(json.dumps({"sent": hashlib.sha256(data).hexdigest(), "received": h.hexdigest(),
                  "count": n, "sockname": list(s.getsockname())}))
s.close()
`;

const PY_SERVER = `
import hashlib, json, os, socket
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
srv.settimeout(30)
print(srv.getsockname()[1], flush=True)
conn, addr = srv.accept()
conn.settimeout(30)
h = hashlib.sha256(); n = 0
while True:
    b = conn.recv(65536)
    if not b: break
    h.update(b); n += len(b)
data = os.urandom(${SIZE})
conn.sendall(data)
conn.close()
srv.close()
print(json.dumps({"sent": hashlib.sha256(data).hexdigest(), "received": h.hexdigest(),
                  "count": n, "peer": list(addr)}))
`;

interface PyReport {
  sent: string;
  received: string;
  count: number;
  sockname?: [string, number];
  peer?: [string, number];
}

async function recvToEnd(sock: Socket): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < SIZE; i++) {
    const part = await sock.recv(65536);
    if (part.length === 0) break;
    parts.push(part);
  }
  return concat(parts);
}

python.test("a python3 client and this library's server agree on sha256 of 4 MiB each way", async () => {
  const { server, address } = listening();
  using _server = server;
  server.settimeout(30);
  const py = new Deno.Command("python3", {
    args: ["-c", PY_CLIENT, String(address[1])],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const [conn, peer] = await server.accept();
  using _conn = conn;
  conn.settimeout(30);
  const received = await recvToEnd(conn);
  const ours = pseudoRandomBytes(SIZE, 42);
  await conn.sendall(ours);
  conn.close();
  const out = await py;
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const report: PyReport = JSON.parse(new TextDecoder().decode(out.stdout));
  assertEquals(received.length, SIZE);
  assertEquals(await sha256(received), report.sent);
  assertEquals(report.count, SIZE);
  assertEquals(report.received, await sha256(ours));
  assertEquals(peer, report.sockname);
});

python.test("this library's client and a python3 server agree on sha256 of 4 MiB each way", async () => {
  const child = new Deno.Command("python3", {
    args: ["-c", PY_SERVER],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  try {
    while (!output.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) break;
      output += value;
    }
    const port = Number(output.slice(0, output.indexOf("\n")));
    if (!(port > 0)) {
      throw new Error(`python server said ${JSON.stringify(output)}: ${await stderr}`);
    }
    using client = socket();
    client.settimeout(30);
    await client.connect(["127.0.0.1", port]);
    const ours = pseudoRandomBytes(SIZE, 43);
    await client.sendall(ours);
    await client.shutdown(SHUT_WR);
    const received = await recvToEnd(client);
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      output += value;
    }
    const status = await child.status;
    if (!status.success) throw new Error(await stderr);
    const report: PyReport = JSON.parse(output.slice(output.indexOf("\n") + 1));
    assertEquals(report.count, SIZE);
    assertEquals(report.received, await sha256(ours));
    assertEquals(received.length, SIZE);
    assertEquals(await sha256(received), report.sent);
    assertEquals(report.peer, client.getsockname());
  } finally {
    await lines.cancel().catch(() => {});
    try {
      child.kill();
    } catch {
      // Already exited.
    }
    await child.status;
    await stderr;
  }
});
