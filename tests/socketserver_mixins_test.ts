/**
 * socketserver's ready-made combinations and mixins: `ThreadingMixIn`,
 * `ForkingMixIn`, `ThreadingTCPServer`, `ThreadingUDPServer`,
 * `ThreadingUnixStreamServer`, `UnixDatagramServer`; their settings as
 * CPython's, and each serving requests concurrently.
 */

import {
  AF_INET,
  AF_UNIX,
  BaseRequestHandler,
  DatagramRequestHandler,
  ForkingMixIn,
  OSError,
  SOCK_DGRAM,
  type Socket,
  socket,
  TCPServer,
  ThreadingMixIn,
  ThreadingTCPServer,
  ThreadingUDPServer,
  ThreadingUnixStreamServer,
  UDPServer,
  UnixDatagramServer,
  UnixStreamServer,
} from "@seed/socket";
import {
  assertEquals,
  assertInstanceOf,
  assertThrows,
  freshUnixPath,
  python,
  text,
  UNIX_PATHS,
  within,
} from "./_util.ts";

/**
 * Waits until two requests are in `handle` at once, then answers both: it
 * completes only on a server that runs requests concurrently.
 */
class Rendezvous extends BaseRequestHandler<Socket> {
  static arrived = 0;
  static both: Promise<void>;
  static release: () => void;
  static reset() {
    Rendezvous.arrived = 0;
    const { promise, resolve } = Promise.withResolvers<void>();
    Rendezvous.both = promise;
    Rendezvous.release = resolve;
  }
  override async handle() {
    if (++Rendezvous.arrived === 2) Rendezvous.release();
    await Rendezvous.both;
    await this.request.sendall("both here");
  }
}

async function twoAtOnce(address: string | [string, number], family = AF_INET): Promise<void> {
  Rendezvous.reset();
  const ask = async () => {
    await using c = socket(family);
    await c.connect(address);
    return text(await c.recv(100));
  };
  assertEquals(await within(Promise.all([ask(), ask()]), 10_000, "two clients"), [
    "both here",
    "both here",
  ]);
}

python.test("mixins and Threading*/Forking settings are CPython's", async () => {
  const py = JSON.parse(
    await python(`
import json, socketserver as s
print(json.dumps([s.ThreadingMixIn.daemon_threads, s.ThreadingMixIn.block_on_close,
  s.ForkingMixIn.max_children, s.ForkingMixIn.block_on_close,
  s.ThreadingTCPServer.daemon_threads, s.ThreadingUDPServer.block_on_close,
  s.ThreadingUnixStreamServer.address_family, s.UnixDatagramServer.address_family]))`),
  );
  const Threading = ThreadingMixIn(TCPServer);
  const Forking = ForkingMixIn(TCPServer);
  assertEquals([
    Threading.daemon_threads,
    Threading.block_on_close,
    Forking.max_children,
    Forking.block_on_close,
    ThreadingTCPServer.daemon_threads,
    ThreadingUDPServer.block_on_close,
    ThreadingUnixStreamServer.address_family,
    UnixDatagramServer.address_family,
  ], py);
  assertEquals([Threading.name, Forking.name], ["ThreadingTCPServer", "ForkingTCPServer"]);
  assertThrows(() => ThreadingMixIn(null as never), TypeError, /Base/);
});

Deno.test("ThreadingTCPServer and a ThreadingMixIn/ForkingMixIn subclass serve requests concurrently", async () => {
  class Mixed extends ThreadingMixIn(TCPServer) {
    static override daemon_threads = true;
  }
  class Forked extends ForkingMixIn(TCPServer) {}
  for (const Server of [ThreadingTCPServer, Mixed, Forked]) {
    await using server = new Server(["127.0.0.1", 0], Rendezvous);
    assertInstanceOf(server, TCPServer);
    const serving = server.serve_forever(0.05);
    await twoAtOnce(server.server_address as [string, number]);
    await server.shutdown();
    await serving;
  }
  assertEquals(Mixed.daemon_threads, true);
});

Deno.test("ThreadingUnixStreamServer serves on a path", async () => {
  const path = await freshUnixPath(UNIX_PATHS[4]);
  await using server = new ThreadingUnixStreamServer(path, Rendezvous);
  assertInstanceOf(server, UnixStreamServer);
  const serving = server.serve_forever(0.05);
  await twoAtOnce(path, AF_UNIX);
  await server.shutdown();
  await serving;
});

Deno.test("ThreadingUDPServer answers datagrams", async () => {
  class Upper extends DatagramRequestHandler {
    override async handle() {
      await this.wfile.write(text(await this.rfile.read()).toUpperCase());
    }
  }
  await using server = new ThreadingUDPServer(["127.0.0.1", 0], Upper);
  assertInstanceOf(server, UDPServer);
  const serving = server.serve_forever(0.05);
  await using client = socket(AF_INET, SOCK_DGRAM);
  client.settimeout(10);
  await client.sendto("ping", server.server_address as [string, number]);
  assertEquals(text((await client.recvfrom(100))[0]), "PING");
  await server.shutdown();
  await serving;
});

Deno.test("UnixDatagramServer: constructing says Unix datagram sockets are not supported", () => {
  const e = assertThrows(
    () => new UnixDatagramServer(UNIX_PATHS[4], DatagramRequestHandler),
    OSError,
    /Unix datagram sockets are not supported/,
  );
  assertEquals(e.errno, 97);
});
