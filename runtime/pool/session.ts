/**
 * What the pool needs from the layers below (runtime/docker, runtime/sandbox), as interfaces, so that the
 * engine can be swapped in tests that must control timing (a create that finishes after its acquire timed
 * out) without sleeping — testcontainers style. Production uses EndpointClient and SandboxSession.
 */
import type Dockerode from "dockerode";
import type { Endpoint, RegistryTls } from "../registry/schema";
import type { ExecOptions, ExecResult } from "../sandbox/exec-contract";
import type { SandboxProfile } from "../sandbox/profile";
import type { EgressPolicy, EgressPolicyInput } from "../sandbox/egress";
import type { EgressDenial } from "../sandbox/egress-host";
import type { Terminal, TerminalOptions } from "../sandbox/terminal";

export type { ExecOptions, ExecResult };

/** One running sandbox container with its exec channel (SandboxSession). */
export interface PoolSession {
  readonly containerId: string;
  readonly endpointId: string;
  readonly usesShellChannel: boolean;
  exec(argv: string[], options?: ExecOptions): Promise<ExecResult>;
  putFile(path: string, content: string | Buffer, options?: { mode?: number }): Promise<void>;
  /** Optional: sessions of test doubles may not have terminals. */
  openTerminal?(options: TerminalOptions): Promise<Terminal>;
  healthy(): boolean;
  /** Replaces a running sandbox's egress policy (within its profile's); sessions without egress may lack it. */
  setEgress?(policy: EgressPolicyInput): Promise<EgressPolicy>;
  /** The egress policy in force (sessions of test doubles may lack it). */
  readonly egressPolicy?: EgressPolicy;
  /** Every egress refusal of the sandbox so far, oldest first. */
  egressDenials?(): Promise<EgressDenial[]>;
  /** True while the channel is being re-attached after its stream was cut (the sandbox is not handed out meanwhile). */
  recovering?(): boolean;
  /** Closes the channel and force-removes the container; idempotent, never throws. */
  destroy(): Promise<void>;
}

/** The Docker calls the pool makes itself (EndpointClient). */
export interface PoolEndpointClient {
  readonly id: string;
  ping(timeoutMs?: number): Promise<void>;
  listContainers(labels: Record<string, string>): Promise<Dockerode.ContainerInfo[]>;
  removeContainer(id: string): Promise<void>;
  close(): void;
}

export interface StartSessionOptions {
  name: string;
  timeoutMs: number;
  /** How long a sandbox whose attach stream is cut tries to re-attach (the pool's endpointOutageGraceMs). */
  reattachTimeoutMs: number;
}

export type StartSession = (
  client: PoolEndpointClient,
  profile: SandboxProfile,
  labels: Record<string, string>,
  options: StartSessionOptions,
) => Promise<PoolSession>;

export interface ClientFactoryOptions {
  callTimeoutMs: number;
}

/** Seams for tests and embedders; every field defaults to the real implementation. */
export interface PoolDependencies {
  startSession?: StartSession;
  remoteClient?: (endpoint: Endpoint, tls: RegistryTls, options: ClientFactoryOptions) => PoolEndpointClient;
  localClient?: (socketPath: string, options: ClientFactoryOptions) => PoolEndpointClient;
  /** Source of SANDFLEET_* variables. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** @default Date.now */
  now?: () => number;
  /** @default Math.random */
  random?: () => number;
}
