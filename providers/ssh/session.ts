/**
 * One SSH connection to one machine (ssh2), with the operations a provider needs: run a script
 * as root (directly, or through `sudo -n /bin/sh -s` for any other user: nothing else is run), read
 * and hash several files and take commands' exit statuses in one round trip, and write files
 * atomically (temp file in the same directory, chmod/chown, rename).
 *
 * The host key is checked in ssh2's `hostVerifier`, before authentication: a mismatch ends the
 * handshake and is reported as `SshHostKeyMismatchError` with both fingerprints.
 * Data to write travels on the command's stdin, never on its command line (not visible in `ps`).
 * `redact` is applied to every remote text that ends up in an error.
 */
import { Client, type ConnectConfig } from "ssh2";
import { SshAuthError, SshCommandError, SshHostKeyMismatchError, SshUnreachableError } from "./errors";
import { describePinned, fingerprintOf, hostKeyMatches, parsePinnedHostKey } from "./host-key";

export interface SshTarget {
  host: string;
  /** Default 22. */
  port?: number;
  user: string;
  /** known_hosts line or SHA256 fingerprint (see host-key.ts). */
  hostKey: string;
}

export interface SshCredentials {
  /** OpenSSH/PEM private key text (a secret); without it the ssh-agent is used. */
  privateKey?: string;
  /** ssh-agent socket; default $SSH_AUTH_SOCK. */
  agent?: string;
}

export interface ExecResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface RemoteFile {
  content: Buffer;
  owner: string;
  mode: string;
}

/** What `inspect` reads in one command. */
export interface InspectRequest {
  /** Files to read (`*` expanded by the remote shell). */
  files?: readonly string[];
  /** Files to hash (content never leaves the machine). */
  hashes?: readonly string[];
  /** Commands (run as root) whose exit status is wanted; their output is discarded. */
  statuses?: readonly string[];
}

export interface InspectResult {
  files: Map<string, RemoteFile>;
  hashes: Map<string, string | undefined>;
  /** Exit status of each command, in order (null if none was reported). */
  statuses: Array<number | null>;
}

export interface FileToWrite {
  path: string;
  content: string | Buffer;
  /** Octal string, e.g. "0600". */
  mode: string;
  /** Default "root:root". */
  owner?: string;
}

/** Handshake and login must finish within this; a LAN host answers in well under a second. */
export const CONNECT_TIMEOUT_MS = 8_000;

export function describeTarget(t: SshTarget): string {
  return `${t.user}@${t.host}:${t.port ?? 22}`;
}

/** Where the README tells the operator to grant a non-root login user its sudo rights. */
export const SUDOERS_FILE = "/etc/sudoers.d/homelab";

/** The sudoers line a non-root login user needs: `sudo -n /bin/sh -s` is all this module runs via sudo. */
export function sudoersLine(user: string): string {
  return `${user} ALL=(root) NOPASSWD: /bin/sh`;
}

