/**
 * A UDP echo server and its client in one script, each step printed.
 *
 * The datagram flow has no listen/accept: the server is
 * socket(AF_INET, SOCK_DGRAM) → bind → recvfrom/sendto; the client just
 * sends (its socket binds itself on the first sendto) and reads the echo.
 *
 *     deno run --allow-net=127.0.0.1 examples/udp_echo.ts
 *
 * (deno.json turns on --unstable-net, which Deno's datagram API needs.)
 *
 * @module
 */

import { AF_INET, SOCK_DGRAM, socket, TimeoutError } from "@seed/socket";

const decoder = new TextDecoder();

// ---- the server: socket → bind → recvfrom / sendto ----
await using server = socket(AF_INET, SOCK_DGRAM);
server.bind(["127.0.0.1", 0]);
const address = server.getsockname() as [string, number];
console.log("server: bound to", address);

async function serve(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const [data, from] = await server.recvfrom(1024);
    console.log(`server: ${data.length} bytes from`, from, JSON.stringify(decoder.decode(data)));
    await server.sendto(data, from);
  }
}

// ---- the client: socket → sendto → recvfrom (no bind, no connect) ----
async function client(messages: string[]): Promise<void> {
  await using sock = socket(AF_INET, SOCK_DGRAM);
  sock.settimeout(2); // UDP may lose datagrams: never wait forever for a reply
  for (const message of messages) {
    await sock.sendto(message, address);
    console.log("client: sent", JSON.stringify(message), "from", sock.getsockname());
    try {
      const [echo, from] = await sock.recvfrom(1024);
      console.log("client: echo", JSON.stringify(decoder.decode(echo)), "from", from);
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      console.log("client: no echo within 2 s (datagram lost)");
    }
  }
}

const messages = ["hello", "datagrams keep their boundaries", "bye"];
await Promise.all([serve(messages.length), client(messages)]);
console.log("done");
