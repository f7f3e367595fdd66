/**
 * The one way sandfleet writes a systemd unit or drop-in onto a host. Each unit says which source file wrote it
 * and why it exists, so an operator reading `systemctl cat` on a server finds the code behind it.
 */

/** A unit as sections of `Key=value` lines, in order (a key may repeat; an empty value resets a list key). */
export type UnitSections = [section: string, entries: [key: string, value: string][]][];

/**
 * @param writtenBy the source file, relative to the repository root (for example `cloud-init/firewall.ts`)
 * @param why one or more lines on what the unit is for; each becomes a comment line
 */
export function renderUnit(writtenBy: string, why: string, sections: UnitSections): string {
  const [first, ...rest] = why.split("\n");
  const lines = [`# Written by sandfleet (${writtenBy}). ${first}`, ...rest.map((line) => `# ${line}`)];
  for (const [section, entries] of sections) {
    lines.push("", `[${section}]`, ...entries.map(([key, value]) => `${key}=${value}`));
  }
  return lines.join("\n") + "\n";
}
