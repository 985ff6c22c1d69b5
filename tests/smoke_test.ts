import { MSG_PEEK, socket, TimeoutError } from "@seed/socket";
import { assertEquals, assertRejects, connectedPair, text } from "./_util.ts";

Deno.test("a client and a server exchange bytes", async () => {
  await using pair = await connectedPair();
  await pair.client.sendall("hello");
  assertEquals(text(await pair.server.recv(5, MSG_PEEK)), "hello");
  assertEquals(text(await pair.server.recv(5)), "hello");
  pair.server.settimeout(0.05);
  await assertRejects(pair.server.recv(5), TimeoutError);
  await pair.client.sendall("later");
  assertEquals(text(await pair.server.recv(5)), "later");
});

Deno.test("socket() reads back family, type and proto", () => {
  using sock = socket();
  assertEquals([sock.family, sock.type, sock.proto], [2, 1, 0]);
});
