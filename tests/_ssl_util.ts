/**
 * Fixtures for the TLS tests: the test PKI's paths and a CPython `ssl` peer
 * (tests/_ssl_peer.py) driven by a JSON plan, reporting JSON lines.
 *
 * @module
 */

export const CERTS = new URL("./certs/", import.meta.url).pathname;
export const CA = `${CERTS}ca.pem`;
export const SERVER_CERT = `${CERTS}server.pem`;
export const SERVER_KEY = `${CERTS}server.key`;
export const CLIENT_CERT = `${CERTS}client.pem`;
export const CLIENT_KEY = `${CERTS}client.key`;
import { type Socket, socket } from "@seed/socket";
import * as ssl from "@seed/socket/ssl";

const PEER = new URL("./_ssl_peer.py", import.meta.url).pathname;

/** True when python3 runs here; CPython-peer tests are skipped otherwise. */
export const HAS_PYTHON: boolean = await (async () => {
  try {
    // output() throws at once (not a rejection) when python3 is not on PATH.
    const out = await new Deno.Command("python3", {
      args: ["-c", "import ssl"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
})();
if (!HAS_PYTHON) console.log("SKIPPED: CPython-peer TLS tests: python3 with ssl is missing");

/** A plan for tests/_ssl_peer.py (see its docstring). */
export interface PeerPlan {
  role: "server" | "client";
  port?: number;
  cert?: string;
  key?: string;
  ca?: string;
  verify?: "none" | "optional" | "required";
  server_hostname?: string;
  alpn?: string[];
  max_version?: string;
  starttls?: boolean | "wait";
  connections?: number;
  steps?: [string, unknown][];
}

/** A running CPython peer. */
export interface Peer {
  /** The server's port (role "server"). */
  port: number;
  /** The next JSON line the peer printed. */
  next(): Promise<Record<string, unknown>>;
  /** Sends a go-ahead line (for a ["wait"] step). */
  go(): Promise<void>;
  /** Waits for the peer to exit; its stderr when it failed. */
  done(): Promise<{ success: boolean; stderr: string }>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts tests/_ssl_peer.py with `plan`. */
export async function peer(plan: PeerPlan): Promise<Peer> {
  const child = new Deno.Command("python3", {
    args: [PEER, JSON.stringify(plan)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  let pending = "";
  let finished = false;
  const next = async (): Promise<Record<string, unknown>> => {
    for (;;) {
      const at = pending.indexOf("\n");
      if (at >= 0) {
        const line = pending.slice(0, at);
        pending = pending.slice(at + 1);
        return JSON.parse(line);
      }
      const { value, done } = await lines.read();
      if (done) throw new Error(`peer exited: ${await stderr}`);
      pending += value;
    }
  };
  const done = async () => {
    if (!finished) {
      finished = true;
      await writer.close().catch(() => {});
      await lines.cancel().catch(() => {});
    }
    const status = await child.status;
    return { success: status.success, stderr: await stderr };
  };
  const port = plan.role === "server" ? (await next()).port as number : 0;
  return {
    port,
    next,
    go: () => writer.write(new TextEncoder().encode("go\n")),
    done,
    async [Symbol.asyncDispose]() {
      try {
        child.kill();
      } catch {
        // Already exited.
      }
      await done();
    },
  };
}

/** The bytes tests/_ssl_peer.py sends for ["send_n", n]. */
export function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i & 255;
  return out;
}

/** Hex sha256 of bytes. */
export async function sha256hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Starts a CPython server peer presenting the test server certificate. */
export function serverPeer(
  plan: Omit<PeerPlan, "role" | "cert" | "key"> = {},
): Promise<Peer> {
  return peer({ role: "server", cert: SERVER_CERT, key: SERVER_KEY, ...plan });
}

/** A client context that trusts the test CA. */
export function clientContext(): ssl.SSLContext {
  return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, { cafile: CA });
}

/**
 * Connects a plain client to the TLS listener `server` on loopback `port`, then
 * runs its handshake (checking the name "localhost") alongside the accept.
 */
export async function acceptedPair(
  server: ssl.SSLSocket,
  port: number,
): Promise<[tls: ssl.SSLSocket, conn: ssl.SSLSocket]> {
  const client = socket();
  await client.connect(["127.0.0.1", port]);
  const ctx = clientContext();
  const [tls, [conn]] = await Promise.all([
    ctx.wrap_socket(client, { server_hostname: "localhost" }),
    server.accept(),
  ]);
  return [tls, conn];
}

/** A plain TCP socket listening on loopback, and its port. */
export function plainListener(): { listener: Socket; port: number } {
  const listener = socket();
  listener.bind(["127.0.0.1", 0]);
  listener.listen();
  return { listener, port: (listener.getsockname() as [string, number])[1] };
}
