/**
 * sshd hardening. sshd keeps the FIRST value it reads for most keywords, and cloud images ship
 * /etc/ssh/sshd_config.d/50-cloud-init.conf (written by cloud-init, `PasswordAuthentication yes` on some
 * images), so our drop-in must sort before it: 00-sandfleet.conf.
 *
 * The algorithm sets are what Debian 13's ssh-audit (3.3) rates neither fail nor warn for Debian 13's OpenSSH
 * (10.0), and what every client sandfleet uses speaks: the OpenSSH client (ML-KEM / sntrup / curve25519), and
 * ssh2, the library behind @pulumi/command and the local post-boot step (curve25519, AES-GCM, ChaCha20,
 * Ed25519). Checked 2026-12-02 against ssh-audit 3.3.0's algorithm database (ssh2_kexdb.py) and measured
 * by test/e2e/host-audit.test.ts.
 */
import type { CloudConfigFragment } from "./fragment";
import type { HostCloudConfig } from "./types";

export const SSHD_DROP_IN = "/etc/ssh/sshd_config.d/00-sandfleet.conf";
/** The only host key: Ed25519 (no NIST curve, no RSA). cloud-init generates just this one (`ssh_genkeytypes`). */
export const SSH_HOST_KEY_TYPE = "ed25519";
export const SSH_HOST_KEY_PATH = `/etc/ssh/ssh_host_${SSH_HOST_KEY_TYPE}_key`;

/**
 * Key exchange: the post-quantum hybrids first (OpenSSH 10's default is ML-KEM), then curve25519 for clients
 * without them (ssh2). No NIST-curve ECDH, no finite-field DH (no moduli file to keep large).
 */
export const SSH_KEX_ALGORITHMS = [
  "mlkem768x25519-sha256",
  "sntrup761x25519-sha512",
  "sntrup761x25519-sha512@openssh.com",
  "curve25519-sha256",
  "curve25519-sha256@libssh.org",
] as const;
/** AEAD ciphers only (no CTR: those need a separate MAC; no CBC). */
export const SSH_CIPHERS = ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com"] as const;
/** Encrypt-then-MAC only, SHA-2 or UMAC-128 (no SHA-1, no UMAC-64, no encrypt-and-MAC). Unused with AEAD ciphers. */
export const SSH_MACS = ["hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com"] as const;
export const SSH_HOST_KEY_ALGORITHMS = ["ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com"] as const;

/** The effective settings, as `sshd -T` prints them (lowercase keys); the tests check these. */
export function sshdSettings(config: Pick<HostCloudConfig, "adminUser" | "role">): [string, string][] {
  return [
    ["HostKey", SSH_HOST_KEY_PATH],
    ["HostKeyAlgorithms", SSH_HOST_KEY_ALGORITHMS.join(",")],
    ["KexAlgorithms", SSH_KEX_ALGORITHMS.join(",")],
    ["Ciphers", SSH_CIPHERS.join(",")],
    ["MACs", SSH_MACS.join(",")],
    ["PasswordAuthentication", "no"],
    ["KbdInteractiveAuthentication", "no"],
    ["PermitEmptyPasswords", "no"],
    ["PubkeyAuthentication", "yes"],
    ["AuthenticationMethods", "publickey"],
    // Root logs in with a key where root is the admin user (Hetzner); otherwise not at all.
    ["PermitRootLogin", config.adminUser === "root" ? "prohibit-password" : "no"],
    // Only the admin user logs in; accounts a package creates never can.
    ["AllowUsers", config.adminUser],
    // The platform is the bastion for workspace servers without a public address: the post-boot step and
    // `ssh -J` reach them through it (direct-tcpip), so it keeps local forwards. Workspace servers forward
    // nothing; a Docker API by hand goes over `docker -H ssh://` (dial-stdio, no forwarding).
    ["AllowTcpForwarding", config.role === "platform" ? "local" : "no"],
    ["AllowAgentForwarding", "no"],
    ["AllowStreamLocalForwarding", "no"],
    ["GatewayPorts", "no"],
    ["PermitTunnel", "no"],
    ["X11Forwarding", "no"],
    ["PermitUserEnvironment", "no"],
    ["Compression", "no"],
    ["IgnoreRhosts", "yes"],
    ["StrictModes", "yes"],
    ["UseDNS", "no"],
    // Key fingerprints of every login in the journal.
    ["LogLevel", "VERBOSE"],
    ["MaxAuthTries", "3"],
    // Sessions per connection: the post-boot step runs one command at a time.
    ["MaxSessions", "2"],
    ["LoginGraceTime", "30"],
    // Dead peers are found by ClientAlive (inside the encrypted channel), not by spoofable TCP keepalives.
    ["TCPKeepAlive", "no"],
    ["ClientAliveInterval", "300"],
    ["ClientAliveCountMax", "2"],
  ];
}

export function sshdFragment(config: HostCloudConfig): CloudConfigFragment {
  const content = [
    "# Written by sandfleet (cloud-init). Key-only SSH, Ed25519 host key, post-quantum/curve25519 key exchange,",
    "# AEAD ciphers and ETM MACs only; no forwarding beyond the platform's bastion hops.",
    "# Named 00-* because sshd keeps the first value it reads and 50-cloud-init.conf may enable passwords.",
    ...sshdSettings(config).map(([key, value]) => `${key} ${value}`),
    "",
  ].join("\n");
  return {
    packages: ["openssh-server"],
    files: [{ path: SSHD_DROP_IN, content, permissions: "0644" }],
    steps: [
      {
        name: "sshd",
        why: "Apply the drop-in now (sshd may have started before it was written); `sshd -t` first so a bad file never locks us out. Host keys other than Ed25519 are removed (an image may ship them).",
        script: `find /etc/ssh -maxdepth 1 -name 'ssh_host_*_key*' ! -name 'ssh_host_${SSH_HOST_KEY_TYPE}_key*' -delete
test -s ${SSH_HOST_KEY_PATH} || ssh-keygen -q -t ${SSH_HOST_KEY_TYPE} -N '' -f ${SSH_HOST_KEY_PATH}
sshd -t
systemctl reload ssh.service`,
      },
    ],
  };
}
