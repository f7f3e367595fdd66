/**
 * GCP instances block project-wide SSH keys.
 *
 * Without `block-project-ssh-keys`, every key in the project's metadata can log in to every instance, so
 * anyone with a key for some other project VM gets root on the sandbox hosts. sandfleet puts its own keys
 * on the instance; nothing from the project is needed.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { resourceTypes as t } from "../resource-types";

export const BLOCK_PROJECT_SSH_KEYS = "block-project-ssh-keys";

export const gcpBlockProjectSshKeys: ResourceValidationPolicy = {
  name: "gcp-block-project-ssh-keys",
  description: 'GCP instances and instance templates set metadata "block-project-ssh-keys" to "true".',
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: 'Add metadata: { "block-project-ssh-keys": "true" } to the instance (or template).',
  validateResource: (args, reportViolation) => {
    if (args.type !== t.gcp.instance && args.type !== t.gcp.instanceTemplate) return;
    const value = args.props.metadata?.[BLOCK_PROJECT_SSH_KEYS];
    if (String(value ?? "").toLowerCase() === "true") return;
    const now = value === undefined ? "is not set" : `is "${value}"`;
    reportViolation(
      `${args.name}: metadata "${BLOCK_PROJECT_SSH_KEYS}" ${now}, so every project-wide SSH key can log in. Set it to "true".`,
    );
  },
};
