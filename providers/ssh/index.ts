/**
 * SSH access to a machine, for providers that manage files on it. Knows nothing about K3s or the
 * homelab config: a target (host, port, user, pinned host key), credentials (key or agent), and
 * root operations (read, hash, atomic write, run), each a script piped to `sudo -n /bin/sh -s` for
 * non-root users (one sudoers line: `sudoersLine`).
 */
export { SshAuthError, SshCommandError, SshError, SshHostKeyMismatchError, SshUnreachableError } from "./errors";
export { describePinned, fingerprintOf, hostKeyMatches, parsePinnedHostKey } from "./host-key";
export type { PinnedHostKey } from "./host-key";
export { sshConnectionsOpened, sshSession } from "./pool";
export { CONNECT_TIMEOUT_MS, SUDOERS_FILE, SshSession, describeTarget, shellQuote, sudoersLine } from "./session";
export type { ExecResult, FileToWrite, InspectRequest, InspectResult, RemoteFile, SshCredentials, SshTarget } from "./session";
