/**
 * SSH to test hosts with the ssh2 library: the deploy key (generated locally, its public half goes into
 * user-data), command execution with stdin (the post-boot step reads its PEM bundle from stdin, so keys
 * never appear in a command line), and a probe of which authentication methods sshd offers.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Client, utils } from "ssh2";

export interface DeployKey {
  /** OpenSSH private key. Secret: stays in the state directory (0600). */
  privateKey: string;
  /** OpenSSH public key line, for `ssh_authorized_keys`. */
  publicKey: string;
}

/** Loads the deploy key from `path` (0600), generating an ed25519 key there first if it does not exist. */
export function ensureDeployKey(path: string, comment = "sandfleet-local-deploy"): DeployKey {
  if (!existsSync(path)) {
    const pair = utils.generateKeyPairSync("ed25519", { comment });
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, pair.private, { mode: 0o600 });
    writeFileSync(`${path}.pub`, `${pair.public.trim()}\n`, { mode: 0o644 });
  }
  chmodSync(path, 0o600);
  return { privateKey: readFileSync(path, "utf8"), publicKey: readFileSync(`${path}.pub`, "utf8").trim() };
}

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  privateKey: string;
}

export interface SshExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Connects, retrying while sshd is not up yet (fresh hosts), for at most `readyTimeoutMs`. */
export async function sshConnect(target: SshTarget, readyTimeoutMs = 120_000): Promise<Client> {
  const deadline = Date.now() + readyTimeoutMs;
  let lastError: Error | undefined;
  while (Date.now() < deadline) {
    try {
      return await connectOnce(target);
    } catch (err) {
      lastError = err as Error;
      // Authentication failures will not heal by waiting.
      if ((err as { level?: string }).level === "client-authentication") break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  throw new Error(`ssh ${target.username}@${target.host}:${target.port} failed: ${lastError?.message ?? "timeout"}`);
}

function connectOnce(target: SshTarget): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .once("ready", () => resolve(client))
      .once("error", (err) => {
        client.end();
        reject(err);
      })
      .connect({
        host: target.host,
        port: target.port,
        username: target.username,
        privateKey: target.privateKey,
        readyTimeout: 15_000,
        // Test hosts get fresh host keys on every boot; the connection is to 127.0.0.1 on a port we published.
        hostVerifier: () => true,
      });
  });
}

/** Runs `command` over an open connection, writing `stdin` (if any) and closing it. */
export function sshExec(client: Client, command: string, options: { stdin?: string | Buffer; timeoutMs?: number } = {}): Promise<SshExecResult> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) {
        reject(err);
        return;
      }
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let exitCode = -1;
      const timer = setTimeout(() => {
        channel.close();
        reject(new Error(`ssh command did not finish within ${timeoutMs} ms: ${command}`));
      }, timeoutMs);
      channel.on("data", (c: Buffer) => out.push(c));
      channel.stderr.on("data", (c: Buffer) => errOut.push(c));
      channel.on("exit", (code: number | null) => {
        exitCode = code ?? -1;
      });
      channel.on("close", () => {
        clearTimeout(timer);
        resolve({ exitCode, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(errOut).toString("utf8") });
      });
      if (options.stdin !== undefined) channel.end(options.stdin);
      else channel.end();
    });
  });
}

/**
 * The authentication methods sshd offers to `username` after a `none` attempt (RFC 4252 §5.2),
 * e.g. `["publickey"]` on a hardened host, `["publickey","password"]` on a default one.
 */
export function offeredAuthMethods(host: string, port: number, username: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let offered: string[] | undefined;
    client
      .once("error", (err) => {
        client.end();
        if (offered) resolve(offered);
        else reject(err);
      })
      .once("ready", () => {
        client.end();
        reject(new Error(`sshd on ${host}:${port} let ${username} in without any credentials`));
      })
      .connect({
        host,
        port,
        username,
        readyTimeout: 15_000,
        hostVerifier: () => true,
        authHandler: (methodsLeft, _partial, next) => {
          if (methodsLeft === null) {
            next({ type: "none", username });
            return;
          }
          offered = [...methodsLeft];
          next(false as never);
        },
      });
  });
}
