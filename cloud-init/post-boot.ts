/**
 * The post-boot step: the only place private key material reaches a host. Both deploy paths (the cloud
 * path with @pulumi/command, the `local` provider with ssh2) copy `post-boot/install-docker-tls.sh` to
 * {@link POST_BOOT_SCRIPT_REMOTE_PATH}, run {@link postBootCommand} over SSH and write the PEM bundle
 * (CA cert, server cert, server key) to its stdin. Success ends with one line:
 * `SANDFLEET_POST_BOOT_OK {"defaultRuntime":"runsc","serverVersion":"...","tlsListener":"10.0.1.10:2376","tlsListeners":[...]}`.
 *
 * With `firewall: true` both modes also re-deliver the host's nftables ruleset, framed by
 * {@link firewallRulesetBlock} as the last block on stdin: providers read user-data only at creation, so this
 * step is how a changed `adminCidrs` or Docker API source reaches hosts that already exist.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isIPv4 } from "node:net";
import { CloudConfigInputError } from "./errors";
import { shellJoin } from "./shell";
import type { HostRole } from "./types";

/** Created by cloud-init (bootcmd), writable by root and members of `sudo`. */
export const SANDFLEET_STATE_DIR = "/var/lib/sandfleet";
/** Where deploys copy the post-boot script on the host. */
export const POST_BOOT_SCRIPT_REMOTE_PATH = `${SANDFLEET_STATE_DIR}/install-docker-tls.sh`;
/** The script on this machine (it ships with the package, next to this file). */
export const POST_BOOT_SCRIPT_LOCAL_PATH = join(__dirname, "post-boot", "install-docker-tls.sh");
/** The armour of the ruleset block on the script's stdin (`-----BEGIN <type>-----`), after any PEM blocks. */
export const FIREWALL_RULESET_BLOCK_TYPE = "SANDFLEET NFTABLES RULESET";

/**
 * The host's nftables ruleset (`firewallRuleset()` in firewall.ts, the renderer user-data's copy comes from)
 * framed for the script's stdin. The script strips the two armour lines and loads what is between them.
 */
export function firewallRulesetBlock(ruleset: string): string {
  if (ruleset.includes("-----")) {
    throw new CloudConfigInputError("firewallRuleset", "must not contain '-----', which frames blocks on the post-boot script's stdin.");
  }
  const body = ruleset.endsWith("\n") ? ruleset : `${ruleset}\n`;
  return `-----BEGIN ${FIREWALL_RULESET_BLOCK_TYPE}-----\n${body}-----END ${FIREWALL_RULESET_BLOCK_TYPE}-----\n`;
}

/** Prefix of the script's last line on success; JSON follows after one space. */
export const POST_BOOT_OK_MARKER = "SANDFLEET_POST_BOOT_OK";

/** The contents of the post-boot script. */
export function postBootScript(): string {
  return readFileSync(POST_BOOT_SCRIPT_LOCAL_PATH, "utf8");
}

export interface PostBootWaitCommandArgs {
  role: HostRole;
  /** Run through `sudo -n` (admin users other than root). */
  sudo: boolean;
  /** Where the script was copied, usually {@link POST_BOOT_SCRIPT_REMOTE_PATH}. */
  scriptPath: string;
  /**
   * Re-deliver and reload the host firewall: stdin then ends with {@link firewallRulesetBlock} (and holds only
   * that block in the wait-only form). @default false
   */
  firewall?: boolean;
  /**
   * The data volume user-data mounts (`HostCloudConfig.volume`): the step fails unless it is mounted from its
   * device (a volume missing at boot must not leave Docker's data on the root disk), then grows its filesystem
   * to the device's size (a grown `volumeGb`). @default none
   */
  dataVolume?: { device: string; mountPoint: string };
}

