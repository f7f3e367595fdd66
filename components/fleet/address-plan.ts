/**
 * The address plan: fixed private IPs for every server, decided by the core before any provider runs.
 *
 * Rules (chosen so that changes stay local):
 * - The network (`networkCidr`, e.g. 10.0.0.0/16) is cut into /24 blocks. Block 0 belongs to the
 *   platform server (and whatever a provider puts next to it, e.g. a load balancer).
 * - Each pool owns exactly one block. Its index is `pools.<name>.addressBlock` when set, otherwise
 *   derived from a hash of the pool's name alone (FNV-1a, modulo the number of pool blocks). It never
 *   depends on the other pools or on their order, so adding, removing or reordering pools moves nothing.
 *   Two pools hashing to the same block is reported with a free block to set explicitly.
 * - Inside a block, server `i` (1-based) gets host offset `10 + i - 1`: growing a pool from 3 to 4
 *   adds one address and keeps the others; shrinking removes the highest indexes. Offsets below 10
 *   and above 249 stay free for gateways and addresses clouds reserve (AWS keeps the first four and
 *   the last of a subnet), hence at most {@link MAX_SERVERS_PER_POOL} servers per pool.
 *
 * Pure (no @pulumi import): the stack config parser uses {@link addressPlanProblems} to reject plans early.
 */
import { formatIpv4Cidr, intToIpv4, parseIpv4Cidr, type Ipv4Cidr } from "./ip-cidr";
import { PLATFORM_SERVER_NAME, workspaceServerName } from "./naming";

export const BLOCK_PREFIX = 24;
export const PLATFORM_BLOCK = 0;
export const FIRST_HOST_OFFSET = 10;
export const MAX_SERVERS_PER_POOL = 240;
/** Widest and narrowest network the plan supports: /23 leaves one pool block; /8 is the largest private range. */
export const MIN_NETWORK_PREFIX = 8;
export const MAX_NETWORK_PREFIX = 23;

export interface AddressPlanPool {
  name: string;
  count: number;
  /** Explicit block index (1 .. blocks-1); default: derived from the name. */
  addressBlock?: number;
}

export interface AddressPlanInput {
  networkCidr: string;
  pools: AddressPlanPool[];
}

export interface PlannedServer {
  /** Stable host name, e.g. `ws-standard-1` or `platform`. */
  name: string;
  /** 1-based index in its pool (platform: 1). */
  index: number;
  privateIp: string;
}

export interface PlannedBlock {
  block: number;
  /** The block as CIDR, e.g. `10.0.42.0/24`; providers may create one subnet per block. */
  cidr: string;
}

export interface PlannedPool extends PlannedBlock {
  name: string;
  servers: PlannedServer[];
}

export interface AddressPlan {
  networkCidr: string;
  platform: PlannedServer & PlannedBlock;
  pools: Record<string, PlannedPool>;
}

export interface AddressPlanProblem {
  /** Config path below `sandfleet:`, e.g. `pools.burst.addressBlock`. */
  path: string;
  message: string;
}

export class AddressPlanError extends Error {
  override readonly name = "AddressPlanError";
}

/** Number of /24 blocks in the network (block 0 is the platform's). */
function blockCount(network: Ipv4Cidr): number {
  return 2 ** (BLOCK_PREFIX - network.prefix);
}

/** 32-bit FNV-1a: tiny, stable across Node versions and platforms. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The block a pool gets when `addressBlock` is not set: depends on the pool's name alone. */
export function defaultAddressBlock(poolName: string, blocks: number): number {
  return 1 + (fnv1a(poolName) % (blocks - 1));
}

function blockOf(pool: AddressPlanPool, blocks: number): number {
  return pool.addressBlock ?? defaultAddressBlock(pool.name, blocks);
}

/** Everything wrong with a plan, as config paths and messages (empty = plannable). */
export function addressPlanProblems(input: AddressPlanInput): AddressPlanProblem[] {
  const network = parseIpv4Cidr(input.networkCidr);
  if (!network || network.prefix < MIN_NETWORK_PREFIX || network.prefix > MAX_NETWORK_PREFIX) {
    return [
      {
        path: "networkCidr",
        message: `${input.networkCidr} cannot hold the address plan; use an IPv4 network between /${MIN_NETWORK_PREFIX} and /${MAX_NETWORK_PREFIX}, e.g. 10.0.0.0/16`,
      },
    ];
  }
  const blocks = blockCount(network);
  const problems: AddressPlanProblem[] = [];
  const owners = new Map<number, string>();
  const used = new Set(input.pools.map((p) => blockOf(p, blocks)));
  const freeBlock = () => {
    for (let b = 1; b < blocks; b++) if (!used.has(b)) return b;
    return undefined;
  };
  for (const pool of input.pools) {
    if (pool.count > MAX_SERVERS_PER_POOL) {
      problems.push({
        path: `pools.${pool.name}.count`,
        message: `${pool.count} servers do not fit the pool's /24 address block (at most ${MAX_SERVERS_PER_POOL}); split the pool into several pools`,
      });
    }
    if (pool.addressBlock !== undefined && (pool.addressBlock < 1 || pool.addressBlock >= blocks)) {
      problems.push({
        path: `pools.${pool.name}.addressBlock`,
        message: `block ${pool.addressBlock} is outside ${input.networkCidr}; use 1 to ${blocks - 1} (block 0 is the platform's)`,
      });
      continue;
    }
    const block = blockOf(pool, blocks);
    const owner = owners.get(block);
    if (owner !== undefined) {
      const free = freeBlock();
      problems.push({
        path: `pools.${pool.name}.addressBlock`,
        message:
          `pool "${pool.name}" gets address block ${block}, already used by pool "${owner}"; ` +
          (free === undefined
            ? `the network has no free block; use a larger networkCidr`
            : `set pools.${pool.name}.addressBlock to a free block, e.g. ${free}`),
      });
    } else {
      owners.set(block, pool.name);
    }
  }
  return problems;
}

/** Plans every server's name and private IP. Throws {@link AddressPlanError} on the problems above. */
export function planAddresses(input: AddressPlanInput): AddressPlan {
  const problems = addressPlanProblems(input);
  if (problems.length > 0) {
    throw new AddressPlanError(problems.map((p) => `${p.path}: ${p.message}`).join("; "));
  }
  const network = parseIpv4Cidr(input.networkCidr)!;
  const blocks = blockCount(network);
  const blockBase = (block: number) => network.base + block * 2 ** (32 - BLOCK_PREFIX);
  const hostIp = (block: number, index: number) => intToIpv4(blockBase(block) + FIRST_HOST_OFFSET + index - 1);

  const pools: Record<string, PlannedPool> = {};
  for (const pool of input.pools) {
    const block = blockOf(pool, blocks);
    pools[pool.name] = {
      name: pool.name,
      block,
      cidr: formatIpv4Cidr(blockBase(block), BLOCK_PREFIX),
      servers: Array.from({ length: pool.count }, (_, i) => ({
        name: workspaceServerName(pool.name, i + 1),
        index: i + 1,
        privateIp: hostIp(block, i + 1),
      })),
    };
  }
  return {
    networkCidr: input.networkCidr,
    platform: {
      name: PLATFORM_SERVER_NAME,
      index: 1,
      privateIp: hostIp(PLATFORM_BLOCK, 1),
      block: PLATFORM_BLOCK,
      cidr: formatIpv4Cidr(blockBase(PLATFORM_BLOCK), BLOCK_PREFIX),
    },
    pools,
  };
}
