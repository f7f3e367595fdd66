/**
 * The post-boot TLS step on a test host, over SSH, exactly as the cloud path runs it: the same script
 * (cloud-init/post-boot), uploaded to the same path, run with the same command, the PEM bundle (CA cert,
 * server cert, server key) on stdin so no key ever appears in user-data or on a command line, followed by
 * the host's nftables ruleset (rendered from its cloud-config by the renderer of user-data's copy), which
 * the script checks and reloads.
 */
import { DOCKER_TLS_PORT, firewallRuleset, type HostCloudConfig } from "../cloud-init";
import { firewallRulesetBlock, POST_BOOT_SCRIPT_REMOTE_PATH, parsePostBootResult, postBootCommand, postBootScript } from "../cloud-init/post-boot";
import type { IssuedCert, LocalDockerTls } from "../components/tls/local-issuer";
import type { BootedHost } from "./hosts";
import type { Progress } from "./progress";
import { sshConnect, sshExec, SshTarget } from "./ssh";

export interface PostBootOptions {
  hostName: string;
  role: "platform" | "workspace";
  ssh: SshTarget;
  /** Address dockerd's TLS listener binds to inside the host (its private IP). */
  listenAddress: string;
  caCertPem: string;
  server: IssuedCert;
  /** The host's nftables ruleset (`firewallRuleset()` of its cloud-config), reloaded by the script. */
  firewallRuleset: string;
  /** The data volume of its cloud-config: checked mounted from its device, and grown. @default none */
  dataVolume?: { device: string; mountPoint: string };
  progress: Progress;
  /** Docker TLS port inside the host. @default 2376 */
  port?: number;
}

export interface PostBootResult {
  /** What the script printed after `SANDFLEET_POST_BOOT_OK`. */
  report: NonNullable<ReturnType<typeof parsePostBootResult>>;
  durationMs: number;
}

export async function runPostBoot(options: PostBootOptions): Promise<PostBootResult> {
  const started = Date.now();
  const { progress, hostName } = options;
  const client = await sshConnect(options.ssh);
  try {
    const sudo = options.ssh.username !== "root";
    const asRoot = sudo ? "sudo -n " : "";
    const upload = await sshExec(
      client,
      `${asRoot}sh -c 'umask 077; mkdir -p "$(dirname "$1")"; cat > "$1"; chmod 0700 "$1"' _ ${POST_BOOT_SCRIPT_REMOTE_PATH}`,
      { stdin: postBootScript(), timeoutMs: 60_000 },
    );
    if (upload.exitCode !== 0) throw new Error(`${hostName}: uploading the post-boot script failed: ${upload.stderr.trim()}`);
    progress.host(hostName, "post-boot: installing TLS material, enabling the 2376 listener, reloading the host firewall");
    const bundle = [options.caCertPem, options.server.certPem, options.server.keyPem].map((p) => p.trim()).join("\n") + "\n";
    const stdin = bundle + firewallRulesetBlock(options.firewallRuleset);
    const command = postBootCommand({
      role: options.role,
      listenAddress: options.listenAddress,
      port: options.port ?? 2376,
      sudo,
      scriptPath: POST_BOOT_SCRIPT_REMOTE_PATH,
      firewall: true,
      ...(options.dataVolume ? { dataVolume: options.dataVolume } : {}),
    });
    const result = await sshExec(client, command, { stdin, timeoutMs: 900_000 });
    const parsed = parsePostBootResult(result.stdout);
    if (result.exitCode !== 0 || !parsed) {
      throw new Error(
        `${hostName}: post-boot step failed (exit ${result.exitCode}):\n${(result.stdout + result.stderr).trim().split("\n").slice(-25).join("\n")}`,
      );
    }
    const durationMs = Date.now() - started;
    progress.host(hostName, `post-boot: done in ${(durationMs / 1000).toFixed(1)} s ${JSON.stringify(parsed)}`);
    return { report: parsed, durationMs };
  } finally {
    client.end();
  }
}

/** A booted test host with the cloud-config its user-data was rendered from (its firewall comes from it). */
export type ConfiguredHost = BootedHost & { cloudConfig: HostCloudConfig };

/**
 * {@link runPostBoot} on a local test host, as `up`, a rotation and a firewall change all run it: SSH to the
 * port the engine published on 127.0.0.1, the TLS listener on the host's private IP, the host's own server
 * cert from `tls`, the firewall of its cloud-config.
 */
export function runPostBootOnHost(
  host: ConfiguredHost,
  tls: Pick<LocalDockerTls, "ca" | "servers">,
  login: { username: string; privateKey: string },
  progress: Progress,
): Promise<PostBootResult> {
  return runPostBoot({
    hostName: host.name,
    role: host.role,
    ssh: { host: "127.0.0.1", port: host.sshPort, ...login },
    listenAddress: host.privateIp,
    port: DOCKER_TLS_PORT,
    caCertPem: tls.ca.certPem,
    server: tls.servers[host.name],
    firewallRuleset: firewallRuleset(host.cloudConfig),
    ...(host.cloudConfig.volume ? { dataVolume: host.cloudConfig.volume } : {}),
    progress,
  });
}
