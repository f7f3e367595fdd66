/**
 * The provider-neutral core of sandfleet. Provider implementations live in their own folders
 * (components/hetzner, components/aws, ...) and are picked by stacks/providers.ts.
 */
export * from "./fleet";
export { DockerTls, type DockerTlsArgs, type DockerTlsServer } from "./tls/docker-tls";
export { dockerTlsProfile, serverCertSubjectAltNames } from "./tls/profile";
export * from "./post-boot";
export * from "./registry";
export * from "./dns";
export type * from "./provider";
