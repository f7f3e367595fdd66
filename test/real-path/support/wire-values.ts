/**
 * The markers Pulumi's wire format (google.protobuf.Struct) uses for values that JSON cannot say: secrets,
 * unknowns (preview) and resource references. Values from `@pulumi/pulumi/runtime/rpc` (`specialSigKey`,
 * `specialSecretSig`, `specialResourceSig`, `unknownValue`), read from there so they cannot drift.
 */
import * as rpc from "@pulumi/pulumi/runtime/rpc";

export const SPECIAL_SIG: string = rpc.specialSigKey;
export const SECRET_SIG: string = rpc.specialSecretSig;
export const RESOURCE_SIG: string = rpc.specialResourceSig;
export const UNKNOWN: string = rpc.unknownValue;

type Wire = Record<string, unknown>;

function isMarked(value: unknown, sig: string): value is Wire {
  return typeof value === "object" && value !== null && !Array.isArray(value) && (value as Wire)[SPECIAL_SIG] === sig;
}

export const isSecretValue = (value: unknown): boolean => isMarked(value, SECRET_SIG);

/** Plain values: secrets unwrapped, resource references replaced by their id (or URN for components). */
export function unwrapSecrets(value: unknown): any {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (isMarked(value, SECRET_SIG)) return unwrapSecrets(value.value);
  if (isMarked(value, RESOURCE_SIG)) return value.id ?? value.urn;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

const isPlainObject = (value: unknown): value is Wire =>
  typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/**
 * Dotted paths of every secret inside a value (`connection.privateKey`, `[0]`...), sorted. Walks plain data
 * only: the mock tier hands resource references over as Resource objects, which are not inputs' content.
 */
export function secretPaths(value: unknown, at = ""): string[] {
  if (isSecretValue(value)) return [at || "."];
  if (Array.isArray(value)) return value.flatMap((v, i) => secretPaths(v, `${at}[${i}]`));
  if (isPlainObject(value)) {
    return Object.entries(value)
      .flatMap(([k, v]) => secretPaths(v, at ? `${at}.${k}` : k))
      .sort();
  }
  return [];
}
