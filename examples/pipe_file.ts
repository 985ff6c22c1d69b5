/**
 * Send a file over a socket with web streams: `file.readable.pipeTo(sock.writable)`
 * on one side, `sock.readable` on the other, checked by SHA-256.
 *
 * The file is one the example makes itself (4 MiB of random bytes in a new
 * temporary folder, removed at the end), so it needs to write and read the
 * system's temporary folder and to use loopback:
 *
 *     deno run --allow-net=127.0.0.1 --allow-read=/tmp --allow-write=/tmp examples/pipe_file.ts
 *
 * (On a system whose temporary folder is not /tmp, grant that folder, e.g.
 * `$TMPDIR`.) The pipe waits for the network (backpressure): the file is
 * read only as fast as the socket sends. Closing the writable half-closes
 * the socket, so the receiver sees the end of the stream and can still
 * answer on the same connection.
 *
 * @module
 */

import { socket } from "@seed/socket";

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const dir = await Deno.makeTempDir({ prefix: "seed-socket-pipe-" });
const path = `${dir}/payload.bin`;
try {
  // The file to send: 4 MiB of random bytes.
  const payload = new Uint8Array(4 << 20);
  for (let off = 0; off < payload.length; off += 65536) {
    crypto.getRandomValues(payload.subarray(off, off + 65536));
  }
  await Deno.writeFile(path, payload);
  console.log(`wrote ${payload.length} bytes to ${path}, sha256 ${await sha256(payload)}`);

  await using server = socket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  await using client = socket();
  await client.connect(server.getsockname() as [string, number]);
  await using conn = (await server.accept())[0];

  // Receiver: read the stream to its end, hash it, answer on the same socket.
  const receiving = (async () => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of conn.readable) {
      chunks.push(chunk);
      size += chunk.length;
    }
    const all = new Uint8Array(size);
    let off = 0;
    for (const chunk of chunks) {
      all.set(chunk, off);
      off += chunk.length;
    }
    const digest = await sha256(all);
    console.log(`received ${size} bytes, sha256 ${digest}`);
    await conn.sendall(`${size} ${digest}\n`);
  })();

  // Sender: pipe the file into the socket (closing the file and half-closing the socket).
  using file = await Deno.open(path, { read: true });
  await file.readable.pipeTo(client.writable);
  console.log("sent; waiting for the receiver's answer");

  await receiving;
  const answer = new TextDecoder().decode(await client.recv(200)).trim();
  const [size, digest] = answer.split(" ");
  const ok = Number(size) === payload.length && digest === await sha256(payload);
  console.log(`receiver says ${answer}: ${ok ? "intact" : "CORRUPTED"}`);
  if (!ok) Deno.exitCode = 1;
} finally {
  await Deno.remove(dir, { recursive: true });
}