/** Single-quotes a word for POSIX sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export class SshSession {
  private constructor(
    private readonly client: Client,
    readonly target: SshTarget,
    private readonly redact: (text: string) => string,
  ) {}

  /** Opens the connection; rejects with SshHostKeyMismatchError / SshAuthError / SshUnreachableError. */
  static async open(target: SshTarget, credentials: SshCredentials, redact: (text: string) => string = (t) => t): Promise<SshSession> {
    const name = describeTarget(target);
    const pinned = parsePinnedHostKey(target.hostKey);
    const agent = credentials.privateKey ? undefined : (credentials.agent ?? process.env.SSH_AUTH_SOCK);
    if (!credentials.privateKey && !agent) {
      throw new SshAuthError(name, "no private key configured and no ssh-agent ($SSH_AUTH_SOCK is unset)");
    }
    const client = new Client();
    let mismatch: SshHostKeyMismatchError | undefined;
    const config: ConnectConfig = {
      host: target.host,
      port: target.port ?? 22,
      username: target.user,
      readyTimeout: CONNECT_TIMEOUT_MS,
      keepaliveInterval: 0,
      ...(credentials.privateKey ? { privateKey: credentials.privateKey } : { agent }),
      // Only the one method configured: ssh2 would otherwise first try "none", one more round
      // trip and one more failed attempt in the node's auth log per login.
      authHandler: [credentials.privateKey ? "publickey" : "agent"],
      hostVerifier: (key: Buffer) => {
        if (hostKeyMatches(pinned, key)) return true;
        mismatch = new SshHostKeyMismatchError(name, fingerprintOf(key), describePinned(pinned));
        return false;
      },
    };
    await new Promise<void>((resolve, reject) => {
      client.once("ready", () => resolve());
      client.once("error", (err: Error & { level?: string }) => {
        if (mismatch) reject(mismatch);
        else if (err.level === "client-authentication") reject(new SshAuthError(name, credentials.privateKey ? "private key from config" : "ssh-agent"));
        else reject(new SshUnreachableError(name, redact(err.message)));
      });
      try {
        client.connect(config);
      } catch (err) {
        // ssh2 throws synchronously on an unparsable private key; never echo the key itself.
        reject(new SshAuthError(name, `the private key could not be parsed: ${(err as Error).message.replace(/-----BEGIN[\s\S]*/, "")}`));
        return;
      }
      // ssh2 leaves Nagle on, which holds a small packet sent behind an unacknowledged one until
      // the peer's delayed ACK: on loopback a login plus one command took ≈ 90 ms with it, ≈ 50 without.
      client.setNoDelay(true);
    });
    // Keep the provider host free to exit while a cached connection is idle.
    (client as unknown as { _sock?: { unref?: () => void } })._sock?.unref?.();
    return new SshSession(client, target, redact);
  }

  get name(): string {
    return describeTarget(this.target);
  }

  /** Runs `command` as the login user; `stdin` is written and closed. Private: callers go through runAsRoot. */
  private exec(command: string, stdin?: string | Buffer): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) return reject(new SshUnreachableError(this.name, this.redact(err.message)));
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        let code: number | null = null;
        stream.on("data", (d: Buffer) => out.push(d));
        stream.stderr.on("data", (d: Buffer) => errs.push(d));
        stream.on("exit", (c: number | null) => (code = c));
        stream.on("close", () => resolve({ code, stdout: Buffer.concat(out), stderr: this.redact(Buffer.concat(errs).toString("utf8")) }));
        stream.end(stdin ?? "");
      });
    });
  }

  /**
   * Runs a POSIX sh script as root: directly when logged in as root, else `sudo -n /bin/sh -s`,
   * the only command run through sudo, so one sudoers line (`sudoersLine`) covers every root action.
   */
  async runAsRoot(script: string, what: string): Promise<Buffer> {
    // /bin/sh as the sudoers line names it, whatever the node's secure_path would find first.
    const command = this.target.user === "root" ? "sh -s" : "sudo -n /bin/sh -s";
    const r = await this.exec(command, script);
    if (r.code !== 0) throw new SshCommandError(this.name, what, r.code, r.stderr, this.sudoFix(r));
    return r.stdout;
  }

  /** What the machine needs when sudo itself refused (it cannot prompt under -n) or is missing. */
  private sudoFix(r: ExecResult): string | undefined {
    if (this.target.user === "root") return undefined;
    const fix = `put \`${sudoersLine(this.target.user)}\` in ${SUDOERS_FILE} (README, SSH setup)`;
    if (/^sudo: (a password is required|a terminal is required|sorry, you must have a tty|.*is not (allowed|in the sudoers))/m.test(r.stderr)) {
      return `${this.target.user} may not run sh as root without a password: ${fix}`;
    }
    if (r.code === 127 && /sudo: .*not found/.test(r.stderr)) return `sudo is not installed: install it, then ${fix}`;
    return undefined;
  }

  /**
   * As root, in one command on one channel: regular files (path → content, owner and mode
   * "root:root 600"; a missing path is left out; `*` is expanded by the remote shell, sorted), the
   * SHA-256 (hex) of files' content with trailing newlines removed (undefined when missing; the
   * content never leaves the machine), and the exit status of commands. Each channel costs the
   * node an sshd child and a login shell, so a refresh of many nodes asks each node once.
   */
  async inspect(request: InspectRequest, what: string): Promise<InspectResult> {
    const hashes = request.hashes ?? [];
    const statuses = request.statuses ?? [];
    const script = [
      "set -u",
      'emit() { [ -f "$1" ] || return 0; printf "%s\\n%s\\n" "$1" "$(stat -c "%U:%G %a" "$1")"; base64 -w0 "$1"; printf "\\n"; }',
      // One line each, before the files: a hash or "-", then an exit status.
      ...hashes.map((p) => `if [ -f ${shellQuote(p)} ]; then printf '%s' "$(cat ${shellQuote(p)})" | sha256sum | cut -d' ' -f1; else echo -; fi`),
      ...statuses.map((c) => `${c} >/dev/null 2>&1; echo $?`),
      // Last, so that a file that cannot be read fails the command, as it always has.
      ...(request.files ?? []).map((p) => `for f in ${p.split("*").map(shellQuote).join("*")}; do emit "$f"; done`),
    ].join("\n");
    const out = (await this.runAsRoot(script, what)).toString("utf8").split("\n");
    const hashLines = out.splice(0, hashes.length);
    const statusLines = out.splice(0, statuses.length);
    const files = new Map<string, RemoteFile>();
    for (let i = 0; i + 2 < out.length; i += 3) {
      const [owner = "", mode = ""] = (out[i + 1] ?? "").split(" ");
      files.set(out[i]!, { content: Buffer.from(out[i + 2] ?? "", "base64"), owner, mode });
    }
    return {
      files,
      hashes: new Map(hashes.map((p, i) => [p, hashLines[i] && hashLines[i] !== "-" ? hashLines[i] : undefined])),
      statuses: statuses.map((_, i) => (/^\d+$/.test(statusLines[i] ?? "") ? Number(statusLines[i]) : null)),
    };
  }

  /**
   * Writes every file atomically: content into a temp file beside the target, owner and mode set,
   * then `mv` over the target (rename(2) within one directory), so K3s never reads half a file.
   * Parent directories are created mode 0755. One round trip for all files.
   */
  async writeFiles(files: readonly FileToWrite[]): Promise<void> {
    const parts = ["set -eu", "umask 077"];
    files.forEach((f, i) => {
      const dir = f.path.slice(0, f.path.lastIndexOf("/")) || "/";
      const base = f.path.slice(f.path.lastIndexOf("/") + 1);
      const body = Buffer.from(f.content).toString("base64").replace(/(.{76})/g, "$1\n");
      parts.push(
        `mkdir -p -m 0755 ${shellQuote(dir)}`,
        `tmp=$(mktemp ${shellQuote(`${dir}/.${base}.XXXXXX`)})`,
        `base64 -d > "$tmp" <<'HOMELAB_EOF_${i}'`,
        body,
        `HOMELAB_EOF_${i}`,
        `chown ${shellQuote(f.owner ?? "root:root")} "$tmp"`,
        `chmod ${shellQuote(f.mode)} "$tmp"`,
        `mv -f "$tmp" ${shellQuote(f.path)}`,
      );
    });
    await this.runAsRoot(parts.join("\n") + "\n", `writing ${files.map((f) => f.path).join(", ")}`);
  }

  close(): void {
    this.client.end();
  }
}
