/**
 * SSH connection settings for @pulumi/command steps on fresh servers: straight to the public address,
 * through the platform server when the server has none, and through the deployer's jump host
 * (`sandfleet:ssh.bastion`) when `pulumi up` runs somewhere whose address is not in adminCidrs (a hosted CI runner).
 *
 * What must reach what: without a jump host, the machine running `pulumi up` dials every server's port 22
 * (so its address must be in adminCidrs). With one, only the jump host does (its fixed address must be in
 * adminCidrs, for the cloud firewall and for the host firewall baked into user-data at creation), and the machine
 * running `pulumi up` needs only the jump host's SSH port.
 */
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

type ConnectionArgs = command.types.input.remote.ConnectionArgs;
type ProxyConnectionArgs = command.types.input.remote.ProxyConnectionArgs;

/**
 * remote.Command dials again at once after a failure (pulumi-command#1238); a fresh server needs a
 * minute or two before sshd and the login user exist, so allow many attempts with a bounded dial time.
 * Worst case for a server that never answers (e.g. the dialling address is not admitted, so its packets are
 * dropped): 120 attempts x 15 s = 30 minutes before the step fails.
 */
export const FRESH_SERVER_DIAL_ERROR_LIMIT = 120;
export const PER_DIAL_TIMEOUT_SECONDS = 15;
/**
 * The jump host is long-lived, so failing to reach it is not a boot delay: give up after 4 attempts
 * (about a minute) instead of the fresh servers' 30. @pulumi/command 1.2.1 counts the hop to the proxy
 * (`proxy.dialErrorLimit`) apart from the dials from it to the server (the connection's own limit).
 */
export const JUMP_HOST_DIAL_ERROR_LIMIT = 4;

export interface SshTarget {
  /** Address to dial (public IP, or private IP when going through the platform server). */
  host: pulumi.Input<string>;
  user: string;
}

/** The deployer's jump host (`sandfleet:ssh.bastion`); every step's connection goes through it. */
export interface JumpHost {
  host: string;
  /** @default 22 */
  port?: number;
  user: string;
  /** Key for the jump host (secret). @default the deploy key */
  privateKey?: pulumi.Input<string>;
  /** The jump host's public host key (`ssh-ed25519 AAAA...`), checked on every connection. @default not checked */
  hostKey?: string;
  /**
   * The jump host can reach the fleet's private network (it sits in it, or behind a VPN / peering), so servers
   * without a public address are dialled on their private address through it. @default false
   */
  reachesPrivateNetwork?: boolean;
}

export interface SshConnectionArgs {
  /** Public address, when the server has one. */
  publicIp: pulumi.Input<string | undefined>;
  privateIp: pulumi.Input<string>;
  user: string;
  /** Deploy key (secret). */
  privateKey: pulumi.Input<string>;
  /** Hop used when the server has no public address (the platform server). */
  bastion?: SshTarget;
  /** The deployer's jump host, when `pulumi up` runs from outside adminCidrs. */
  jumpHost?: JumpHost;
}

/** Connection for a remote step; the whole value is secret because it holds the deploy key. */
export function sshConnection(args: SshConnectionArgs): pulumi.Output<ConnectionArgs> {
  return pulumi.secret(
    pulumi
      .all([args.publicIp, args.privateIp, args.privateKey, args.bastion?.host, args.jumpHost?.privateKey])
      .apply(([publicIp, privateIp, privateKey, bastionHost, jumpHostKey]) =>
        resolveSshConnection({
          publicIp,
          privateIp,
          user: args.user,
          privateKey,
          ...(args.bastion && bastionHost ? { bastion: { host: bastionHost, user: args.bastion.user } } : {}),
          ...(args.jumpHost ? { jumpHost: { ...args.jumpHost, privateKey: jumpHostKey } } : {}),
        }),
      ),
  );
}

/** {@link SshConnectionArgs} with every input resolved. */
export interface ResolvedSshConnectionArgs {
  publicIp: string | undefined;
  privateIp: string;
  user: string;
  privateKey: string;
  bastion?: { host: string; user: string };
  jumpHost?: Omit<JumpHost, "privateKey"> & { privateKey?: string };
}

/** How one server is dialled, once its addresses are known; throws (failing the step with the fix) when it cannot be. */
export function resolveSshConnection(args: ResolvedSshConnectionArgs): ConnectionArgs {
  const { publicIp, privateIp, privateKey } = args;
  const common = { privateKey, dialErrorLimit: FRESH_SERVER_DIAL_ERROR_LIMIT, perDialTimeout: PER_DIAL_TIMEOUT_SECONDS };
  const jump = args.jumpHost;
  if (jump) {
    const proxy: ProxyConnectionArgs = {
      host: jump.host,
      port: jump.port ?? 22,
      user: jump.user,
      privateKey: jump.privateKey ?? privateKey,
      dialErrorLimit: JUMP_HOST_DIAL_ERROR_LIMIT,
      perDialTimeout: PER_DIAL_TIMEOUT_SECONDS,
      ...(jump.hostKey ? { hostKey: jump.hostKey } : {}),
    };
    if (publicIp) return { host: publicIp, user: args.user, ...common, proxy };
    if (jump.reachesPrivateNetwork) return { host: privateIp, user: args.user, ...common, proxy };
    // @pulumi/command's proxy is one hop: jump host -> platform server -> server would be two.
    throw new Error(
      `server ${privateIp} has no public address, so only the platform server reaches it, and sandfleet:ssh.bastion ` +
        `cannot chain a second hop; give the servers public addresses, set sandfleet:ssh.bastion.reachesPrivateNetwork: true ` +
        `if the jump host is in (or peered with) the private network, or run pulumi up from inside adminCidrs without ssh.bastion`,
    );
  }
  if (publicIp) return { host: publicIp, user: args.user, ...common };
  if (!args.bastion) {
    throw new Error(`server ${privateIp} has no public address and no bastion; give the platform server a public address`);
  }
  return { host: privateIp, user: args.user, ...common, proxy: { host: args.bastion.host, user: args.bastion.user, ...common } };
}
