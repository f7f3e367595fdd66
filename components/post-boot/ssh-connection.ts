/**
 * SSH connection settings for @pulumi/command steps on fresh servers: straight to the public address,
 * or through the platform server as bastion when the server has none.
 */
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

type ConnectionArgs = command.types.input.remote.ConnectionArgs;

/**
 * remote.Command dials again at once after a failure (pulumi-command#1238); a fresh server needs a
 * minute or two before sshd and the login user exist, so allow many attempts with a bounded dial time.
 */
export const FRESH_SERVER_DIAL_ERROR_LIMIT = 120;
export const PER_DIAL_TIMEOUT_SECONDS = 15;

export interface SshTarget {
  /** Address to dial (public IP, or private IP when going through the bastion). */
  host: pulumi.Input<string>;
  user: string;
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
}

/** Connection for a remote step; the whole value is secret because it holds the deploy key. */
export function sshConnection(args: SshConnectionArgs): pulumi.Output<ConnectionArgs> {
  return pulumi.secret(
    pulumi
      .all([args.publicIp, args.privateIp, args.privateKey, args.bastion?.host])
      .apply(([publicIp, privateIp, privateKey, bastionHost]): ConnectionArgs => {
        const common = { privateKey, dialErrorLimit: FRESH_SERVER_DIAL_ERROR_LIMIT, perDialTimeout: PER_DIAL_TIMEOUT_SECONDS };
        if (publicIp) return { host: publicIp, user: args.user, ...common };
        if (!bastionHost || !args.bastion) {
          throw new Error(`server ${privateIp} has no public address and no bastion; give the platform server a public address`);
        }
        return { host: privateIp, user: args.user, ...common, proxy: { host: bastionHost, user: args.bastion.user, ...common } };
      }),
  );
}
