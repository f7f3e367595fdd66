/**
 * The provider-neutral firewall intent: which ports admit which sources, and the checks that keep SSH
 * and the Docker API off the internet. No provider and no Pulumi import: providers map these rules to
 * their own resources (components/<provider>/*-rules.ts).
 */
export { DOCKER_PLAIN_PORT, DOCKER_TLS_PORT, NEVER_PUBLIC_PORTS, SSH_PORT } from "./ports";
export { coversWholeInternet, isIpv6, toCidr, toCidrs, WHOLE_INTERNET } from "./cidr";
export { checkAdminCidrs, checkDockerApiSources, checkLoadBalancerSources, checkServedPort } from "./checks";
export {
  describePort,
  platformIngress,
  workspaceIngress,
  type IngressPeer,
  type IngressRule,
  type IngressRuleName,
  type LoadBalancerIngress,
  type PlatformIngressOptions,
  type WorkspaceIngressOptions,
} from "./rules";
