/**
 * Copying the post-boot script to a host: shared by the TLS step (PostBootStep) and the readiness check
 * (HostReadiness), which run the same file in its two modes.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { POST_BOOT_SCRIPT_LOCAL_PATH, POST_BOOT_SCRIPT_REMOTE_PATH } from "../../cloud-init";

let scriptDigestCache: string | undefined;
/** Digest of the script's content: a changed script re-runs the steps that use it everywhere. */
export function postBootScriptDigest(): string {
  scriptDigestCache ??= createHash("sha256").update(readFileSync(POST_BOOT_SCRIPT_LOCAL_PATH)).digest("hex");
  return scriptDigestCache;
}

/** A `CopyToRemote` of the script to {@link POST_BOOT_SCRIPT_REMOTE_PATH}, named `<name>-script`. */
export function copyPostBootScript(
  name: string,
  connection: pulumi.Input<command.types.input.remote.ConnectionArgs>,
  dependsOn: pulumi.Input<pulumi.Resource>[],
  parent: pulumi.Resource,
): command.remote.CopyToRemote {
  return new command.remote.CopyToRemote(
    `${name}-script`,
    {
      connection,
      source: new pulumi.asset.FileAsset(POST_BOOT_SCRIPT_LOCAL_PATH),
      remotePath: POST_BOOT_SCRIPT_REMOTE_PATH,
      triggers: [postBootScriptDigest()],
    },
    { parent, dependsOn },
  );
}
