/**
 * Login policy for people on the host: what lynis (AUTH, SHLL, BANN, KRNL-5820) and the CIS Debian benchmark
 * ask of interactive sessions. sandfleet hosts have no password logins at all (sshd.ts: keys only, accounts
 * locked), so the password rules below guard accounts someone adds by hand later; the session rules (idle
 * timeout, umask, no core dumps, private temp directories) apply to every admin login today.
 */
import type { CloudConfigFragment } from "./fragment";

export const LOGIN_DEFS_PATH = "/etc/login.defs";

/**
 * /etc/login.defs keys, set in place (the package owns the file, so it is edited rather than replaced).
 * SHA_CRYPT_* only matter to accounts hashed with SHA-512; Debian 13 hashes with yescrypt by default.
 */
export const LOGIN_DEFS: Record<string, string> = {
  PASS_MIN_DAYS: "1",
  PASS_MAX_DAYS: "365",
  PASS_WARN_AGE: "14",
  SHA_CRYPT_MIN_ROUNDS: "65536",
  SHA_CRYPT_MAX_ROUNDS: "65536",
  // Files of admin sessions readable by their group only, not by every user.
  UMASK: "027",
  FAILLOG_ENAB: "yes",
};

/** Idle interactive shells end after this many seconds. */
export const SHELL_IDLE_TIMEOUT_SECONDS = 900;

const BANNER = [
  "This system is private property, restricted to authorized users. Access and activity are logged and",
  "monitored; by continuing you consent to this. Unauthorized use is prohibited and may be reported to law",
  "enforcement.",
  "",
].join("\n");

function loginDefsScript(): string {
  // Drop the active line of each key (comments stay), then append ours: one line per key, however often it runs.
  const keys = Object.keys(LOGIN_DEFS).join("|");
  const lines = Object.entries(LOGIN_DEFS).map(([key, value]) => `${key} ${value}`);
  return `sed -i -E '/^(${keys})[[:space:]]/d' ${LOGIN_DEFS_PATH}
printf '%s\\n' ${lines.map((line) => `'${line}'`).join(" ")} >> ${LOGIN_DEFS_PATH}`;
}

export function loginPolicyFragment(): CloudConfigFragment {
  return {
    // libpam-tmpdir: a private $TMPDIR per session; libpam-pwquality: strength rules for any password set later.
    packages: ["libpam-tmpdir", "libpam-pwquality"],
    files: [
      {
        path: "/etc/profile.d/sandfleet-session.sh",
        content: [
          "# Written by sandfleet (cloud-init): idle shells end, and nothing a login runs dumps core.",
          `TMOUT=${SHELL_IDLE_TIMEOUT_SECONDS}`,
          "readonly TMOUT",
          "export TMOUT",
          "ulimit -c 0",
          "",
        ].join("\n"),
        permissions: "0644",
      },
      { path: "/etc/security/limits.d/60-sandfleet-core.conf", content: "# Written by sandfleet (cloud-init): no core dumps from login sessions.\n* soft core 0\n* hard core 0\n", permissions: "0644" },
      {
        path: "/etc/systemd/coredump.conf.d/60-sandfleet.conf",
        content: "# Written by sandfleet (cloud-init): crashing services leave no core files (they may hold keys).\n[Coredump]\nStorage=none\nProcessSizeMax=0\n",
        permissions: "0644",
      },
      { path: "/etc/issue", content: BANNER, permissions: "0644" },
      { path: "/etc/issue.net", content: BANNER, permissions: "0644" },
    ],
    steps: [
      {
        name: "login-policy",
        why: "Password ageing, hashing rounds, umask and failed-login logging in /etc/login.defs (edited in place: the package owns it).",
        script: loginDefsScript(),
      },
    ],
  };
}
