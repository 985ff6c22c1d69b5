/**
 * Fails when the library's own modules import each other in a circle.
 * Reads the module graph from `deno info --json` (type-only imports count:
 * a circle of types still ties the modules' designs together) and prints
 * each circle found, as `a.ts -> b.ts -> a.ts`.
 *
 * ```sh
 * deno run --allow-run=deno --allow-read=. tools/cycles.ts [entry.ts ...]
 * ```
 *
 * @module
 */

interface Dependency {
  code?: { specifier?: string };
  type?: { specifier?: string };
}

interface Module {
  specifier: string;
  dependencies?: Dependency[];
}

/** The local module graph: each file: URL to the file: URLs it imports. */
async function graph(entries: string[]): Promise<Map<string, string[]>> {
  const edges = new Map<string, string[]>();
  for (const entry of entries) {
    const { code, stdout, stderr } = await new Deno.Command("deno", {
      args: ["info", "--json", entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new Error(`deno info ${entry} failed: ${new TextDecoder().decode(stderr)}`);
    }
    const info = JSON.parse(new TextDecoder().decode(stdout)) as { modules: Module[] };
    for (const module of info.modules) {
      if (!module.specifier.startsWith("file:")) continue;
      const targets = new Set<string>();
      for (const dep of module.dependencies ?? []) {
        for (const to of [dep.code?.specifier, dep.type?.specifier]) {
          if (to?.startsWith("file:")) targets.add(to);
        }
      }
      edges.set(module.specifier, [...targets]);
    }
  }
  return edges;
}

/** Every elementary circle reachable in `edges`, each reported once (depth-first, colouring). */
export function findCycles(edges: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "open");
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === "open") cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    path.pop();
    state.set(node, "done");
  };
  for (const node of [...edges.keys()].sort()) {
    if (!state.has(node)) visit(node);
  }
  return cycles;
}

if (import.meta.main) {
  const entries = Deno.args.length > 0 ? Deno.args : ["mod.ts"];
  const root = new URL(`file://${Deno.cwd()}/`).href;
  const cycles = findCycles(await graph(entries));
  for (const cycle of cycles) {
    console.error(`import circle: ${cycle.map((s) => s.replace(root, "")).join(" -> ")}`);
  }
  if (cycles.length > 0) Deno.exit(1);
  console.log(`no import circles (${entries.join(", ")})`);
}
