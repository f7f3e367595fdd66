/**
 * Hetzner label rules: keys are `[prefix/]name` (prefix a DNS subdomain up to 253 chars, name up to 63),
 * values up to 63 chars; names and values start and end with an alphanumeric and may contain `-_.`
 * in between; values may be empty. The API rejects anything else at `pulumi up`, long after preview,
 * so labels are sanitised here instead of failing late.
 */
const maxNameLength = 63;
const maxPrefixLength = 253;

function sanitizeSegment(raw: string, maxLength: number, inner: RegExp): string {
  const replaced = raw.replace(inner, "-").slice(0, maxLength);
  return replaced.replace(/^[^A-Za-z0-9]+/, "").replace(/[^A-Za-z0-9]+$/, "");
}

/** A valid Hetzner label value for `raw` (characters outside the alphabet become `-`, cut to 63). */
export function sanitizeLabelValue(raw: string): string {
  return sanitizeSegment(raw, maxNameLength, /[^A-Za-z0-9_.-]/g);
}

/** A valid Hetzner label key for `raw`, keeping a DNS-like prefix before `/` when there is one. */
export function sanitizeLabelKey(raw: string): string {
  const slash = raw.lastIndexOf("/");
  const name = sanitizeSegment(raw.slice(slash + 1), maxNameLength, /[^A-Za-z0-9_.-]/g);
  if (slash < 0) return name;
  const prefix = sanitizeSegment(raw.slice(0, slash).toLowerCase(), maxPrefixLength, /[^a-z0-9.-]/g);
  return prefix ? `${prefix}/${name}` : name;
}

/** Sanitises every key and value; later entries win when two keys sanitise to the same key. Empty keys are dropped. */
export function hetznerLabels(...sources: Record<string, string | undefined>[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const source of sources) {
    for (const [rawKey, rawValue] of Object.entries(source)) {
      if (rawValue === undefined) continue;
      const key = sanitizeLabelKey(rawKey);
      if (key) labels[key] = sanitizeLabelValue(rawValue);
    }
  }
  return labels;
}
