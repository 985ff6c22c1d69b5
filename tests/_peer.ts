/**
 * A misbehaving peer for the reliability tests: a `python3` child process
 * that prints lines to say what it did and exits when its stdin closes, so
 * the test decides when the peer goes away. Its buffers are not this
 * process's memory, which the backpressure tests rely on.
 *
 * @module
 */

/** A running `python3 -c code` child. */
export class PythonPeer {
  readonly #child: Deno.ChildProcess;
  readonly #lines: ReadableStreamDefaultReader<string>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #closed = false;

  /** Starts `python3 -c code args…` with piped stdin and stdout. */
  constructor(code: string, ...args: string[]) {
    this.#child = new Deno.Command("python3", {
      args: ["-u", "-c", code, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#lines = this.#child.stdout
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(splitLines())
      .getReader();
    this.#stdin = this.#child.stdin.getWriter();
  }

  /** The next line the peer printed (throws if it exited first). */
  async line(): Promise<string> {
    const { value, done } = await this.#lines.read();
    if (done) throw new Error("python3 peer exited before printing a line");
    return value;
  }

  /** Sends a line to the peer's stdin. */
  async send(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /** Closes its stdin (the peer's cue to finish) and waits for it to exit. */
  async close(): Promise<Deno.CommandStatus> {
    if (!this.#closed) {
      this.#closed = true;
      await this.#stdin.close().catch(() => {});
    }
    const status = await this.#child.status;
    // Drain what is left so the stdout resource is released.
    for (;;) {
      const { done } = await this.#lines.read();
      if (done) break;
    }
    return status;
  }

  /** Kills the peer at once (SIGKILL) and reaps it. */
  async kill(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.close();
  }

  /** `await using peer = new PythonPeer(…)` reaps it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }
}

function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const part of parts) controller.enqueue(part);
    },
    flush(controller) {
      if (rest) controller.enqueue(rest);
    },
  });
}

/**
 * Collects `unhandledrejection` events while `fn` runs (and for a few
 * macrotasks after), marking them handled so the test reports them itself.
 */
export async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    seen.push(event.reason);
  };
  globalThis.addEventListener("unhandledrejection", listener);
  try {
    await fn();
    // Rejections are reported after the microtask queue drains: give them
    // a few macrotasks to surface.
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    globalThis.removeEventListener("unhandledrejection", listener);
  }
  return seen;
}

/** Python that sets SO_LINGER 0 on socket `c` and closes it: the peer sends RST. */
export const PY_RESET = `
def reset(c):
    import socket, struct
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
`;
