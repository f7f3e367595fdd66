/**
 * No private key in user-data, on any provider.
 *
 * Providers keep user-data in plain text and serve it on the metadata address (169.254.169.254) for the
 * life of the server (checkov CKV_AWS_46 makes the same point for AWS). sandfleet installs TLS keys after
 * boot over SSH instead (see components/ post-boot step), so a key here is always a regression.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { findPrivateKey } from "../private-key-detection";
import { userDataFieldsOf } from "../user-data";

export const noPrivateKeyInUserData: ResourceValidationPolicy = {
  name: "no-private-key-in-user-data",
  description: "Server user-data (cloud-init, startup scripts, custom data) contains no private key.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Deliver keys after boot (sandfleet's post-boot TLS step over SSH) or from a secret store; keep user-data free of secrets.",
  validateResource: (args, reportViolation) => {
    for (const field of userDataFieldsOf(args.type, args.props)) {
      const found = findPrivateKey(field.value, { base64: field.base64 });
      if (!found) continue;
      const via = found.encodings.length > 0 ? ` (inside ${found.encodings.join(" -> ")})` : "";
      reportViolation(
        `${args.name}: ${field.field} contains a private key (${found.header})${via}. User-data is stored in ` +
          `plain text and served on the metadata address; install keys after boot instead.`,
      );
    }
  },
};
