/**
 * Run by `readme_test.ts` (which may not read the repository) as
 * `deno run --allow-read=ROOT _readme_child.ts ROOT PATTERN`: prints, as
 * JSON, README.md's text and the repository paths it names (matching the
 * regular expression PATTERN) that do not exist. What a run writes
 * (`bench/results/`, …) is listed in .gitignore and may not exist yet.
 *
 * @module
 */

const [root, pattern] = Deno.args;
const text = Deno.readTextFileSync(root + "README.md");
const named = new Set(
  (text.match(new RegExp(pattern, "g")) ?? []).map((p) => p.replace(/\.$/, "")),
);
const written = Deno.readTextFileSync(root + ".gitignore").split("\n")
  .map((l) => l.trim().replace(/\/$/, ""))
  .filter((l) => l && !l.startsWith("#"));
const missing: string[] = [];
for (const path of named) {
  if (written.some((w) => path === w || path.startsWith(w + "/"))) continue;
  try {
    Deno.statSync(root + path);
  } catch {
    missing.push(path);
  }
}
console.log(JSON.stringify({ text, missing }));
