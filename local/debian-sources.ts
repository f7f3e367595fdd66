/**
 * The apt sources of a test host: the mirrors this machine uses (read from its deb822 file
 * /etc/apt/sources.list.d/debian.sources), pointed at the release the renderer targets. The machine may run
 * an older release (these build machines list only bookworm), but the same mirrors serve every suite.
 */
import { existsSync, readFileSync } from "node:fs";
import { TARGET_DEBIAN } from "../cloud-init/debian-release";

export const MACHINE_DEBIAN_SOURCES = "/etc/apt/sources.list.d/debian.sources";
const DEFAULT_MIRROR = "http://deb.debian.org/debian";
const DEFAULT_SECURITY_MIRROR = "http://deb.debian.org/debian-security";
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

export interface DebianMirrors {
  /** The archive (`<codename>`, `<codename>-updates`). */
  archive: string;
  /** The security archive (`<codename>-security`). */
  security: string;
}

/** The machine's mirrors: the first stanza's `URIs:` for the archive, a `*-security` stanza's for security. */
export function machineDebianMirrors(sourcesPath = MACHINE_DEBIAN_SOURCES): DebianMirrors {
  if (!existsSync(sourcesPath)) return { archive: DEFAULT_MIRROR, security: DEFAULT_SECURITY_MIRROR };
  const stanzas = readFileSync(sourcesPath, "utf8")
    .split(/\n\s*\n/)
    .map((text) => ({ uri: /^URIs:\s*(\S+)/m.exec(text)?.[1], suites: /^Suites:\s*(.+)$/m.exec(text)?.[1].trim().split(/\s+/) ?? [] }))
    .filter((stanza): stanza is { uri: string; suites: string[] } => Boolean(stanza.uri));
  const isSecurity = (stanza: { suites: string[] }) => stanza.suites.some((suite) => suite.endsWith("-security"));
  return {
    archive: stanzas.find((stanza) => !isSecurity(stanza))?.uri ?? DEFAULT_MIRROR,
    security: stanzas.find(isSecurity)?.uri ?? DEFAULT_SECURITY_MIRROR,
  };
}

/** A deb822 sources file for `codename` (default: the renderer's target) on the given mirrors. */
export function debianSourcesFile(mirrors: DebianMirrors, codename: string = TARGET_DEBIAN.codename): string {
  const stanza = (uri: string, suites: string) => `Types: deb\nURIs: ${uri}\nSuites: ${suites}\nComponents: main\nSigned-By: ${KEYRING}\n`;
  return [
    "# Written by sandfleet's test-host image build: this machine's mirrors, the release sandfleet targets.",
    stanza(mirrors.archive, `${codename} ${codename}-updates`),
    stanza(mirrors.security, `${codename}-security`),
  ].join("\n");
}
