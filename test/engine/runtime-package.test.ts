/**
 * The pool runtime as users get it: `npm pack` of the runtime workspace, `npm install <tarball>` into a fresh
 * app (registry deps, no workspace link), and the README's "Using the pool runtime" snippets run verbatim
 * with plain `node` (ESM and CommonJS) against a real TLS dockerd started here.
 */
import { execFile } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POOL_LABELS } from "../../runtime/pool/labels";
import { dockerdSupport, startTestDaemon, TestDaemon, testRegistry } from "../support/dockerd";
import { ensureBusyboxImage } from "../support/images";

const support = dockerdSupport();
const run = promisify(execFile);
const REPO = join(__dirname, "../..");
const RUNTIME = join(REPO, "runtime");
const RUNTIME_DIST = join(RUNTIME, "dist");
const PACKAGE = "@sandfleet/runtime";

/** The code blocks of README.md that follow `<!-- runtime-snippet: NAME -->`, by name. */
function readmeSnippets(readme: string): Record<string, string> {
  const snippets: Record<string, string> = {};
  for (const match of readme.matchAll(/<!-- runtime-snippet: (\w+) -->\n```js\n([\s\S]*?)\n```/g)) {
    snippets[match[1]!] = `${match[2]!}\n`;
  }
  return snippets;
}

/** The environment of a user's shell: npm_* variables of the `npm test` running us must not leak into npm or node. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && !k.startsWith("SANDFLEET_")));
  return { ...env, ...extra };
}

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run("npm", [...args, "--no-audit", "--no-fund"], { cwd, env: userEnv(), timeout: 240_000, maxBuffer: 16 << 20 });
  return stdout;
}

/**
 * Runs a command holding an flock on runtime/: packing rebuilds runtime/dist in the shared checkout, so two
 * test runs at once (engineers share machines) must not rebuild or remove it under each other.
 */
async function withRuntimeLock(command: string[], cwd: string): Promise<string> {
  const { stdout } = await run("flock", [RUNTIME, ...command], { cwd, env: userEnv(), timeout: 300_000, maxBuffer: 16 << 20 });
  return stdout;
}

