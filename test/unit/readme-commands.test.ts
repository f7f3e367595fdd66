/**
 * Every command in a ```sh block of the READMEs is exercised: run verbatim by .ci/run (its
 * `readme_command '...'` lines), run in another form by .ci/run or a test (listed below with the line that does
 * it), or needing a cloud CLI that cannot run on CI machines (listed with the reason). A README command in none
 * of these, or a list entry no README has any more, fails here: the READMEs and what CI runs stay in step.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readmeServicePaths, serviceCurlLines } from "../../local/service";

const repoRoot = join(__dirname, "..", "..");
const READMES = ["README.md", "cost/README.md", "policy/README.md", "docs/operations.md"];
const CI_RUN = ".ci/run";

/** Commands CI runs in a form other than verbatim: where, and the text there that runs it. */
const RUN_ELSEWHERE: Record<string, { file: string; runs: string; why: string }> = {
  "npm test": { file: CI_RUN, runs: "npm test -- --reporter=default --reporter=json", why: "with reporters, so the closing line can count the tests" },
  "npm run typecheck": { file: CI_RUN, runs: 'check "npm run typecheck" npm run typecheck', why: "counted as one check" },
  "chmod 600 registry.json": { file: CI_RUN, runs: "install -m 600 .sandfleet/local/registry.json registry.json", why: "the copy is made with mode 0600" },
  "npx vitest run --project e2e test/e2e/host-audit.test.ts": {
    file: CI_RUN,
    runs: "npm test -- --reporter=default --reporter=json",
    why: "npm test runs the whole e2e tier, this file included",
  },
  "npm pack -w runtime": {
    file: "test/engine/runtime-package.test.ts",
    runs: '"pack", "-w", "runtime"',
    why: "into a temporary directory instead of the checkout",
  },
  "cd ../my-service": {
    file: "test/engine/runtime-package.test.ts",
    runs: 'writeFileSync(join(app, "package.json")',
    why: "a fresh temporary app stands in for the user's service",
  },
  "npm install ../sandfleet/sandfleet-runtime-0.1.0.tgz": {
    file: "test/engine/runtime-package.test.ts",
    runs: 'await npm(["install", tarball], app)',
    why: "the tarball it packed; it also checks that the README names that very file",
  },
};

/** The README's sandbox-service lines share shell variables, so no single `readme_command` runs one; the e2e test runs them all. */
const SERVICE_LINES_RUN = {
  file: "test/e2e/local-service.test.ts",
  runs: "serviceCurlLines(fleet.service!",
  why: "as one script, the lines npm start prints (test/unit/local/service-lines.test.ts keeps the README's copy equal to them)",
};
for (const line of serviceCurlLines(readmeServicePaths)) RUN_ELSEWHERE[line] = SERVICE_LINES_RUN;

/** Programs that need something CI machines cannot have; every command starting with one is listed with the reason. */
const NEEDS_CLOUD: Record<string, string> = {
  openssl:
    "dials a workspace server's private address with the client key, from the platform server of a deployed stack; " +
    "the same handshake against the local fleet is what `npx sandfleet doctor` checks in .ci/run",
  pulumi:
    "the Pulumi CLI (its npm package downloads the binary from the vendor, unreachable from CI machines) and cloud credentials; " +
    "the program it runs is exercised under mocks (test/unit/stack/) and under the real language host's loader (test/real-path/)",
};

/** Every command line of every ```sh block, without its trailing comment, split at `&&`. */
function readmeCommands(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), "utf8");
  const commands: string[] = [];
  for (const block of text.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    // A line ending in a backslash continues on the next one.
    for (const line of block[1].replace(/\\\n\s*/g, " ").split("\n")) {
      const command = line.replace(/\s+#\s.*$/, "").trim();
      if (command === "" || command.startsWith("#")) continue;
      commands.push(...command.split(/\s+&&\s+/).map((c) => c.trim()));
    }
  }
  return commands;
}

/** The commands .ci/run runs verbatim: `readme_command 'CMD'`. */
function ciReadmeCommands(): string[] {
  const text = readFileSync(join(repoRoot, CI_RUN), "utf8");
  return [...text.matchAll(/^\s*readme_command '([^']+)'\s*$/gm)].map((m) => m[1]);
}

/** A README's `sandfleet ...` is the installed bin; CI runs it as `npx sandfleet ...` from the checkout. */
const asRun = (command: string) => (command.startsWith("sandfleet ") ? `npx ${command}` : command);

function coverage(command: string): string | undefined {
  if (ciReadmeCommands().includes(asRun(command))) return `${CI_RUN} (verbatim)`;
  const elsewhere = RUN_ELSEWHERE[command];
  if (elsewhere) return `${elsewhere.file} (${elsewhere.why})`;
  const program = command.split(/\s+/)[0];
  if (NEEDS_CLOUD[program]) return `not on CI: ${NEEDS_CLOUD[program]}`;
  return undefined;
}

const allCommands = READMES.flatMap((file) => readmeCommands(file).map((command) => ({ file, command })));

describe("the READMEs' shell commands", () => {
  it("finds the command blocks (the extraction itself works)", () => {
    expect(readmeCommands("README.md")).toEqual(expect.arrayContaining(["npm install", "npm start", "npm test", "npm run local:down", "pulumi up"]));
    expect(allCommands.length).toBeGreaterThan(15);
  });

  it.each(allCommands)("$file: `$command` is run by CI or listed as needing a cloud CLI", ({ command }) => {
    expect(coverage(command), `add \`readme_command '${asRun(command)}'\` to .ci/run, or list it in this test with the reason`).toBeDefined();
  });

  it("lists nothing no README has any more", () => {
    const inReadmes = new Set(allCommands.map(({ command }) => asRun(command)));
    for (const command of ciReadmeCommands()) expect(inReadmes.has(command), `${CI_RUN}: readme_command '${command}'`).toBe(true);
    for (const command of Object.keys(RUN_ELSEWHERE)) expect(inReadmes.has(command), command).toBe(true);
    for (const program of Object.keys(NEEDS_CLOUD)) expect(allCommands.some(({ command }) => command.startsWith(`${program} `)), program).toBe(true);
  });

  it("points at lines that really run the commands listed as run in another form", () => {
    for (const [command, { file, runs }] of Object.entries(RUN_ELSEWHERE)) {
      expect(readFileSync(join(repoRoot, file), "utf8"), `${command} in ${file}`).toContain(runs);
    }
  });

  it("runs the Quick start's commands in its order: install, start, then the fleet is removed", () => {
    const ci = ciReadmeCommands();
    expect(ci.indexOf("npm install")).toBeGreaterThanOrEqual(0);
    expect(ci.indexOf("npm install")).toBeLessThan(ci.indexOf("npm start"));
    expect(ci.indexOf("npm start")).toBeLessThan(ci.indexOf("npx sandfleet doctor --registry registry.json"));
    expect(ci.indexOf("npx sandfleet status --registry registry.json")).toBeLessThan(ci.indexOf("npm run local:down"));
  });
});
