/**
 * The non-blocking echo server of Python's `selectors` documentation,
 * ported line for line (each Python line is in the comment beside its port),
 * plus three demo clients so that the script ends by itself.
 *
 *     deno run --allow-net=127.0.0.1 examples/selectors_echo.ts
 *
 * The only changes: `await` before the calls that wait, `new Uint8Array`
 * data, and the address — Python's `('localhost', 1234)` becomes
 * `["127.0.0.1", 0]` (any free port, under a narrow permission).
 *
 * @module
 */

import { DefaultSelector, EVENT_READ, type Socket, socket } from "@seed/socket";

type Callback = (sock: Socket, mask: number) => Promise<void>;

const sel = new DefaultSelector<Callback>(); //                    sel = selectors.DefaultSelector()

async function accept(sock: Socket, _mask: number) { //            def accept(sock, mask):
  const [conn, addr] = await sock.accept(); // Should be ready     conn, addr = sock.accept()
  console.log("accepted", String(conn), "from", addr); //            print('accepted', conn, 'from', addr)
  conn.setblocking(false); //                                        conn.setblocking(False)
  sel.register(conn, EVENT_READ, read); //                           sel.register(conn, selectors.EVENT_READ, read)
}

async function read(conn: Socket, _mask: number) { //              def read(conn, mask):
  const data = await conn.recv(1000); // Should be ready           data = conn.recv(1000)
  if (data.length) { //                                              if data:
    console.log("echoing", data, "to", String(conn)); //                print('echoing', repr(data), 'to', conn)
    await conn.send(data); // Hope it won't block                      conn.send(data)
  } else { //                                                        else:
    console.log("closing", String(conn)); //                            print('closing', conn)
    sel.unregister(conn); //                                           sel.unregister(conn)
    conn.close(); //                                                   conn.close()
  }
}

const sock = socket(); //                                          sock = socket.socket()
sock.bind(["127.0.0.1", 0]); //                                    sock.bind(('localhost', 1234))
sock.listen(100); //                                               sock.listen(100)
sock.setblocking(false); //                                        sock.setblocking(False)
sel.register(sock, EVENT_READ, accept); //                         sel.register(sock, selectors.EVENT_READ, accept)

// ---- not in the Python original: three clients, so the demo ends ----
let clientsDone = false;
const clients = (async () => {
  const address = sock.getsockname() as [string, number];
  for (const word of ["alpha", "beta", "gamma"]) {
    await using client = socket();
    client.settimeout(5);
    await client.connect(address);
    await client.sendall(word);
    const echo = await client.recv(1000);
    console.log(`client got back ${JSON.stringify(new TextDecoder().decode(echo))}`);
  }
  clientsDone = true;
})();

while (!clientsDone || sel.get_map().size > 1) { //               while True:
  const events = await sel.select(); //                              events = sel.select()
  for (const [key, mask] of events) { //                             for key, mask in events:
    const callback = key.data; //                                       callback = key.data
    await callback(key.fileobj as Socket, mask); //                     callback(key.fileobj, mask)
  }
}

await clients;
sel.close();
sock.close();
