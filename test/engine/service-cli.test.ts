/**
 * The operator CLI against the sandbox service, through bin/sandfleet.js as users run it: `keys create|list|revoke`
 * on the service's database (the platform's side), and `exec --api` / `shell --api` as API clients over HTTPS.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerdSupport, startTestDaemons, TestDaemon } from "../support/dockerd";
import { BUSYBOX_IMAGE, ensureBusyboxImage } from "../support/images";
import { ServiceProcess, startServiceProcess } from "../support/service";

const support = dockerdSupport();
const CLI = join(__dirname, "../../bin/sandfleet.js");

describe.skipIf(!support.ok)("sandfleet keys / exec / shell against the sandbox service", () => {
  let daemons: TestDaemon[] = [];
  let service: ServiceProcess;

  const sandfleet = (args: string[], options: { key?: string; input?: string } = {}) =>
    spawnSync(process.execPath, [CLI, ...args], {
      encoding: "utf8",
      timeout: 120_000,
      input: options.input ?? "",
      env: { ...process.env, SANDFLEET_API_KEY: options.key ?? "", SANDFLEET_API_CA: service.caFile },
    });

  beforeAll(async () => {
    daemons = await startTestDaemons(["ka"]);
    ensureBusyboxImage(`unix://${daemons[0]!.socketPath}`);
    service = await startServiceProcess(daemons, { config: { pool: { poolId: "svc-cli", minIdle: 1, profiles: { default: { image: BUSYBOX_IMAGE, runtime: "runsc" } } } } });
  });

  afterAll(async () => {
    if (service) {
      await service.stop();
      service.cleanup();
    }
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it("keys create prints a key once; exec --api streams the output and passes the exit code on; revoke ends the key", () => {
    const created = sandfleet(["keys", "create", "--config", service.configFile, "--name", "ci-runner", "--concurrent", "2"]);
    expect(created.status, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^sfk_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain("shown only this once");

    const list = sandfleet(["keys", "list", "--config", service.configFile]);
    expect(list.stdout).toMatch(/ci-runner\s+2\s/);
    expect(list.stdout).not.toContain(key);

    const run = sandfleet(["exec", "--api", service.url, "--", "sh", "-c", "uname -r; echo oops >&2; exit 5"], { key });
    expect(run.stdout).toBe("4.4.0\n");
    expect(run.stderr).toBe("oops\n");
    expect(run.status).toBe(5);

    expect(sandfleet(["keys", "revoke", "--config", service.configFile, "--key", "ci-runner"]).stdout).toMatch(/^revoked key_/);
    const refused = sandfleet(["exec", "--api", service.url, "--", "true"], { key });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("UNAUTHORIZED (HTTP 401)");
  });

  it("shell --api gives a terminal of the asked size and exits with the shell's code", () => {
    const shell = sandfleet(["shell", "--api", service.url, "--cols", "90", "--rows", "30"], { key: service.key, input: "stty size\nexit 3\n" });
    expect(shell.stderr).toBe("");
    expect(shell.stdout).toContain("30 90");
    expect(shell.status).toBe(3);
  });

  it("exec without a key or a command says what is missing", () => {
    const noKey = sandfleet(["exec", "--api", service.url, "--", "true"]);
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toContain("SANDFLEET_API_KEY");
    const noCommand = sandfleet(["exec", "--api", service.url], { key: service.key });
    expect(noCommand.status).toBe(2);
    expect(noCommand.stderr).toContain("the command goes after --");
  });
});
