/**
 * The Docker create options of a sandbox container. Security defaults are set explicitly here (not left to the
 * daemon's defaults, which differ between hosts), and asserted by `docker inspect` in the engine tests.
 */
import type Dockerode from "dockerode";
import { EGRESS_NETWORK, EGRESS_PROXY_URL } from "./egress-host";
import type { SandboxProfile } from "./profile";

/**
 * Where a sandbox with an egress policy sends its HTTP(S): the host's proxy. Set for the tools that read it
 * (curl, pip, npm, git, most SDKs); a sandbox that ignores it gets nothing, as the network has no route out.
 */
export function egressProxyEnv(): string[] {
  return ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"].map((name) => `${name}=${EGRESS_PROXY_URL}`);
}

/** The Docker network a sandbox joins: none, the proxied egress network, or the profile's own network. */
export function sandboxNetworkMode(profile: SandboxProfile): string {
  return profile.egress.mode === "none" ? profile.network : EGRESS_NETWORK;
}

export interface ContainerSpecOverrides {
  /** Run the image's own CMD instead of the profile's shell (images without a shell). @default false */
  imageCommand?: boolean;
  /** Extra mounts, e.g. a persistent workspace's data volume (runtime/workspace/). @default [] */
  mounts?: Dockerode.MountSettings[];
  /** Where commands start instead of the profile's workdir tmpfs (a workspace starts in its data volume). */
  workingDir?: string;
}

export function sandboxContainerOptions(
  profile: SandboxProfile,
  labels: Record<string, string>,
  name?: string,
  overrides: ContainerSpecOverrides = {},
): Dockerode.ContainerCreateOptions {
  const useShell = profile.shell !== null && !overrides.imageCommand;
  // Docker mounts tmpfs noexec unless told otherwise; user code is run from the workdir. Note that runc (not
  // runsc) keeps the mode of the image's own directory at the mount point, so a non-root user needs it 1777.
  const tmpfsOptions = (sizeBytes: number) => `rw,exec,nosuid,nodev,size=${sizeBytes},mode=1777`;
  return {
    ...(name ? { name } : {}),
    Image: profile.image,
    // The shell reads the per-command programs from its stdin (the persistent attach stream); Tty off so stdout
    // and stderr stay separate (multiplexed) streams.
    ...(useShell ? { Cmd: [profile.shell as string], Entrypoint: [] } : {}),
    OpenStdin: useShell,
    StdinOnce: false,
    AttachStdin: useShell,
    AttachStdout: useShell,
    AttachStderr: useShell,
    Tty: false,
    User: profile.user,
    WorkingDir: overrides.workingDir ?? profile.workdir.path,
    Env: [...Object.entries(profile.env).map(([k, v]) => `${k}=${v}`), ...(profile.egress.mode === "none" ? [] : egressProxyEnv())],
    Labels: labels,
    NetworkDisabled: sandboxNetworkMode(profile) === "none",
    ExposedPorts: {},
    HostConfig: {
      Runtime: profile.runtime,
      Privileged: false,
      CapDrop: ["ALL"],
      CapAdd: [],
      SecurityOpt: ["no-new-privileges:true"],
      PidsLimit: profile.pidsLimit,
      Memory: profile.memoryBytes,
      MemorySwap: profile.memoryBytes,
      NanoCpus: Math.round(profile.cpus * 1e9),
      ReadonlyRootfs: profile.readOnlyRootfs,
      Tmpfs: {
        [profile.tmpfs.path]: tmpfsOptions(profile.tmpfs.sizeBytes),
        [profile.workdir.path]: tmpfsOptions(profile.workdir.sizeBytes),
      },
      NetworkMode: sandboxNetworkMode(profile),
      // Private namespaces, stated so a daemon default can never turn them into host ones.
      IpcMode: "private",
      PidMode: "",
      UTSMode: "",
      UsernsMode: "",
      Binds: [],
      Mounts: overrides.mounts ?? [],
      Devices: [],
      PortBindings: {},
      PublishAllPorts: false,
      RestartPolicy: { Name: "no" },
      AutoRemove: false,
      // Untrusted output must not fill the host's disk through the json-file log; the pool reads the attach stream.
      LogConfig: { Type: "none", Config: {} },
    },
  };
}
