/**
 * `sandfleet:post-boot:HostReadiness`: waits, over SSH, until a server's cloud-init has finished and dockerd
 * answers with runsc registered; fails the deployment when cloud-init failed.
 *
 * Why: the platform server gets no Docker TLS listener, so no PostBootStep ever waited for it; a platform
 * whose cloud-init failed still received the registry and `pulumi up` reported success. This runs the same
 * post-boot script in its `--wait-only` mode (no key material, no listener), and steps that
 * need a ready host (the registry delivery) depend on it.
 *
 * It also re-delivers the host firewall (user-data's copy is read only at creation): the ruleset goes to stdin
 * and its digest is a trigger, so a changed `adminCidrs` reloads the platform's nftables too. Not a secret.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { firewallRulesetBlock, POST_BOOT_SCRIPT_REMOTE_PATH, postBootWaitCommand } from "../../cloud-init";
import { copyPostBootScript, postBootScriptDigest, triggerDigest } from "./post-boot-script";
import { parsePostBootReport, type PostBootReport } from "./report";

export interface HostReadinessArgs {
  /** Role of the server: a workspace server must also have runsc as its default runtime. */
  readonly role: "platform" | "workspace";
  /** SSH connection (secret: holds the deploy key); see `sshConnection()`. */
  readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
  /** Log in as root? Otherwise the script runs through `sudo -n`. */
  readonly sudo: boolean;
  /** The host's nftables ruleset, `firewallRuleset()` of the config its user-data was rendered from. */
  readonly firewallRuleset: pulumi.Input<string>;
  /** The data volume of the host's config: checked mounted from its device and grown, as in PostBootStep. @default none */
  readonly dataVolume?: pulumi.Input<{ device: string; mountPoint: string } | undefined>;
  /**
   * Values whose change re-runs the check, e.g. the server's id so that a replaced server is waited for
   * again. @default [] (only a changed script re-runs it)
   */
  readonly triggers?: pulumi.Input<string>[];
  /** Resources that must exist first: the server, its volume attachment, its IP assignment. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class HostReadiness extends pulumi.ComponentResource {
  public readonly copyScript: command.remote.CopyToRemote;
  /** The check itself: what later steps depend on. */
  public readonly run: command.remote.Command;
  /** The success report (defaultRuntime, serverVersion), or undefined when the script did not print it. */
  public readonly report: pulumi.Output<PostBootReport | undefined>;

  constructor(name: string, args: HostReadinessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sandfleet:post-boot:HostReadiness", name, {}, opts);
    // The same triggers copy the script again: a replaced server starts without it.
    this.copyScript = copyPostBootScript(name, args.connection, args.dependsOn, this, args.triggers);
    this.run = new command.remote.Command(
      `${name}-run`,
      {
        connection: args.connection,
        create: pulumi
          .output(args.dataVolume)
          .apply((dataVolume) =>
            postBootWaitCommand({ role: args.role, sudo: args.sudo, scriptPath: POST_BOOT_SCRIPT_REMOTE_PATH, firewall: true, ...(dataVolume ? { dataVolume } : {}) }),
          ),
        stdin: pulumi.output(args.firewallRuleset).apply(firewallRulesetBlock),
        triggers: [postBootScriptDigest(), ...(args.triggers ?? []), triggerDigest(args.firewallRuleset)],
        // A failed cloud-init shows its status in `pulumi up`'s output.
        logging: "stdoutAndStderr",
      },
      { parent: this, dependsOn: [this.copyScript] },
    );
    this.report = this.run.stdout.apply(parsePostBootReport);
    this.registerOutputs({ copyScript: this.copyScript, run: this.run, report: this.report });
  }
}
