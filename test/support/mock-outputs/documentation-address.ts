/**
 * Public addresses of mocked resources, from the documentation ranges (RFC 5737: 192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24), so no test ever names a routable address.
 */

/** The n-th host address of a documentation /24 (`prefix` = "203.0.113"), cycling through .1-.254 for large mocked fleets. */
export const docAddress = (prefix: string, n: number): string => `${prefix}.${(n % 254) + 1}`;
