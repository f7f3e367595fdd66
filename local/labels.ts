/**
 * Docker labels put on everything local/ creates (containers, networks, volumes, images), so that
 * `down` finds all of it even after a crashed `up`, and never touches anything else on the engine.
 */
export const LABEL_MANAGED = "dev.sandfleet.local";
/** The fleet a resource belongs to (`local` for `npm start`, another name for tests running alongside). */
export const LABEL_FLEET = "dev.sandfleet.local.fleet";
export const LABEL_ROLE = "dev.sandfleet.local.role";
export const LABEL_HOST = "dev.sandfleet.local.host";
/** Hash of the test-host image recipe (cache key). */
export const LABEL_RECIPE = "dev.sandfleet.local.recipe";
/** Where the image base came from: `registry:debian:trixie` or `debootstrap:<mirror>`. */
export const LABEL_BASE = "dev.sandfleet.local.base";

export function fleetLabels(fleet: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_MANAGED]: "true", [LABEL_FLEET]: fleet, ...extra };
}

/** A Docker `filters` value selecting one fleet's resources. */
export function fleetFilter(fleet: string): { label: string[] } {
  return { label: [`${LABEL_MANAGED}=true`, `${LABEL_FLEET}=${fleet}`] };
}
