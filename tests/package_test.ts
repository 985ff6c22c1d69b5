/**
 * The package as JSR sees it: every entry point in deno.json's `exports`
 * has a module doc with an example (JSR's documentation score), and every
 * exported symbol of every entry point is documented (`deno doc --lint`).
 */

import { assert, assertEquals } from "./_util.ts";
import config from "../deno.json" with { type: "json" };

const ROOT = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();
const ENTRIES = Object.values(config.exports as Record<string, string>);

async function deno(args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const out = await new Deno.Command("deno", {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { ok: out.success, out: decoder.decode(out.stdout), err: decoder.decode(out.stderr) };
}

interface ModuleDoc {
  doc?: string;
  tags?: { kind: string; doc?: string }[];
}

Deno.test("package: every entry point has a module doc with an example", async () => {
  assert(ENTRIES.length > 0);
  const lacking: string[] = [];
  for (const entry of ENTRIES) {
    const { ok, out, err } = await deno(["doc", "--json", entry]);
    assert(ok, `${entry}: ${err}`);
    const json = JSON.parse(out) as { nodes: Record<string, { module_doc?: ModuleDoc }> };
    const doc = Object.values(json.nodes)[0]?.module_doc ?? {};
    const examples = (doc.tags ?? []).filter((t) => t.kind === "example" && t.doc?.includes("```"));
    if (!doc.doc?.trim()) lacking.push(`${entry}: no module doc (a /** … @module */ comment)`);
    if (examples.length === 0 && !doc.doc?.includes("```")) {
      lacking.push(`${entry}: no example in the module doc`);
    }
  }
  assertEquals(lacking, []);
});

Deno.test("package: deno doc --lint passes on every entry point", async () => {
  const { ok, out, err } = await deno(["doc", "--lint", ...ENTRIES]);
  assert(ok, out + err);
});
