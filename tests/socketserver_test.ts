import {
  AF_INET,
  AF_UNIX,
  BaseRequestHandler,
  DatagramRequestHandler,
  OSError,
  SOCK_DGRAM,
  type Socket,
  socket,
  type SocketAddress,
  StreamRequestHandler,
  TCPServer,
  UDPServer,
  UnixStreamServer,
} from "@seed/socket";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertLessOrEqual,
  assertThrows,
  freshUnixPath,
  python,
  text,
  UNIX_PATHS,
} from "./_util.ts";

/** Upper-cases each line, as Python's socketserver documentation example. */
class UpperLines extends StreamRequestHandler {
  override async handle() {
    for await (const line of this.rfile) {
      await this.wfile.write(text(line).toUpperCase());
    }
  }
}

/** A server whose handler errors are collected instead of printed. */
class QuietServer extends TCPServer {
  errors: [SocketAddress, unknown][] = [];
  override handle_error(_request: Socket, address: SocketAddress, error: unknown) {
    this.errors.push([address, error]);
  }
}

async function talk(address: [string, number], lines: string[]): Promise<string> {
  await using client = socket();
  await client.connect(address);
  await using f = client.makefile("rw");
  for (const line of lines) await f.write(line + "\n");
  await f.flush();
  await client.shutdown(1);
  return await f.read();
}

python.test("a CPython client talks to a TCPServer with a StreamRequestHandler", async () => {
  await using server = new TCPServer(["127.0.0.1", 0], UpperLines);
  const serving = server.serve_forever(0.05);
  const [, port] = server.server_address as [string, number];
  const out = await python(
    `
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as s:
    f = s.makefile("rw")
    f.write("hello\\nw\\u00f6rld\\n"); f.flush()
    print(repr(f.readline()), repr(f.readline()))`,
    String(port),
  );
  assertEquals(out.trim(), "'HELLO\\n' 'WÖRLD\\n'");
  await server.shutdown();
  await serving;
});

Deno.test("a socketserver under 200 concurrent clients answers every one", async () => {
  await using server = new QuietServer(["127.0.0.1", 0], UpperLines);
  const serving = server.serve_forever(0.05);
  const address = server.server_address as [string, number];
  const replies = await Promise.all(
    Array.from({ length: 200 }, (_, i) => talk(address, [`client ${i}`, `line two ${i}`])),
  );
  replies.forEach((reply, i) => assertEquals(reply, `CLIENT ${i}\nLINE TWO ${i}\n`));
  await server.shutdown();
  await serving;
  assertEquals(server.errors, []);
  assertEquals(server.active_requests, 0);
});

Deno.test("shutdown() stops accepting and waits for the handlers in flight", async () => {
  let started = 0;
  const allStarted = Promise.withResolvers<void>();
  class Slow extends StreamRequestHandler {
    override async handle() {
      if (++started === 3) allStarted.resolve();
      const line = await this.rfile.readline(); // waits for the client
      await this.wfile.write(text(line).toUpperCase());
    }
  }
  await using server = new QuietServer(["127.0.0.1", 0], Slow);
  const serving = server.serve_forever(0.05);
  const address = server.server_address as [string, number];
  const clients = await Promise.all([0, 1, 2].map(async () => {
    const c = socket();
    await c.connect(address);
    return c;
  }));
  await allStarted.promise;
  assertEquals(server.active_requests, 3);
  const stopping = server.shutdown(10);
  await serving; // the serve loop ends at once...
  let stopped = false;
  stopping.then(() => stopped = true);
  await new Promise((r) => setTimeout(r, 20));
  assert(!stopped, "...but shutdown waits for the handlers");
  for (const [i, c] of clients.entries()) await c.sendall(`late ${i}\n`);
  await stopping;
  for (const [i, c] of clients.entries()) {
    assertEquals(text(await c.recv(100, 256)), `LATE ${i}\n`);
    c.close();
  }
  assertEquals(server.errors, []);
  assertEquals(server.active_requests, 0);
});

