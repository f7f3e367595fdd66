/**
 * Copying the post-boot script to a host: shared by the TLS step (PostBootStep) and the readiness check
 * (HostReadiness), which run the same file in its two modes.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { POST_BOOT_SCRIPT_LOCAL_PATH, POST_BOOT_SCRIPT_REMOTE_PATH } from "../../cloud-init";

/** The sha256 of a trigger value: triggers are kept in plain text in the state, so only digests go there. */
export function triggerDigest(value: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.unsecret(pulumi.output(value).apply((v) => createHash("sha256").update(v).digest("hex")));
}

let scriptDigestCache: string | undefined;
/** Digest of the script's content: a changed script re-runs the steps that use it everywhere. */
export function postBootScriptDigest(): string {
  scriptDigestCache ??= createHash("sha256").update(readFileSync(POST_BOOT_SCRIPT_LOCAL_PATH)).digest("hex");
  return scriptDigestCache;
}

/**
 * What makes a replaced server go through the script again: its provider id (a new server, a new id), even
 * when it keeps its addresses, so the connection alone would not tell. A dependency does not re-run a
 * command; a trigger does. Empty for a server that is not a provider resource (the local fleet's).
 */
export function serverIdentity(server: pulumi.Resource): pulumi.Input<string>[] {
  return pulumi.CustomResource.isInstance(server) ? [server.id] : [];
}

/**
 * A `CopyToRemote` of the script to {@link POST_BOOT_SCRIPT_REMOTE_PATH}, named `<name>-script`; `triggers`
 * (e.g. {@link serverIdentity}) copy it again, as a replaced server starts without it.
 */
export function copyPostBootScript(
  name: string,
  connection: pulumi.Input<command.types.input.remote.ConnectionArgs>,
  dependsOn: pulumi.Input<pulumi.Resource>[],
  parent: pulumi.Resource,
  triggers: pulumi.Input<string>[] = [],
): command.remote.CopyToRemote {
  return new command.remote.CopyToRemote(
    `${name}-script`,
    {
      connection,
      source: new pulumi.asset.FileAsset(POST_BOOT_SCRIPT_LOCAL_PATH),
      remotePath: POST_BOOT_SCRIPT_REMOTE_PATH,
      triggers: [postBootScriptDigest(), ...triggers],
    },
    { parent, dependsOn },
  );
}
