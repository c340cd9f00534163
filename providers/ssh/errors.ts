/**
 * Typed SSH failures, so callers branch on the class (or `code`), never on message text.
 * Messages name the target (`user@host:port`) and never contain a key, a password or the data sent.
 */
export class SshError extends Error {
  override name = "SshError";
  constructor(
    message: string,
    readonly code: string,
    readonly target: string,
  ) {
    super(message);
  }
}

/** The server presented another host key than the pinned one; nothing was sent. */
export class SshHostKeyMismatchError extends SshError {
  override name = "SshHostKeyMismatchError";
  constructor(target: string, readonly presented: string, readonly pinned: string) {
    super(
      `${target} presented host key ${presented}, but ${pinned} is pinned: refusing to connect, nothing was written. ` +
        "If the machine was reinstalled, check the new key on its console (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`) and update hostKey.",
      "SSH_HOST_KEY_MISMATCH",
      target,
    );
  }
}

/** No TCP connection or no SSH handshake (host down, wrong port, timeout). */
export class SshUnreachableError extends SshError {
  override name = "SshUnreachableError";
  constructor(target: string, reason: string) {
    super(`${target} is unreachable: ${reason}`, "SSH_UNREACHABLE", target);
  }
}

/** The server refused every authentication method offered. */
export class SshAuthError extends SshError {
  override name = "SshAuthError";
  constructor(target: string, how: string) {
    super(`${target} refused the login (${how}): add the public key to the user's ~/.ssh/authorized_keys`, "SSH_AUTH", target);
  }
}

/**
 * A remote command exited non-zero. `stderr` is already redacted by the caller's redactor; `fix`,
 * when known, says what the machine needs (e.g. the sudoers line).
 */
export class SshCommandError extends SshError {
  override name = "SshCommandError";
  constructor(target: string, what: string, readonly exitCode: number | null, stderr: string, fix?: string) {
    super(
      `${target}: ${what} failed (exit ${exitCode ?? "signal"})${stderr ? `: ${stderr.trim().slice(0, 500)}` : ""}${fix ? `. ${fix}` : ""}`,
      "SSH_COMMAND",
      target,
    );
  }
}
