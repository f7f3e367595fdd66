/**
 * What a Cloudflare Origin CA certificate may be (its validities) and when it renews: pure, no @pulumi import, so
 * the stack config (stacks/config.ts, which the cost CLI loads without an engine) checks `validityDays` with the
 * same list the component issues with (origin-ca-certificate.ts).
 */
import { DEFAULT_RENEW_WITHIN_DAYS } from "../tls/renewal";

/** What Cloudflare's API accepts as `requested_validity`, in days. */
export const ORIGIN_CA_VALIDITY_DAYS = [7, 30, 90, 365, 730, 1095, 5475] as const;
export type OriginCaValidityDays = (typeof ORIGIN_CA_VALIDITY_DAYS)[number];

/** Renewal window of an Origin CA certificate: the stack's, but never a third of its validity or more (7 days: 2). */
export function originCaRenewWithinDays(validityDays: number, stackRenewWithinDays: number | undefined): number {
  const third = Math.floor(validityDays / 3);
  return Math.min(stackRenewWithinDays ?? DEFAULT_RENEW_WITHIN_DAYS, third);
}