Deno.test("shutdown(timeout) gives up on a stuck handler and closes its request", async () => {
  const entered = Promise.withResolvers<void>();
  class Stuck extends BaseRequestHandler {
    override async handle() {
      entered.resolve();
      await this.request.recv(10); // the client never sends
    }
  }
  await using server = new QuietServer(["127.0.0.1", 0], Stuck);
  const serving = server.serve_forever(0.05);
  await using client = socket();
  await client.connect(server.server_address as [string, number]);
  await entered.promise;
  const start = performance.now();
  await server.shutdown(0.1);
  assertLessOrEqual(performance.now() - start, 2000);
  await serving;
  assertEquals((await client.recv(10)).length, 0, "the client sees its connection end");
  // The handler's recv was interrupted; that is reported, not thrown.
  for (let i = 0; i < 100 && server.errors.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assertEquals(server.errors.length, 1);
  assertInstanceOf(server.errors[0][1], OSError);
});

Deno.test("a handler that throws goes to handle_error and the server goes on", async () => {
  class Picky extends StreamRequestHandler {
    override async handle() {
      const line = text(await this.rfile.readline());
      if (line.startsWith("boom")) throw new Error("handler exploded");
      await this.wfile.write("ok " + line);
    }
  }
  await using server = new QuietServer(["127.0.0.1", 0], Picky);
  const serving = server.serve_forever(0.05);
  const address = server.server_address as [string, number];
  assertEquals(await talk(address, ["boom"]), "");
  assertEquals(await talk(address, ["fine"]), "ok fine\n");
  assertEquals(await talk(address, ["boom again"]), "");
  assertEquals(await talk(address, ["still fine"]), "ok still fine\n");
  await server.shutdown();
  await serving;
  assertEquals(server.errors.length, 2);
  assertEquals((server.errors[0][1] as Error).message, "handler exploded");
});

Deno.test("handle_request serves one request; a timeout calls handle_timeout", async () => {
  let timeouts = 0;
  class Timed extends TCPServer {
    override handle_timeout() {
      timeouts++;
    }
  }
  await using server = new Timed(["127.0.0.1", 0], UpperLines);
  server.timeout = 0.05;
  await server.handle_request();
  assertEquals(timeouts, 1);
  server.timeout = 5;
  const reply = talk(server.server_address as [string, number], ["once"]);
  await server.handle_request();
  assertEquals(await reply, "ONCE\n");
});

Deno.test("settings are static, as Python's class attributes; a failed bind closes the socket", async () => {
  class Reusing extends TCPServer {
    static override allow_reuse_address = true;
    static override request_queue_size = 50;
  }
  await using first = new Reusing(["127.0.0.1", 0], UpperLines);
  const address = first.server_address as [string, number];
  assertEquals(first.socket.getsockopt(1, 2), 1); // SO_REUSEADDR
  let closed = 0;
  class Counting extends TCPServer {
    override server_close() {
      closed++;
      super.server_close();
    }
  }
  assertThrows(() => new Counting(address, UpperLines), OSError, /Address already in use/);
  assertEquals(closed, 1, "the failed server's socket was closed");
  assertThrows(() => new TCPServer(address, "nope" as never), TypeError);
});

Deno.test("UnixStreamServer serves on a path", async () => {
  const path = await freshUnixPath(UNIX_PATHS[5]);
  await using server = new UnixStreamServer(path, UpperLines);
  assertEquals(server.socket.family, AF_UNIX);
  const serving = server.serve_forever(0.05);
  {
    await using client = socket(AF_UNIX);
    await client.connect(path);
    await client.sendall("unix\n");
    await client.shutdown(1);
    assertEquals(text(await client.recv(100, 256)), "UNIX\n");
  }
  await server.shutdown();
  await serving;
  server.server_close();
  await Deno.remove(path).catch(() => {});
});

Deno.test("UDPServer with a DatagramRequestHandler answers each datagram", async () => {
  class Upper extends DatagramRequestHandler {
    override async handle() {
      const line = text(await this.rfile.readline());
      await this.wfile.write(line.toUpperCase());
      await this.wfile.write(`from ${this.rfile.closed ? "?" : "rfile"}`);
    }
  }
  await using server = new UDPServer(["127.0.0.1", 0], Upper);
  const serving = server.serve_forever(0.05);
  using client = socket(AF_INET, SOCK_DGRAM);
  client.settimeout(5);
  for (const word of ["alpha\nrest", "beta"]) {
    await client.sendto(word, server.server_address as [string, number]);
    const [reply, from] = await client.recvfrom(100);
    assertEquals(from, server.server_address);
    assertEquals(
      text(reply),
      word.split("\n")[0].toUpperCase() + (word.includes("\n") ? "\n" : "") + "from rfile",
    );
  }
  await server.shutdown();
  await serving;
});

Deno.test("a handler can stop the server (a 'quit' command)", async () => {
  class Quit extends StreamRequestHandler {
    override async handle() {
      const line = text(await this.rfile.readline()).trim();
      if (line === "quit") void this.server.shutdown();
      await this.wfile.write(`bye ${line}\n`);
    }
  }
  await using server = new QuietServer(["127.0.0.1", 0], Quit);
  const serving = server.serve_forever(10); // the poll interval does not delay shutdown
  const start = performance.now();
  assertEquals(await talk(server.server_address as [string, number], ["quit"]), "bye quit\n");
  await serving;
  assertLessOrEqual(performance.now() - start, 5000);
  assertEquals(server.errors, []);
});
