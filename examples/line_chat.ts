/**
 * A line-based chat server on `socketserver`, with three clients that talk
 * through `makefile` — all in one script that ends by itself.
 *
 *     deno run --allow-net=127.0.0.1 examples/line_chat.ts
 *
 * The protocol: a client's first line is its name; every later line is
 * sent to the others as `<name> line`; the server announces joins and
 * departures as `* name joined` / `* name left`.
 *
 * The server is a `TCPServer` with a `StreamRequestHandler`: each client is
 * served in its own task (Python's `ThreadingTCPServer`), reading
 * `this.rfile` line by line. Clients use `sock.makefile("rw")`, a text file
 * with `readline`, `write` and `flush`, as a Python client would.
 *
 * @module
 */

import { socket, type SocketFile, StreamRequestHandler, TCPServer } from "@seed/socket";

const decoder = new TextDecoder();

class ChatServer extends TCPServer {
  /** Every connected client's output, by name. */
  members = new Map<string, SocketFile>();

  async broadcast(line: string, except?: string): Promise<void> {
    for (const [name, wfile] of this.members) {
      if (name !== except) await wfile.write(line).catch(() => {}); // a leaving client
    }
  }
}

class ChatHandler extends StreamRequestHandler<ChatServer> {
  override async handle() {
    const name = decoder.decode(await this.rfile.readline()).trim();
    this.server.members.set(name, this.wfile);
    await this.server.broadcast(`* ${name} joined\n`);
    try {
      for await (const line of this.rfile) {
        await this.server.broadcast(`<${name}> ${decoder.decode(line)}`, name);
      }
    } finally {
      this.server.members.delete(name);
      await this.server.broadcast(`* ${name} left\n`);
    }
  }
}

await using server = new ChatServer(["127.0.0.1", 0], ChatHandler);
const serving = server.serve_forever(0.1);
const address = server.server_address as [string, number];
console.log("chat server on", address);

// ---- the clients ----------------------------------------------------------

const names = ["ada", "grace", "linus"];
const says: Record<string, string[]> = {
  ada: ["hello, everyone", "who wants tea?"],
  grace: ["hi ada", "tea, please"],
  linus: ["hey", "coffee for me"],
};

// Join one at a time: each waits until the server has announced it.
const files = [];
for (const name of names) {
  const sock = socket();
  sock.settimeout(5); // bounded: no client waits for ever
  await sock.connect(address);
  const f = sock.makefile("rw");
  sock.close(); // the socket closes for real when its file does (Python's _io_refs)
  await f.write(name + "\n");
  await f.flush();
  for (;;) {
    const line = await f.readline();
    console.log(`[${name}] ${line.trimEnd()}`);
    if (line === `* ${name} joined\n`) break;
  }
  files.push(f);
}

// Everyone talks, then reads until it has heard everything the others said.
await Promise.all(files.map(async (f, i) => {
  const name = names[i];
  for (const line of says[name]) await f.write(line + "\n");
  await f.flush();
  let heard = 0;
  const expected = names.filter((n) => n !== name).reduce((n, other) => n + says[other].length, 0);
  while (heard < expected) {
    const line = await f.readline();
    console.log(`[${name}] ${line.trimEnd()}`);
    if (line.startsWith("<")) heard++;
  }
}));

// Leave one by one; the last one still hears the others go.
for (const [i, f] of files.entries()) {
  await f.close();
  console.log(`[${names[i]}] left`);
}

await server.shutdown();
await serving;
console.log("server shut down");
