import { SHUT_WR, socket } from "@seed/socket";
import {
  assert,
  assertEquals,
  concat,
  connectedPair,
  pseudoRandomBytes,
  sha256,
  text,
} from "./_util.ts";

Deno.test("sock.readable pipes through TextDecoderStream until the peer ends", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("h\u00e9llo ");
  await pair.client.sendall(new Uint8Array([0xe2, 0x9c])); // half of "\u2713"
  await pair.client.sendall(new Uint8Array([0x93]));
  await pair.client.shutdown(SHUT_WR);
  let got = "";
  for await (const piece of pair.server.readable.pipeThrough(new TextDecoderStream())) got += piece;
  assertEquals(got, "h\u00e9llo \u2713");
});

Deno.test("BYOB reads fill the caller's buffer", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("0123456789");
  const reader = pair.server.readable.getReader({ mode: "byob" });
  const { value, done } = await reader.read(new Uint8Array(4));
  assert(!done);
  assertEquals(text(value!), "0123");
  const more = await reader.read(new Uint8Array(100));
  assertEquals(text(more.value!), "456789");
  reader.releaseLock();
});

Deno.test("switching between the stream and recv keeps byte order", async () => {
  await using pair = await connectedPair();
  const data = pseudoRandomBytes(300_000, 3);
  const sending = pair.client.sendall(data).then(() => pair.client.shutdown(SHUT_WR));
  const parts: Uint8Array[] = [];
  for (let round = 0; round < 10_000; round++) {
    let part: Uint8Array;
    if (round % 2 === 0) {
      const reader = pair.server.readable.getReader({ mode: "byob" });
      const { value, done } = await reader.read(new Uint8Array(1 + (round * 37) % 5000));
      reader.releaseLock();
      if (done || !value) break;
      part = value;
    } else {
      part = await pair.server.recv(1 + (round * 53) % 7000);
      if (part.length === 0) break;
    }
    parts.push(part);
  }
  await sending;
  assertEquals(concat(parts), data);
});

Deno.test("a 16 MiB file.readable.pipeTo(sock.writable) arrives intact (sha256)", async () => {
  const data = pseudoRandomBytes(16 << 20, 11);
  await using pair = await connectedPair();
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let off = 0; off < data.length; off += 1 << 16) {
        controller.enqueue(data.slice(off, off + (1 << 16)));
      }
      controller.close();
    },
  });
  const piping = source.pipeTo(pair.client.writable); // closing half-closes
  const chunks: Uint8Array[] = [];
  for await (const chunk of pair.server.readable) chunks.push(chunk);
  await piping;
  const received = concat(chunks);
  assertEquals(received.length, data.length);
  assertEquals(await sha256(received), await sha256(data));
  // The socket is still open and can answer after the pipe half-closed it.
  await pair.server.sendall("ok");
  assertEquals(text(await pair.client.recv(10)), "ok");
});

Deno.test("the writable applies backpressure: a write waits for the network", async () => {
  await using pair = await connectedPair();
  const writer = pair.client.writable.getWriter();
  assertEquals(writer.desiredSize, 1);
  const big = new Uint8Array(32 << 20);
  const write = writer.write(big);
  assertEquals(writer.desiredSize, 0, "one chunk in flight fills the queue");
  let drained = 0;
  const reading = (async () => {
    while (drained < big.length) drained += (await pair.server.recv(1 << 20)).length;
  })();
  await write;
  await reading;
  assertEquals(drained, big.length);
  writer.releaseLock();
  using other = socket();
  assert(other.readable instanceof ReadableStream);
});

Deno.test("cancelling the stream during a read loses nothing; recv and a new stream continue", async () => {
  await using pair = await connectedPair();
  const first = pair.server.readable;
  const reader = first.getReader();
  const pending = reader.read();
  await reader.cancel("done with the stream");
  assertEquals((await pending).done, true);
  await pair.client.sendall("kept");
  assertEquals(text(await pair.server.recv(100)), "kept");
  assert(pair.server.readable !== first, "a fresh stream after cancel");
  await pair.client.sendall("again");
  const next = await pair.server.readable.getReader().read();
  assertEquals(text(next.value!), "again");
});