export interface PostBootCommandArgs extends PostBootWaitCommandArgs {
  /** The host's PRIVATE address the mTLS listener binds to; never 0.0.0.0. */
  listenAddress: string;
  /**
   * More addresses of the host to listen on, e.g. the public IPv4 of a server dialled from another cloud when
   * that address is on an interface (Hetzner); never 0.0.0.0. The host firewall still admits 2376 only from
   * the pool's sources. @default []
   */
  extraListenAddresses?: string[];
  port: number;
}

/** The command line that runs the script on the host. Contains no secret: the PEMs go to stdin. */
export function postBootCommand(args: PostBootCommandArgs): string {
  checkRole(args.role);
  if (!isIPv4(args.listenAddress) || args.listenAddress === "0.0.0.0") {
    throw new CloudConfigInputError("listenAddress", `"${args.listenAddress}" must be the host's private IPv4 address (never 0.0.0.0).`);
  }
  const extra = args.extraListenAddresses ?? [];
  extra.forEach((address, i) => {
    if (!isIPv4(address) || address === "0.0.0.0") {
      throw new CloudConfigInputError(`extraListenAddresses[${i}]`, `"${address}" must be an IPv4 address of the host (never 0.0.0.0).`);
    }
  });
  const listenAddresses = [...new Set([args.listenAddress, ...extra])];
  if (!Number.isInteger(args.port) || args.port < 1 || args.port > 65535) {
    throw new CloudConfigInputError("port", `${args.port} is not a TCP port (1-65535).`);
  }
  return scriptCommandLine(args, [...listenAddresses.flatMap((a) => ["--listen-address", a]), "--port", String(args.port)]);
}

/**
 * The command line of the readiness check (`--wait-only`): the same script, without TLS material and
 * without a listener. It waits for cloud-init (failing on a failed run, like the TLS step), checks that
 * dockerd answers on its socket with runsc registered, and prints the success line. For the platform
 * server, which needs no Docker TLS listener but must be ready before the registry is delivered to it.
 * With `firewall: true` it also loads the ruleset given on stdin.
 */
export function postBootWaitCommand(args: PostBootWaitCommandArgs): string {
  checkRole(args.role);
  return scriptCommandLine(args, ["--wait-only"]);
}

function checkRole(role: HostRole): void {
  if (role !== "platform" && role !== "workspace") {
    throw new CloudConfigInputError("role", `"${String(role)}" is not one of "platform", "workspace".`);
  }
}

/** `bash <script> --role <role> <modeArgs>`, through `sudo -n` when asked: what both modes share. */
function scriptCommandLine(args: PostBootWaitCommandArgs, modeArgs: string[]): string {
  if (!args.scriptPath || /[\0\n]/.test(args.scriptPath)) {
    throw new CloudConfigInputError("scriptPath", "must be the path the script was copied to.");
  }
  const volume = args.dataVolume;
  if (volume) {
    for (const [key, path] of Object.entries({ device: volume.device, mountPoint: volume.mountPoint })) {
      if (!path.startsWith("/") || /[\0\n]/.test(path)) throw new CloudConfigInputError(`dataVolume.${key}`, `"${path}" must be an absolute path.`);
    }
  }
  const argv = [
    "bash",
    args.scriptPath,
    "--role",
    args.role,
    ...modeArgs,
    ...(args.firewall ? ["--firewall"] : []),
    ...(volume ? ["--data-device", volume.device, "--data-mount", volume.mountPoint] : []),
  ];
  return shellJoin(args.sudo ? ["sudo", "-n", ...argv] : argv);
}

/** Parses the script's final line; undefined when the output has no success marker. */
export function parsePostBootResult(
  output: string,
):
  | {
      defaultRuntime: string;
      serverVersion: string;
      tlsListener?: string;
      tlsListeners?: string[];
      firewallSha256?: string;
      dataVolume?: { mount: string; sizeBytes: number };
    }
  | undefined {
  const line = output
    .split("\n")
    .reverse()
    .find((l) => l.startsWith(`${POST_BOOT_OK_MARKER} `));
  if (!line) return undefined;
  return JSON.parse(line.slice(POST_BOOT_OK_MARKER.length + 1));
}
