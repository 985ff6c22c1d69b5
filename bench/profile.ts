/**
 * Where a benchmark peer's time goes: runs one `compare.ts` workload with
 * both peer processes under `deno run --cpu-prof`, then prints, for each,
 * the functions with the most self time and the share of the whole run
 * spent inside each of the library's functions (self plus callees).
 *
 * ```sh
 * deno run --allow-run --allow-read=bench/results --allow-write=bench/results \
 *   bench/profile.ts udp_rr '{"count":20000,"size":64}' [lib|deno] [--pin]
 * ```
 *
 * The profiles stay in `bench/results/profiles/` for Chrome DevTools.
 *
 * @module
 */

const [workload, params = "{}", peer = "lib"] = Deno.args.filter((a) => !a.startsWith("--"));
const pin = Deno.args.includes("--pin") ? ["taskset", "-c", "0"] : [];
if (!workload) throw new TypeError("usage: profile.ts <workload> <params-json> [lib|deno] [--pin]");
const here = (path: string) => new URL(path, import.meta.url).pathname;
const dir = here("results/profiles");
await Deno.mkdir(dir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");

function command(role: string, extra: string[]): Deno.Command {
  const cmd = [
    ...pin,
    Deno.execPath(),
    "run",
    "--no-config",
    "--unstable-net",
    "--allow-net=127.0.0.1",
    `--allow-read=${here("..")}`,
    "--cpu-prof",
    `--cpu-prof-dir=${dir}`,
    `--cpu-prof-name=${stamp}-${workload}-${peer}-${role}.cpuprofile`,
    here(`peers/${peer}.ts`),
    role,
    workload,
    ...extra,
  ];
  return new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "inherit" });
}

const server = command("server", [params]).spawn();
const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let head = "";
while (!head.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) throw new Error("server exited before announcing its port");
  head += value;
}
const port = head.match(/PORT (\d+)/)![1];
// http: the Deno load generator drives the server, which exits after
// `requests` responses (give it that parameter).
const client = workload === "http"
  ? await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-config",
      "--allow-net=127.0.0.1",
      here("loadgen.ts"),
      port,
      "20",
      String(JSON.parse(params).requests),
    ],
    stdout: "piped",
  }).output()
  : await command("client", [port, params]).output();
console.log(`client: ${new TextDecoder().decode(client.stdout).trim()}`);
(async () => {
  for (;;) if ((await reader.read()).done) break;
})();
await server.status;

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function summarise(file: string): void {
  const profile = JSON.parse(Deno.readTextFileSync(file)) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n: Node) => {
    const url = n.callFrame.url.replace(/^.*\/(bench|work\/wt\/[^/]+)\//, "");
    return `${n.callFrame.functionName || "(anonymous)"} ${url}:${n.callFrame.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const leaf = byId.get(id)!;
    self.set(name(leaf), (self.get(name(leaf)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const key = name(byId.get(n)!);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  });
  // Shares of the busy time: idle is the process waiting for its peer.
  const busy = total - (self.get("(idle) :0") ?? 0);
  const top = (m: Map<string, number>, keep: (k: string) => boolean, n: number) =>
    [...m].filter(([k]) => keep(k) && k !== "(idle) :0").sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${(100 * v / busy).toFixed(1).padStart(5)}%  ${k}`).join("\n");
  console.log(
    `\n${file.split("/").at(-1)}: ${(total / 1000).toFixed(0)} ms sampled, ${
      (busy / 1000).toFixed(0)
    } ms busy (shares below are of the busy time)`,
  );
  console.log("self time:\n" + top(self, () => true, 18));
  console.log(
    "inclusive, library and peer code:\n" +
      top(inclusive, (k) => /\.ts:/.test(k) && !k.startsWith("(anonymous) peers"), 22),
  );
}

for (const role of workload === "http" ? ["server"] : ["server", "client"]) {
  summarise(`${dir}/${stamp}-${workload}-${peer}-${role}.cpuprofile`);
}
