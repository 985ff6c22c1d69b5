/**
 * STARTTLS, both ends in one process: an SMTP-like server greets in plain
 * text, the client asks for `STARTTLS`, both upgrade the same connection in
 * place (`wrap_socket` on a connected socket), and the rest of the dialogue
 * is encrypted. The certificates default to the test PKI in tests/certs.
 *
 *     deno run --allow-net=127.0.0.1 --allow-read=tests/certs examples/starttls.ts
 *
 * @module
 */

import { socket } from "@seed/socket";
import * as ssl from "@seed/socket/ssl";

const certs = new URL("../tests/certs/", import.meta.url).pathname;
const [certfile = `${certs}server.pem`, keyfile = `${certs}server.key`, cafile = `${certs}ca.pem`] =
  Deno.args;

const serverCtx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH);
serverCtx.load_cert_chain(certfile, keyfile);
const clientCtx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, { cafile });

await using listener = socket();
listener.bind(["127.0.0.1", 0]);
listener.listen();
const address = listener.getsockname() as [string, number];

async function server(): Promise<void> {
  const [conn] = await listener.accept();
  const plain = conn.makefile("rwb");
  const say = async (line: string) => {
    await plain.write(new TextEncoder().encode(line + "\r\n"));
    await plain.flush();
  };
  await say("220 mail.example ESMTP ready");
  const command = new TextDecoder().decode((await plain.readline())!).trim();
  console.log(`server <- ${command}`);
  if (command !== "STARTTLS") throw new Error(`unexpected ${command}`);
  await say("220 go ahead");
  await plain.close(); // gives back any bytes it read ahead
  await using tls = await serverCtx.wrap_socket(conn, { server_side: true });
  const f = tls.makefile("rwb");
  const hello = new TextDecoder().decode((await f.readline())!).trim();
  console.log(`server <- ${hello} (over ${tls.version()})`);
  await f.write(new TextEncoder().encode("250 mail.example at your service\r\n"));
  await f.close();
}

async function client(): Promise<void> {
  await using sock = socket();
  await sock.connect(address);
  const plain = sock.makefile("rwb");
  const read = async () => new TextDecoder().decode((await plain.readline())!).trim();
  console.log(`client <- ${await read()}`);
  await plain.write(new TextEncoder().encode("STARTTLS\r\n"));
  await plain.flush();
  console.log(`client <- ${await read()}`);
  await plain.close();
  await using tls = await clientCtx.wrap_socket(sock, { server_hostname: "localhost" });
  await tls.sendall("EHLO client.example\r\n");
  const f = tls.makefile("rb");
  const reply = new TextDecoder().decode((await f.readline())!).trim();
  console.log(`client <- ${reply} (certificate for ${tls.getpeercert()?.subject.at(-1)?.[0][1]})`);
  await f.close();
}

await Promise.all([server(), client()]);
