/**
 * The post-boot script ends with one line `SANDFLEET_POST_BOOT_OK {json}` once dockerd answers over
 * mutual TLS with runsc as default runtime (workspace). Only servers whose step printed it are listed
 * in the endpoint registry. Pure: no @pulumi import.
 */
import { POST_BOOT_OK_MARKER } from "../../cloud-init/post-boot";

export { POST_BOOT_OK_MARKER };

/** What the script reports; fields beyond `ok` are informative and may grow. */
export interface PostBootReport {
  ok: true;
  [key: string]: unknown;
}

/** The report of the last `SANDFLEET_POST_BOOT_OK` line in `stdout`, or undefined when there is none. */
export function parsePostBootReport(stdout: string | undefined): PostBootReport | undefined {
  if (!stdout) return undefined;
  const lines = stdout.split(/\r?\n/).filter((line) => line.startsWith(`${POST_BOOT_OK_MARKER} `) || line === POST_BOOT_OK_MARKER);
  const last = lines[lines.length - 1];
  if (last === undefined) return undefined;
  const json = last.slice(POST_BOOT_OK_MARKER.length).trim();
  if (!json) return { ok: true };
  try {
    const parsed = JSON.parse(json) as unknown;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? { ...(parsed as object), ok: true } : { ok: true };
  } catch {
    return { ok: true, raw: json };
  }
}
