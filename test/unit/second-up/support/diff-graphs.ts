/**
 * What `pulumi preview` would plan between two runs of the program (config A, then config B), read from the two
 * graphs the update model records (../../day2/support/update-model.ts): which resources are created, deleted,
 * updated in place or replaced.
 *
 * - A resource is matched across runs by its URN tail, `<type>::<name>`.
 * - An input change counts unless the resource's `ignoreChanges` covers it, as the engine would skip it.
 * - A change replaces the resource when it touches a property the provider can only set at creation
 *   (./replacing-properties.ts, each row citing its provider source), or one the resource's own
 *   `replaceOnChanges` option names (as the engine does).
 * - A replacement gives the resource a new id, which the update model cannot show (it keeps ids per name), so
 *   the diff carries it on: a resource that depends on a replaced one and holds its id in an input sees that
 *   input change, and is replaced too when the input is a replacing one (a volume attachment's `serverId`, a
 *   post-boot step's `triggers`).
 */
import type { UpdateResource, UpdateRun } from "../../day2/support/update-model";
import { replacingPropertiesOf } from "./replacing-properties";

export interface ResourceChange {
  /** `<type>::<name>`. */
  urn: string;
  before: UpdateResource;
  after: UpdateResource;
  /** Top-level inputs that change (ignored ones left out), sorted. */
  inputs: string[];
  /** Among `inputs`, those the provider can only apply by replacing. */
  replacing: string[];
  /** Resource options that change (`deleteBeforeReplace`, `protect`, ...). */
  options: string[];
  /** URNs of replaced resources whose new id reaches this one's inputs. */
  replacedDependencies: string[];
}

export interface GraphDiff {
  added: string[];
  removed: string[];
  /** Updated in place. */
  updated: ResourceChange[];
  replaced: ResourceChange[];
  /** The change of one URN, updated or replaced; undefined when it is unchanged, new or gone. */
  changeOf(urn: string): ResourceChange | undefined;
}

export const urnOf = (r: { type: string; name: string }) => `${r.type}::${r.name}`;

/** JSON with sorted keys, so equal inputs always give the same text. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** `a.b["c-d"]` → ["a", "b", "c-d"]. */
const segmentsOf = (path: string) => [...path.matchAll(/\["([^"]+)"\]|([^.[\]]+)/g)].map((m) => m[1] ?? m[2]);

/** A copy of `inputs` without the paths `ignoreChanges` names. */
function withoutIgnored(inputs: Record<string, unknown>, ignoreChanges: readonly string[]): Record<string, unknown> {
  // A JSON copy: what the engine compares is serialisable data.
  const copy = JSON.parse(JSON.stringify(inputs)) as Record<string, unknown>;
  for (const path of ignoreChanges) {
    const segments = segmentsOf(path);
    let holder: any = copy;
    for (const segment of segments.slice(0, -1)) holder = holder?.[segment];
    if (holder && typeof holder === "object") delete holder[segments[segments.length - 1]];
  }
  return copy;
}

/** True when `value` holds `id` as a leaf (string or number, as `.apply(Number)` passes it). */
function holdsId(value: unknown, id: string): boolean {
  if (value === id || (typeof value === "number" && String(value) === id)) return true;
  if (value && typeof value === "object") return Object.values(value).some((v) => holdsId(v, id));
  return false;
}

export function diffGraphs(a: UpdateRun, b: UpdateRun): GraphDiff {
  const before = new Map(a.mocks.resources.map((r) => [urnOf(r), r]));
  const after = new Map(b.mocks.resources.map((r) => [urnOf(r), r]));
  const changes = new Map<string, ResourceChange>();

  for (const [urn, now] of after) {
    const old = before.get(urn);
    if (!old) continue;
    const oldInputs = withoutIgnored(old.inputs, now.options.ignoreChanges);
    const newInputs = withoutIgnored(now.inputs, now.options.ignoreChanges);
    const inputs = [...new Set([...Object.keys(oldInputs), ...Object.keys(newInputs)])]
      .filter((key) => stableJson(oldInputs[key]) !== stableJson(newInputs[key]))
      .sort();
    const options = (Object.keys({ ...old.options, ...now.options }) as (keyof typeof now.options)[])
      .filter((key) => stableJson(old.options[key]) !== stableJson(now.options[key]))
      .sort();
    const replacing = replacingPropertiesOf(now.type, inputs, oldInputs, newInputs);
    // The resource's own `replaceOnChanges` (`priority`, `triggers[*]`, `*`): the engine replaces on those
    // whatever the provider says.
    for (const path of now.options.replaceOnChanges ?? []) {
      const top = segmentsOf(path.replace(/\[\*\]/g, ""))[0];
      for (const key of inputs) if ((top === "*" || key === top) && !replacing.includes(key)) replacing.push(key);
    }
    if (options.includes("replacementTrigger")) replacing.push("(replacementTrigger)");
    if (inputs.length > 0 || options.length > 0) changes.set(urn, { urn, before: old, after: now, inputs, replacing, options, replacedDependencies: [] });
  }

  // Carry each replacement's new id to the resources that hold it, until nothing more is replaced.
  const replacedUrns = () => [...changes.values()].filter((c) => c.replacing.length > 0).map((c) => c.urn);
  let done = new Set<string>();
  for (let pending = replacedUrns(); pending.length > 0; pending = replacedUrns().filter((u) => !done.has(u))) {
    done = new Set([...done, ...pending]);
    for (const replacedUrn of pending) {
      const replaced = after.get(replacedUrn)!;
      for (const [urn, now] of after) {
        if (!before.has(urn) || !now.dependencies.includes(replaced.name)) continue;
        const inputs = withoutIgnored(now.inputs, now.options.ignoreChanges);
        const holding = Object.keys(inputs).filter((key) => holdsId(inputs[key], replaced.id));
        if (holding.length === 0) continue;
        const change = changes.get(urn) ?? { urn, before: before.get(urn)!, after: now, inputs: [], replacing: [], options: [], replacedDependencies: [] };
        change.inputs = [...new Set([...change.inputs, ...holding])].sort();
        change.replacing = [...new Set([...change.replacing, ...replacingPropertiesOf(now.type, holding)])].sort();
        change.replacedDependencies = [...new Set([...change.replacedDependencies, replacedUrn])].sort();
        changes.set(urn, change);
      }
    }
  }

  const all = [...changes.values()].sort((x, y) => x.urn.localeCompare(y.urn));
  return {
    added: [...after.keys()].filter((urn) => !before.has(urn)).sort(),
    removed: [...before.keys()].filter((urn) => !after.has(urn)).sort(),
    updated: all.filter((c) => c.replacing.length === 0),
    replaced: all.filter((c) => c.replacing.length > 0),
    changeOf: (urn) => changes.get(urn),
  };
}
