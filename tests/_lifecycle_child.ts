/**
 * Run by `lifecycle_test.ts` under `deno run --no-config` with net access to
 * 127.0.0.1 only. The first argument picks a scenario; the process must end
 * on its own (exit 0) once every socket is closed: an operation left in
 * flight would keep it alive, an unhandled rejection would end it with 1.
 *
 * @module
 */

import * as lib from "../mod.ts";

function pair(): Promise<[lib.Socket, lib.Socket, lib.Socket]> {
  const server = lib.socket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  const client = lib.socket();
  return client.connect(server.getsockname() as [string, number]).then(async () => {
    const [conn] = await server.accept();
    return [server, client, conn];
  });
}

const [scenario, arg] = Deno.args;
switch (scenario) {
  case "connect-close": {
    // A connect to a port that drops SYNs times out, then the socket closes.
    const sock = lib.socket();
    sock.settimeout(0.2);
    const result = await sock.connect_ex(["127.0.0.1", Number(arg)]);
    sock.close();
    console.log(`closed ${result}`);
    break;
  }
  case "recvfrom": {
    const [server, client, conn] = await pair();
    conn.recvfrom(16); // ignored: the close below rejects it
    conn.close();
    client.close();
    server.close();
    console.log("closed");
    break;
  }
  case "accept-iterator": {
    const [server, client, conn] = await pair();
    server[Symbol.asyncIterator]().next(); // ignored
    server.close();
    client.close();
    conn.close();
    console.log("closed");
    break;
  }
  case "file-iterator": {
    const [server, client, conn] = await pair();
    const file = conn.makefile("rb");
    file[Symbol.asyncIterator]().next(); // ignored
    conn.close();
    await file.close();
    client.close();
    server.close();
    console.log("closed");
    break;
  }
  case "text-iterator": {
    const [server, client, conn] = await pair();
    const file = conn.makefile("r");
    file[Symbol.asyncIterator]().next(); // ignored
    conn.close();
    await file.close();
    client.close();
    server.close();
    console.log("closed");
    break;
  }
  case "udp-iterator": {
    const sock = lib.socket(lib.AF_INET, lib.SOCK_DGRAM);
    sock.bind(["127.0.0.1", 0]);
    sock[Symbol.asyncIterator]().next(); // ignored
    sock.close();
    console.log("closed");
    break;
  }
  case "udp-recvfrom": {
    const sock = lib.socket(lib.AF_INET, lib.SOCK_DGRAM);
    sock.bind(["127.0.0.1", 0]);
    sock.recvfrom(16); // ignored
    sock.close();
    console.log("closed");
    break;
  }
  default:
    throw new Error(`unknown scenario ${scenario}`);
}
