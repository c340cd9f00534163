/**
 * `K3sDatastoreCheck`: a read-only lookup, over SSH, of which servers hold a K3s datastore.
 * - provider.ts: the dynamic provider (read only)
 * - resource.ts: the resource class (registered with an id: read, never created)
 */
export { K3sDatastoreCheck } from "./resource";
export type { DatastoreCheckServer } from "./provider";
