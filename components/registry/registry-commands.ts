/**
 * The shell commands that put the endpoint registry and the pool's client TLS files on the platform server, run
 * over SSH with the content on stdin: by the stack's RegistryDelivery (@pulumi/command) and by `npm start`
 * (local/service.ts). Pure: no @pulumi import.
 */
import { posix } from "node:path";
import { DELIVERED_REGISTRY_PATH } from "../../cloud-init/service-host";

/** Where the platform receives the registry (the sandbox service's units watch this path). */
export const REGISTRY_REMOTE_PATH = DELIVERED_REGISTRY_PATH;
export const CLIENT_TLS_REMOTE_DIR = "/etc/sandfleet/docker-client";

// Written to a temporary file next to the target and renamed, so readers never see half a file.
const writeRegistry = (sudo: string, path = REGISTRY_REMOTE_PATH) =>
  `${sudo}install -d -m 0750 ${posix.dirname(path)} && ` +
  `${sudo}sh -c 'umask 0377 && cat > ${path}.tmp && chmod 0400 ${path}.tmp && mv -f ${path}.tmp ${path}'`;

// stdin: CA, client cert, client key (PEM blocks in that order), split by their BEGIN lines.
const writeClientTls = (sudo: string, dir = CLIENT_TLS_REMOTE_DIR) =>
  `${sudo}install -d -m 0750 ${dir} && ` +
  `${sudo}sh -c 'umask 0377 && cd ${dir} && rm -f ca.pem cert.pem key.pem && ` +
  `awk "/-----BEGIN/{n++} {print > (n==1 ? \\"ca.pem\\" : n==2 ? \\"cert.pem\\" : \\"key.pem\\")}" && ` +
  `chmod 0444 ca.pem cert.pem && chmod 0400 key.pem'`;

/** The shell commands, exported so tests can run them against a temporary directory. */
export const registryDeliveryCommands = { writeRegistry, writeClientTls };

