/**
 * Why a size guard in the core: every cloud caps the user-data it accepts, and a fleet's cloud-config
 * grows with config (pre-pulled images, sandbox DNS, SSH keys, admin ranges). Past the cap the cloud
 * refuses the server at create time, after the rest of the stack exists. The core renders user-data in
 * one place, so it measures it there against the limit each provider states (`ProviderSite.maxUserDataBytes`).
 */

/** Returns `text` when it fits `maxBytes` (UTF-8 bytes as sent); otherwise throws naming what to shorten. */
export function checkUserDataSize(text: string, server: string, provider: string, maxBytes: number | undefined): string {
  if (maxBytes === undefined) return text;
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > maxBytes) {
    throw new Error(
      `sandfleet:docker.prePullImages: the user-data of ${server} is ${bytes} bytes, above the ${maxBytes} bytes ${provider} accepts; ` +
        "pre-pull fewer images (or shorten sandfleet:docker.sandboxDns, sshPublicKeys or adminCidrs)",
    );
  }
  return text;
}
