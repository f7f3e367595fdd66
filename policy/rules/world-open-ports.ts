/**
 * No firewall rule may open SSH (22) or the Docker API (2375 plain, 2376 TLS) to the whole internet.
 *
 * SSH belongs to the admin CIDRs and the Docker API to the platform server / private range (DESIGN.md).
 * A world-open 2376 is still guarded by mutual TLS, but every TLS or dockerd bug then becomes
 * internet-reachable; a world-open 22 invites the credential-stuffing that fail2ban only slows down.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { admitsPort, ingressRulesOf, isInternetSource } from "../ingress-rules";

/** TCP ports that must never be reachable from 0.0.0.0/0 or ::/0. */
export const restrictedPorts: readonly number[] = [22, 2375, 2376];

export const noWorldOpenAdminPorts: ResourceValidationPolicy = {
  name: "no-world-open-admin-ports",
  description: "No firewall rule opens SSH (22) or the Docker API (2375/2376) to 0.0.0.0/0 or ::/0.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Restrict the rule's sources: SSH to the stack's admin CIDRs (sandfleet:adminCidrs), the Docker API to the platform server or the private network range.",
  validateResource: (args, reportViolation) => {
    const rules = ingressRulesOf(args.type, args.props);
    if (!rules) return;
    for (const rule of rules) {
      const world = rule.sources.filter(isInternetSource);
      if (world.length === 0) continue;
      for (const port of restrictedPorts) {
        if (!admitsPort(rule, port)) continue;
        reportViolation(
          `${args.name}: ${rule.path} opens TCP port ${port} to ${world.join(", ")}` +
            (rule.sourceNote ? ` (${rule.sourceNote})` : "") +
            `. Limit its sources to the admin CIDRs (22) or the platform server / private range (2376).`,
        );
      }
    }
  },
};
