/**
 * `sandfleet:post-boot:PostBootStep`: installs a server's Docker TLS material after boot, over SSH, and
 * re-delivers its host firewall.
 *
 * Why not cloud-init: user-data is plain text at the provider and on the metadata address, so private
 * keys never go there. Instead this step copies the post-boot script (the same file the `local`
 * provider runs) and runs it with the PEM bundle (CA cert, server cert, server key) on stdin, as a
 * secret: never in the command string, which providers log and state keeps in plain text (pulumi#13286).
 * The script waits for `cloud-init status --wait`, installs the files, turns on the TLS listener on the
 * private address (and the public one of a cross-provider server whose public IP is on an interface) and checks that dockerd answers with runsc as default runtime; its last line
 * (`SANDFLEET_POST_BOOT_OK {...}`) is what admits the server to the endpoint registry.
 *
 * The host firewall: user-data's nftables file is read once, at creation (providers ignore later user-data),
 * so the step also sends the ruleset rendered now from the same config (stdin, after the PEMs) and the script
 * checks and reloads it. Its digest is a trigger: a changed `adminCidrs`, Docker API source or replaced
 * platform IP re-runs the step on every host whose ruleset it changes, and only there.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { DOCKER_TLS_PORT, firewallRulesetBlock, POST_BOOT_SCRIPT_REMOTE_PATH, postBootCommand } from "../../cloud-init";
import { copyPostBootScript, postBootScriptDigest, serverIdentity, triggerDigest } from "./post-boot-script";
import { parsePostBootReport, type PostBootReport } from "./report";

export interface PostBootStepArgs {
  /** Role of the server; workspace servers get the Docker TLS listener. */
  readonly role: "platform" | "workspace";
  /** SSH connection (secret: holds the deploy key); see `sshConnection()`. */
  readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
  /** The server's private IPv4: the TLS listener binds to it. */
  readonly listenAddress: pulumi.Input<string>;
  /**
   * More addresses to listen on: the public IPv4 of a server dialled over it from another cloud, when the
   * provider puts that address on an interface (`ProviderSite.publicIpOnInterface`). @default []
   */
  readonly extraListenAddresses?: pulumi.Input<string>[];
  /** CA cert, server cert and server key, PEM, in that order (secret). */
  readonly tlsBundle: pulumi.Input<string>;
  /** The host's nftables ruleset, `firewallRuleset()` of the config its user-data was rendered from. */
  readonly firewallRuleset: pulumi.Input<string>;
  /**
   * The data volume of the host's config: the step fails unless it is mounted from its device, and grows its
   * filesystem (put the volume's size among `triggers` so that growing it re-runs the step). @default none
   */
  readonly dataVolume?: pulumi.Input<{ device: string; mountPoint: string } | undefined>;
  /** Log in as root? Otherwise the script runs through `sudo -n`. */
  readonly sudo: boolean;
  /**
   * Values whose change re-runs the step (certificate PEMs, rotation epoch); only digests of them are
   * stored, since triggers are kept in plain text.
   */
  readonly triggers: pulumi.Input<string>[];
  /**
   * The server the step configures: its id is a trigger, so a replaced server gets its TLS again even when
   * it keeps its addresses and certificate (an Azure VM with its static IPs, `pulumi up --replace`).
   */
  readonly server: pulumi.Resource;
  /** Resources that must exist first: the server, its volume attachment, its IP assignment. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
  /**
   * Steps that must have run (and succeeded) before this one restarts dockerd: the previous rollout wave of
   * the same pool (see `rollout-waves.ts`). Only the run waits; the script copy does not restart anything.
   * @default [] (runs as soon as its own server is ready)
   */
  readonly after?: readonly PostBootStep[];
}

export class PostBootStep extends pulumi.ComponentResource {
  public readonly copyScript: command.remote.CopyToRemote;
  public readonly run: command.remote.Command;
  /** The script's output (no secrets: the script never prints key material). */
  public readonly stdout: pulumi.Output<string>;
  /** The success report, or undefined when the script did not print it. */
  public readonly report: pulumi.Output<PostBootReport | undefined>;

  constructor(name: string, args: PostBootStepArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sandfleet:post-boot:PostBootStep", name, {}, opts);
    const server = serverIdentity(args.server);
    const triggers = [postBootScriptDigest(), ...server, ...args.triggers.map(triggerDigest), triggerDigest(args.firewallRuleset)];
    this.copyScript = copyPostBootScript(name, args.connection, args.dependsOn, this, server);
    this.run = new command.remote.Command(
      `${name}-run`,
      {
        connection: args.connection,
        create: pulumi.all([args.listenAddress, pulumi.all(args.extraListenAddresses ?? []), args.dataVolume]).apply(([listenAddress, extraListenAddresses, dataVolume]) =>
          postBootCommand({
            role: args.role,
            listenAddress,
            extraListenAddresses,
            port: DOCKER_TLS_PORT,
            sudo: args.sudo,
            scriptPath: POST_BOOT_SCRIPT_REMOTE_PATH,
            firewall: true,
            ...(dataVolume ? { dataVolume } : {}),
          }),
        ),
        stdin: pulumi.secret(pulumi.all([args.tlsBundle, args.firewallRuleset]).apply(([bundle, ruleset]) => bundle + firewallRulesetBlock(ruleset))),
        triggers,
        // Keep a failed step's output visible in `pulumi up`, without key material (only stdin holds it).
        logging: "stdoutAndStderr",
      },
      { parent: this, dependsOn: [this.copyScript, ...(args.after ?? []).map((step) => step.run)], additionalSecretOutputs: ["stdin"] },
    );
    this.stdout = this.run.stdout;
    this.report = this.run.stdout.apply(parsePostBootReport);
    this.registerOutputs({ copyScript: this.copyScript, run: this.run, stdout: this.stdout, report: this.report });
  }
}

/** A stdin bundle of PEMs in order (CA, cert, key), as the post-boot script and the registry delivery read it. Secret. */
export function tlsBundle(caCertPem: pulumi.Input<string>, certPem: pulumi.Input<string>, keyPem: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.all([caCertPem, certPem, keyPem]).apply((pems) => pems.map((pem) => pem.trim() + "\n").join("")),
  );
}
