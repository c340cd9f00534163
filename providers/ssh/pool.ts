/**
 * One SSH connection per machine per process (the provider host lives for one engine run), so a
 * refresh of N nodes opens N connections whatever the number of reads, and nodes are read
 * concurrently. Kept on globalThis: each serialized provider function would otherwise get its own
 * copy of a module-level map (ref/pulumi.md §1.4). A failed connection is not cached.
 */
import { SshSession, describeTarget, type SshCredentials, type SshTarget } from "./session";

interface PoolState {
  sessions: Map<string, Promise<SshSession>>;
  opened: number;
}

function pool(): PoolState {
  const g = globalThis as { __homelabSshPool?: PoolState };
  return (g.__homelabSshPool ??= { sessions: new Map(), opened: 0 });
}

/** The shared session to `target`, opened on first use. */
export function sshSession(target: SshTarget, credentials: SshCredentials, redact?: (text: string) => string): Promise<SshSession> {
  const state = pool();
  const key = `${describeTarget(target)}\n${target.hostKey}`;
  let session = state.sessions.get(key);
  if (!session) {
    session = SshSession.open(target, credentials, redact);
    state.opened++;
    state.sessions.set(key, session);
    session.catch(() => state.sessions.delete(key));
  }
  return session;
}

/** Connections opened by this process so far (for the benchmark's one-per-node check). */
export function sshConnectionsOpened(): number {
  return pool().opened;
}
