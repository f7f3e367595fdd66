/**
 * SandboxSession against a real dockerd (mTLS on loopback, gVisor registered): the fast exec channel, its
 * framing under hostile output, timeouts, files, the docker exec fallback and the security defaults.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EndpointClient } from "../../runtime/docker/endpoint-client";
import { parseSandboxProfile, SandboxProfileInput } from "../../runtime/sandbox/profile";
import { SandboxSession } from "../../runtime/sandbox/sandbox-session";
import { dockerdSupport, startTestDaemon, TestDaemon, testRegistry } from "../support/dockerd";
import { ensureBusyboxImage, ensureNoShellImage } from "../support/images";

const support = dockerdSupport();
const labels = { "dev.sandfleet.managed": "true", "dev.sandfleet.pool": "engine-sandbox-test" };

describe.skipIf(!support.ok)("sandbox sessions on a real engine", () => {
  let daemon: TestDaemon;
  let client: EndpointClient;
  let image: string;
  let noShellImage: string;
  let session: SandboxSession;

  const start = (profile: Partial<SandboxProfileInput> = {}) =>
    SandboxSession.start(client, parseSandboxProfile({ image, ...profile }), labels);

  beforeAll(async () => {
    daemon = await startTestDaemon({ name: "sandbox" });
    image = ensureBusyboxImage(`unix://${daemon.socketPath}`);
    noShellImage = ensureNoShellImage(`unix://${daemon.socketPath}`);
    const registry = testRegistry([daemon]);
    client = EndpointClient.remote(registry.endpoints[0]!, registry.tls);
    session = await start();
  });

  afterAll(async () => {
    await session?.destroy();
    client?.close();
    await daemon?.stop();
  });

  it("runs under gVisor: the kernel seen inside is 4.4.0 and HostConfig.Runtime is runsc", async () => {
    expect(session.usesShellChannel).toBe(true);
    const result = await session.exec(["uname", "-r"]);
    expect(result).toMatchObject({ exitCode: 0, stdout: "4.4.0\n", stderr: "", timedOut: false });
    const info = await daemon.docker.getContainer(session.containerId).inspect();
    expect(info.HostConfig.Runtime).toBe("runsc");
  });

  it("applies the security defaults, as docker inspect shows them", async () => {
    const info = await daemon.docker.getContainer(session.containerId).inspect();
    const host = info.HostConfig;
    expect(host.CapDrop).toEqual(["ALL"]);
    expect(host.SecurityOpt).toContain("no-new-privileges:true");
    expect(host.Privileged).toBe(false);
    expect(host.PidsLimit).toBe(256);
    expect(host.Memory).toBe(512 * 1024 * 1024);
    expect(host.NanoCpus).toBe(1e9);
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.NetworkMode).toBe("none");
    expect(host.PidMode).toBe("");
    expect(host.IpcMode).toBe("private");
    expect(host.Binds ?? []).toEqual([]);
    expect(Object.keys(info.NetworkSettings.Ports ?? {})).toEqual([]);
    expect(info.Mounts.map((m) => m.Source)).not.toContain("/var/run/docker.sock");
    expect(info.Config.User).toBe("65534:65534");
  });

  it("reports non-zero exit codes and keeps stdout and stderr apart", async () => {
    const result = await session.exec(["sh", "-c", "echo to-out; echo to-err >&2; exit 42"]);
    expect(result).toMatchObject({ exitCode: 42, stdout: "to-out\n", stderr: "to-err\n", timedOut: false });
  });

  it("returns 5 MB of stdout and 5 MB of stderr, interleaved, byte for byte", async () => {
    // 5 MB per stream as 40,960 lines of 128 bytes, written alternately to both streams.
    const script = 'l=$(printf "%0127d" 0); i=0; while [ $i -lt 40960 ]; do echo "$l"; echo "$l" >&2; i=$((i+1)); done';
    const result = await session.exec(["sh", "-c", script], { timeoutMs: 120_000 });
    const line = "0".repeat(127) + "\n";
    expect(result.exitCode).toBe(0);
    expect(result.stdout.length).toBe(40960 * 128);
    expect(result.stderr.length).toBe(40960 * 128);
    expect(result.stdout === line.repeat(40960)).toBe(true);
    expect(result.stderr === line.repeat(40960)).toBe(true);
  });

  it("feeds stdin and applies env and cwd", async () => {
    const result = await session.exec(["sh", "-c", 'pwd; echo "$A|$B"; cat'], {
      stdin: "from stdin\nno newline at end",
      env: { A: "it's $HOME", B: "`id`" },
      cwd: "/tmp",
    });
    expect(result.stdout).toBe("/tmp\nit's $HOME|`id`\nfrom stdin\nno newline at end");
    expect(result.exitCode).toBe(0);
  });

  it("keeps output without a trailing newline and control bytes exact", async () => {
    const result = await session.exec(["printf", "a\\001\\002\\033[0m\\tz"]);
    expect(result.stdout).toBe("a\u0001\u0002\u001b[0m\tz");
  });

  it("cannot be fooled by output that imitates the end marker", async () => {
    const forged = "__sf_00000000000000000000000000000000:000:0\\n__sf_deadbeef:";
    const result = await session.exec(["sh", "-c", `printf '${forged}'; printf '${forged}' >&2; exit 3`]);
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe("__sf_00000000000000000000000000000000:000:0\n__sf_deadbeef:");
    expect(result.stderr).toBe(result.stdout);
    const after = await session.exec(["echo", "next"]);
    expect(after).toMatchObject({ exitCode: 0, stdout: "next\n", stderr: "" });
  });

  it("kills a command at its timeout and keeps the session usable", async () => {
    const started = Date.now();
    const result = await session.exec(["sh", "-c", "echo started; sleep 30 & sleep 30"], { timeoutMs: 1_000 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBe(137);
    expect(result.stdout).toBe("started\n");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(session.healthy()).toBe(true);
    // Every process of the timed-out command is gone, the background sleep included.
    const after = await session.exec(["sh", "-c", "ps -o stat,args | grep -v '^Z' | grep -c '^[A-Z]* *sleep 30' || true"]);
    expect(after.stdout).toBe("0\n");
    expect(after.timedOut).toBe(false);
  });

  it("serialises concurrent execs on one session", async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => session.exec(["echo", String(i)])));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 10 }, (_, i) => `${i}\n`));
  });

  it("writes a file that a later exec reads, binary content included", async () => {
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await session.putFile("/work/src/main.sh", "echo from-file\n", { mode: 0o755 });
    await session.putFile("/work/data.bin", binary);
    expect((await session.exec(["sh", "/work/src/main.sh"])).stdout).toBe("from-file\n");
    expect((await session.exec(["/work/src/main.sh"])).stdout).toBe("from-file\n");
    const size = await session.exec(["sh", "-c", "wc -c < /work/data.bin; md5sum /work/data.bin"]);
    expect(size.stdout.split("\n")[0]!.trim()).toBe("256");
    expect(size.stdout).toContain("e2c865db4162bed963bfaa9ef6ac18f0");
  });

  it("runs a command that does not exist with exit code 127 and says so without the wrapper shell's words", async () => {
    const byName = await session.exec(["no-such-command"]);
    expect(byName).toMatchObject({ exitCode: 127, stdout: "", stderr: "no-such-command: command not found\n" });
    // The shell's own message would be "/bin/sh: exec: line 53: /nonexistent: not found".
    const byPath = await session.exec(["/nonexistent", "arg"]);
    expect(byPath).toMatchObject({ exitCode: 127, stdout: "", stderr: "/nonexistent: command not found\n" });
  });

  it("refuses a path that is not an executable file with exit code 126 and a clean message", async () => {
    await session.putFile("/work/plain.txt", "not a program\n", { mode: 0o644 });
    for (const path of ["/work/plain.txt", "/work"]) {
      const result = await session.exec([path]);
      expect(result).toMatchObject({ exitCode: 126, stdout: "", stderr: `${path}: permission denied (not an executable file)\n` });
    }
    // The sandbox is unharmed.
    expect((await session.exec(["echo", "still here"])).stdout).toBe("still here\n");
  });

  it("falls back to docker exec for an image without a shell", async () => {
    const noShell = await SandboxSession.start(client, parseSandboxProfile({ image: noShellImage }), labels);
    try {
      expect(noShell.usesShellChannel).toBe(false);
      const result = await noShell.exec(["/bin/busybox", "sh", "-c", "echo out; echo err >&2; exit 5"]);
      expect(result).toMatchObject({ exitCode: 5, stdout: "out\n", stderr: "err\n" });
      const uname = await noShell.exec(["/bin/busybox", "uname", "-r"]);
      expect(uname.stdout).toBe("4.4.0\n");
      const cat = await noShell.exec(["/bin/busybox", "cat"], { stdin: "piped" });
      expect(cat.stdout).toBe("piped");
      await expect(noShell.putFile("/work/a.txt", "x")).rejects.toThrow(/no shell and its root is read-only/);
    } finally {
      await noShell.destroy();
    }
  });

  it("copies files into a shell-less sandbox with a writable root through putArchive", async () => {
    const noShell = await SandboxSession.start(client, parseSandboxProfile({ image: noShellImage, readOnlyRootfs: false }), labels);
    try {
      await noShell.putFile("/data/deep/in.txt", "archived\n");
      expect((await noShell.exec(["/bin/busybox", "cat", "/data/deep/in.txt"])).stdout).toBe("archived\n");
      await noShell.putFile("/bin/extra.txt", "next to busybox");
      expect((await noShell.exec(["/bin/busybox", "cat", "/bin/extra.txt"])).stdout).toBe("next to busybox");
      await expect(noShell.putFile("/work/in.txt", "x")).rejects.toThrow(/cannot be written into the tmpfs \/work/);
    } finally {
      await noShell.destroy();
    }
  });

  it("gives every socket back: more starts than the client has sockets, and the endpoint still answers at once", async () => {
    const registry = testRegistry([daemon]);
    const small = EndpointClient.remote(registry.endpoints[0]!, registry.tls, { maxSockets: 1, callTimeoutMs: 5_000 });
    const sessions: SandboxSession[] = [];
    try {
      // The first start stats the shell (a HEAD whose response must be drained); with one socket, an undrained
      // response would hold up every later call.
      for (let i = 0; i < 4; i++) sessions.push(await SandboxSession.start(small, parseSandboxProfile({ image }), labels));
      const started = Date.now();
      await small.ping(1_000);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      for (const s of sessions) await s.destroy();
      small.close();
    }
  });

  it("removes the container on destroy and is idempotent", async () => {
    const extra = await start();
    await extra.destroy();
    await extra.destroy();
    expect(extra.healthy()).toBe(false);
    await expect(daemon.docker.getContainer(extra.containerId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(extra.exec(["echo"])).rejects.toThrow(/destroyed/);
  });

  it("leaves nothing behind when the start fails", async () => {
    await expect(start({ image: "sandfleet-test/does-not-exist:latest" })).rejects.toThrow();
    const left = await daemon.docker.listContainers({ all: true, filters: { ancestor: ["sandfleet-test/does-not-exist:latest"] } });
    expect(left).toEqual([]);
  });
});
