/**
 * Port 2375 (the Docker API without TLS) must not be opened by any rule, from any source.
 *
 * Whoever reaches an unauthenticated Docker API is root on the host, and the private network is no
 * boundary on Hetzner (its firewalls do not filter private traffic). sandfleet's daemons listen on 2376
 * with tlsverify only, so a rule admitting 2375 is either a mistake or a port range wider than needed;
 * that includes "all ports" rules, which is why peers-only rules (security-group references, tags) count too.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { admitsPort, ingressRulesOf } from "../ingress-rules";

export const PLAINTEXT_DOCKER_PORT = 2375;

export const noPlaintextDockerPort: ResourceValidationPolicy = {
  name: "no-plaintext-docker-port",
  description: "No firewall rule admits TCP 2375 (the Docker API without TLS), from any source.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Open only the ports you need, e.g. 2376 (Docker API with mutual TLS) instead of a range or an all-ports rule that includes 2375.",
  validateResource: (args, reportViolation) => {
    const rules = ingressRulesOf(args.type, args.props);
    if (!rules) return;
    for (const rule of rules) {
      if (!admitsPort(rule, PLAINTEXT_DOCKER_PORT)) continue;
      const from = rule.sources.length > 0 ? rule.sources.join(", ") : "its peers";
      reportViolation(
        `${args.name}: ${rule.path} admits TCP port 2375 (Docker API without TLS) from ${from}. ` +
          `List only the ports you need (2376 for the Docker API with TLS) instead.`,
      );
    }
  },
};
