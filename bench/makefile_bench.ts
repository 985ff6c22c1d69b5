/**
 * A line protocol through `makefile`: one `write` + `flush` + `readline`
 * round trip per call, against the same round trip with `sendall` + `recv`
 * (the baseline). Both ends live in this process on loopback; the server
 * end echoes each line with `readline`/`write`/`flush`.
 *
 * The comparison with CPython's `makefile().readline()` over the same
 * loopback (10,000 round trips, separate processes) is the `line_rr` row of
 * `deno task bench:compare`.
 *
 * ```sh
 * deno task bench      # runs every bench/*_bench.ts
 * ```
 *
 * @module
 */

import { libraryPair as pair } from "./_pair.ts";

const LINE = "x".repeat(63) + "\n";
const BYTES = new TextEncoder().encode(LINE);

// makefile at both ends: the server task echoes lines until the client closes.
const [lineClient, lineServer] = await pair();
const clientFile = lineClient.makefile("rw");
const serverFile = lineServer.makefile("rw");
const echoing = (async () => {
  for await (const line of serverFile) {
    await serverFile.write(line);
    await serverFile.flush();
  }
})().catch(() => {}); // ends with EBADF when the sockets close at unload

// recv/sendall at both ends: the baseline.
const [rawClient, rawServer] = await pair();
const rawEchoing = (async () => {
  for (;;) {
    const data = await rawServer.recv(65536);
    if (data.length === 0) break;
    await rawServer.sendall(data);
  }
})().catch(() => {});

globalThis.addEventListener("unload", () => {
  for (const s of [lineClient, lineServer, rawClient, rawServer]) s.close();
});
void echoing;
void rawEchoing;

Deno.bench({
  name: "line round trip: makefile write + flush + readline",
  group: "line protocol",
  async fn() {
    await clientFile.write(LINE);
    await clientFile.flush();
    if (await clientFile.readline() !== LINE) throw new Error("wrong echo");
  },
});

Deno.bench({
  name: "64-byte round trip: sendall + recv",
  group: "line protocol",
  baseline: true,
  async fn() {
    await rawClient.sendall(BYTES);
    let got = 0;
    while (got < BYTES.length) got += (await rawClient.recv(65536)).length;
  },
});