describe.skipIf(!support.ok)("the @sandfleet/runtime package, packed, installed and run as the README shows", () => {
  let root: string;
  let app: string;
  let tarball: string;
  let daemon: TestDaemon;
  let snippetEnv: NodeJS.ProcessEnv;
  let snippetTmp: string;
  const distExistedBefore = existsSync(RUNTIME_DIST);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "sf-runtime-pkg-"));
    app = join(root, "app");
    snippetTmp = join(root, "tmp");
    mkdirSync(app);
    mkdirSync(snippetTmp);

    // `npm pack -w runtime` runs the workspace's prepack (tsc + the ESM entry), as a release would.
    const pack = ["npm", "pack", "-w", "runtime", "--pack-destination", root, "--json", "--no-audit", "--no-fund"];
    const packed = JSON.parse(await withRuntimeLock(pack, REPO)) as { filename: string }[];
    tarball = join(root, packed[0]!.filename);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "sf-runtime-pkg-app", version: "1.0.0", private: true }, null, 2));
    await npm(["install", tarball], app);

    daemon = await startTestDaemon({ name: "pkg" });
    const image = ensureBusyboxImage(`unix://${daemon.socketPath}`);
    const registryFile = join(root, "registry.json");
    writeFileSync(registryFile, JSON.stringify(testRegistry([daemon], [{ labels: { tier: "standard" } }])), { mode: 0o600 });
    snippetEnv = userEnv({
      SANDFLEET_REGISTRY_FILE: registryFile,
      SANDFLEET_IMAGE: image,
      // Its own pool id and temp dir: no clash with another test's pool, and its pid file is checked below.
      SANDFLEET_POOL_ID: `pkg-${process.pid}`,
      TMPDIR: snippetTmp,
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
    if (!distExistedBefore) await withRuntimeLock(["rm", "-rf", RUNTIME_DIST], REPO);
  });

  const runSnippet = async (file: string) => {
    const { stdout } = await run(process.execPath, [file], { cwd: app, env: snippetEnv, timeout: 120_000 });
    return stdout;
  };

  const sandfleetContainers = () => daemon.docker.listContainers({ all: true, filters: { label: [`${POOL_LABELS.managed}=true`] } });

  it("packs only compiled JavaScript, type declarations, README and LICENSE", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout.trim().split("\n").map((f) => f.replace(/^package\//, ""));
    expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.mjs", "dist/index.d.ts", "dist/index.d.mts"]));
    // The README's install commands name this very file.
    expect(readFileSync(join(REPO, "README.md"), "utf8")).toContain(`npm install ../sandfleet/${basename(tarball)}`);
    const unexpected = files.filter((f) => !["package.json", "README.md", "LICENSE"].includes(f) && !/^dist\/.+\.(js|mjs|d\.ts|d\.mts)$/.test(f));
    expect(unexpected).toEqual([]);
  });

  it("depends on no @pulumi package, and installing it brings none", () => {
    const manifest = JSON.parse(readFileSync(join(app, "node_modules", PACKAGE, "package.json"), "utf8"));
    const declared = ["dependencies", "peerDependencies", "optionalDependencies"].flatMap((k) => Object.keys(manifest[k] ?? {}));
    expect(declared.filter((d) => d.startsWith("@pulumi/"))).toEqual([]);
    expect(existsSync(join(app, "node_modules/@pulumi"))).toBe(false);
    // A real copy from the tarball, not a link into the workspace.
    expect(lstatSync(join(app, "node_modules", PACKAGE)).isSymbolicLink()).toBe(false);
  });

  it("installs in a fraction of the root package's node_modules", async () => {
    const { stdout } = await run("du", ["-sm", join(app, "node_modules")]);
    const megabytes = Number(stdout.split("\t")[0]);
    console.log(`node_modules of an app with only ${PACKAGE}: ${megabytes} MB`);
    expect(megabytes).toBeLessThan(80);
  });

  it("runs the README's ES module snippet verbatim under plain node (top-level await)", async () => {
    const snippet = readmeSnippets(readFileSync(join(REPO, "README.md"), "utf8")).esm;
    expect(snippet, "README.md has no `<!-- runtime-snippet: esm -->` block").toBeDefined();
    writeFileSync(join(app, "app.mjs"), snippet!);
    expect(await runSnippet("app.mjs")).toBe("test-pkg: exit 0, stdout 42\n");
    // close() destroyed every sandbox and released the pool's pid file.
    expect(await sandfleetContainers()).toEqual([]);
    expect(readdirSync(snippetTmp)).toEqual([]);
  });

  it("runs the README's CommonJS snippet verbatim under plain node, inside gVisor", async () => {
    const snippet = readmeSnippets(readFileSync(join(REPO, "README.md"), "utf8")).cjs;
    expect(snippet, "README.md has no `<!-- runtime-snippet: cjs -->` block").toBeDefined();
    writeFileSync(join(app, "app.cjs"), snippet!);
    expect(await runSnippet("app.cjs")).toBe("test-pkg: kernel 4.4.0\n");
    expect(await sandfleetContainers()).toEqual([]);
    expect(readdirSync(snippetTmp)).toEqual([]);
  });

  it("ends the CommonJS snippet with the typed error and its fix when the registry file is missing", async () => {
    const missing = join(root, "no-such-registry.json");
    const failed = run(process.execPath, ["app.cjs"], { cwd: app, env: { ...snippetEnv, SANDFLEET_REGISTRY_FILE: missing }, timeout: 60_000 });
    await expect(failed).rejects.toMatchObject({
      code: 1,
      stdout: "",
      stderr: expect.stringMatching(new RegExp(`^RegistryError: registry file ${missing} cannot be read .*pulumi stack output endpointRegistry`)),
    });
  });

  it("gives ES module and CommonJS callers the same objects (instanceof holds across both)", async () => {
    const probe = [
      `import * as esm from "${PACKAGE}";`,
      `import { createRequire } from "node:module";`,
      `const cjs = createRequire(import.meta.url)("${PACKAGE}");`,
      `const names = Object.keys(cjs);`,
      `console.log(JSON.stringify({ count: names.length, missing: names.filter((n) => !(n in esm)), different: names.filter((n) => esm[n] !== cjs[n]) }));`,
    ].join("\n");
    writeFileSync(join(app, "identity.mjs"), probe);
    const result = JSON.parse(await runSnippet("identity.mjs"));
    expect(result.missing).toEqual([]);
    expect(result.different).toEqual([]);
    expect(result.count).toBeGreaterThan(20);
  });

  it("type-checks both snippets against the shipped declarations (strict, nodenext; import and require conditions)", async () => {
    const snippets = readmeSnippets(readFileSync(join(REPO, "README.md"), "utf8"));
    writeFileSync(join(app, "app-typed.mts"), snippets.esm!);
    // TypeScript types a bare require() as any, so the CommonJS snippet's first line is written as the import that
    // compiles to that same require(); the rest is verbatim and checked against the "require" declarations.
    const requireLine = /^const \{ ([\w, ]+) \} = require\("@sandfleet\/runtime"\);$/m;
    expect(snippets.cjs).toMatch(requireLine);
    writeFileSync(join(app, "app-typed.cts"), snippets.cjs!.replace(requireLine, 'import { $1 } from "@sandfleet/runtime";'));
    const tsc = join(REPO, "node_modules/typescript/bin/tsc");
    const options = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--types", "node"];
    await expect(run(process.execPath, [tsc, ...options, "app-typed.mts", "app-typed.cts"], { cwd: app, timeout: 120_000 })).resolves.toMatchObject({ stdout: "" });
  });
});
