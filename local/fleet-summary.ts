/**
 * The host lines of `npm start`'s summary. Only what a user can reach is printed: the Docker port is shown
 * for workspace hosts, whose host firewall admits Docker API clients from the fleet's network (where the
 * published port arrives from); the platform's firewall admits none (`dockerApiSources: []`), so a client
 * dialling its published port would hang in the TLS handshake, and the summary does not offer it.
 */
import type { FleetHost } from "./fleet";

type SummaryHost = Pick<FleetHost, "name" | "role" | "privateIp" | "sshPort" | "dockerPort" | "defaultRuntime"> & {
  cloudInit: Pick<FleetHost["cloudInit"], "durationMs">;
};

export function hostSummaryLine(host: SummaryHost): string {
  const docker = host.role === "workspace" ? `docker 127.0.0.1:${host.dockerPort}` : "docker API closed (platform)";
  return (
    `  ${host.name.padEnd(11)} ${host.role.padEnd(9)} ${host.privateIp.padEnd(12)} ssh 127.0.0.1:${host.sshPort}  ${docker}  ` +
    `cloud-init ${(host.cloudInit.durationMs / 1000).toFixed(0)} s  default runtime ${host.defaultRuntime}`
  );
}
