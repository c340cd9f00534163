/**
 * Which node a resource belongs to, from data the stack puts there on purpose: every node's
 * resources are children of its `homelab:index:Node` component (stacks/homelab/node.ts), whose
 * name is the node's name. A resource is mapped by walking its `parent` chain up to such a
 * component; nothing is inferred from resource names.
 */

/** The component every node's children are parented to. */
export const NODE_COMPONENT_TYPE = "homelab:index:Node";

/** `urn:pulumi:<stack>::<project>::<parentType$type>::<name>` → { type, name }. */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const name = parts.length >= 4 ? parts.slice(3).join("::") : (parts[parts.length - 1] ?? "");
  const chain = (parts[2] ?? "").split("$").filter(Boolean);
  return { type: chain[chain.length - 1] ?? "", name };
}

/** urn → parent urn, from every state the document shows. */
export type ParentIndex = ReadonlyMap<string, string | undefined>;

/** The node of `urn`: the nearest `homelab:index:Node` on its parent chain (itself included), or null. */
export function nodeOf(urn: string, parents: ParentIndex): string | null {
  const seen = new Set<string>();
  let cur: string | undefined = urn;
  while (cur && !seen.has(cur)) {
    seen.add(cur);
    const { type, name } = parseUrn(cur);
    if (type === NODE_COMPONENT_TYPE) return name;
    cur = parents.get(cur);
  }
  return null;
}
