/**
 * A lab machine that behaves like a K3s node over SSH: a real OpenSSH server (/usr/sbin/sshd,
 * Debian's openssh-server) on 127.0.0.1:<port> with its own host key, started with
 * `unshare --mount` so it and every session it forks see a private root:
 * - overlays over /etc, /var/lib and /run (so /etc/rancher, /var/lib/rancher and /run/sshd can be
 *   created without touching the real ones), then bind mounts of this machine's directories over
 *   /etc/rancher, /etc/systemd/system, /etc/default, /var/lib/rancher and /root;
 * - root's home holds what a fresh Debian install puts there (base-files' dot.bashrc and
 *   dot.profile), not this machine's /root: Debian's bash reads ~/.bashrc for every command sshd
 *   runs, and a developer's dotfiles (pyenv, cargo) would be timed as part of every SSH command;
 * - an overlay over /usr/local/bin holding the `systemctl` and `k3s` stand-ins (standin.ts), which
 *   come first on sshd's and sudo's default PATH;
 * - with `loginUser`, the machine's own /etc/passwd, /etc/shadow, /etc/group, /etc/sudoers,
 *   /etc/sudoers.d and /home (login-user.ts): that user logs in (StrictModes on), root does not.
 * The mount namespace lives as long as sshd; sessions inherit it because sshd forks them.
 *
 * The lab side (this module) plays the K3s process: it reads the restarts the stand-in records
 * and calls `onRestart`, which decides when and how the node comes back (fleet.ts updates the
 * simulated cluster's Node object). Everything lives in one temp directory removed by `close()`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, watch } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { generateKeyPair } from "./keys";
import { cpuSecondsOf, hasChildren } from "./cpu-time";
import { prepareLoginUser, type LoginUser } from "./login-user";
import type { StartupValue } from "./k3s-startup";

export type K3sUnit = "k3s" | "k3s-agent";

export interface LabMachineOptions {
  name: string;
  /** The K3s unit installed on the machine (as the install script would); none when undefined. */
  unit?: K3sUnit;
  /** Extra ExecStart flags in the unit (seed 004 put `--flannel-iface=wlp5s0` there). */
  execStartFlags?: string[];
  /** Public keys allowed to log in: as root, or as `loginUser` when that is set. */
  authorizedKeys: string[];
  /** A non-root login user reaching root through real `sudo`; root logins are then refused. */
  loginUser?: LoginUser;
  /** Files on the machine before it starts, by absolute path under the private dirs. */
  files?: Record<string, string>;
  /** Called for every `systemctl restart`; its result is the exit code systemctl returns (default 0). */
  onRestart?: (event: RestartEvent) => number | void | Promise<number | void>;
}

export interface RestartEvent {
  unit: string;
  /** ms since epoch, when `systemctl restart` ran. */
  at: number;
  /** What K3s starts with: config.yaml, drop-ins, then ExecStart flags (k3s-startup.ts). */
  settings: Record<string, StartupValue>;
  /** Whether /var/lib/rancher/k3s/server/db existed before this start (a server start creates it). */
  datastoreExisted: boolean;
}

/** The private directories a machine has, as mount points on the machine. */
export const PRIVATE_DIRS = ["/etc/rancher", "/etc/systemd/system", "/etc/default", "/var/lib/rancher", "/root"] as const;

/** Root's dotfiles on a fresh Debian install (base-files copies these into /root). */
const DEBIAN_ROOT_DOTFILES: Record<string, string> = { ".bashrc": "/usr/share/base-files/dot.bashrc", ".profile": "/usr/share/base-files/dot.profile" };

const SSHD = "/usr/sbin/sshd";
const LOOPBACK = "127.0.0.1";

export interface LabMachine {
  name: string;
  host: string;
  port: number;
  /** Who logs in: "root", or the login user's name. */
  user: string;
  /** known_hosts line for this machine: "[127.0.0.1]:<port> ssh-ed25519 AAAA…". */
  knownHostsLine: string;
  /** "SHA256:…" of the host key. */
  hostKeyFingerprint: string;
  /** This machine's directory (root/ holds the private dirs). */
  dir: string;
  /** The host path of a file on the machine, e.g. file("/etc/rancher/k3s/config.yaml"). */
  file(machinePath: string): string;
  /** Content of a file on the machine, or undefined. */
  read(machinePath: string): string | undefined;
  write(machinePath: string, content: string): Promise<void>;
  restarts(): RestartEvent[];
  /** Replaces the login user's /etc/sudoers.d/homelab (undefined: removes it); only with `loginUser`. */
  setSudoers(lines: string[] | undefined): Promise<void>;
  /** SSH logins accepted so far (from sshd's log). */
  logins(): number;
  /**
   * CPU seconds this machine has used so far: its sshd and every session sshd ran (logins, shells,
   * the commands they ran), once all of them have ended; waits up to 3 s for running sessions.
   */
  cpuSeconds(): Promise<number>;
  /** What `systemctl is-active <unit>` answers. */
  setActive(unit: K3sUnit, state: "active" | "activating" | "failed"): Promise<void>;
  /** Whether K3s's datastore directory (/var/lib/rancher/k3s/server/db) exists on the machine. */
  hasDatastore(): boolean;
  /**
   * The machine reinstalled: empties /etc/rancher and /var/lib/rancher (config.yaml, token and
   * datastore gone); the K3s unit, the host key and sshd stay, as after a reinstall from the same image.
   */
  rebuild(): Promise<void>;
  /** Stops sshd (connections refused) or starts it again on the same port with the same key. */
  setReachable(reachable: boolean): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function unitText(unit: K3sUnit, flags: string[]): string {
  const command = unit === "k3s" ? "server" : "agent";
  return [
    "[Unit]",
    "Description=Lightweight Kubernetes",
    "Documentation=https://k3s.io",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
    "[Service]",
    "Type=notify",
    "EnvironmentFile=-/etc/default/%N",
    "EnvironmentFile=-/etc/sysconfig/%N",
    `EnvironmentFile=-/etc/systemd/system/${unit}.service.env`,
    "KillMode=process",
    "Delegate=yes",
    "Restart=always",
    "RestartSec=5s",
    "ExecStart=/usr/local/bin/k3s \\",
    ...[command, ...flags].map((w, i, all) => `    ${w}${i < all.length - 1 ? " \\" : ""}`),
    "",
  ].join("\n");
}

function namespaceScript(dir: string, sshdConfig: string, userMounts: string[]): string {
  const ovl = (target: string, lower: string, name: string) =>
    `mkdir -p ${dir}/ovl/${name}/up ${dir}/ovl/${name}/work && mount -t overlay overlay -o lowerdir=${lower},upperdir=${dir}/ovl/${name}/up,workdir=${dir}/ovl/${name}/work ${target}`;
  return [
    "set -e",
    ovl("/etc", "/etc", "etc"),
    ovl("/var/lib", "/var/lib", "varlib"),
    ovl("/run", "/run", "run"),
    ovl("/usr/local/bin", `${dir}/bin:/usr/local/bin`, "bin"),
    `mkdir -p ${PRIVATE_DIRS.join(" ")} /run/sshd`,
    ...PRIVATE_DIRS.map((d) => `mount --bind ${dir}/root${d} ${d}`),
    ...userMounts,
    `exec ${SSHD} -D -e -f ${sshdConfig}`,
  ].join("\n");
}

export async function startLabMachine(opts: LabMachineOptions): Promise<LabMachine> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `lab-node-${opts.name}-`));
  try {
    return await start(dir, opts);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function start(dir: string, opts: LabMachineOptions): Promise<LabMachine> {
  await Promise.all([...PRIVATE_DIRS.map((d) => mkdir(path.join(dir, "root", d), { recursive: true })), mkdir(path.join(dir, "ssh")), mkdir(path.join(dir, "bin")), mkdir(path.join(dir, "state/acks"), { recursive: true })]);
  await writeFile(path.join(dir, "state/events.log"), "");
  const hostKey = await generateKeyPair(path.join(dir, "ssh/host_ed25519"), `lab-${opts.name}`);
  const loginUser = opts.loginUser ? await prepareLoginUser(dir, opts.loginUser, opts.authorizedKeys) : undefined;
  if (!loginUser) await writeFile(path.join(dir, "ssh/authorized_keys"), `${opts.authorizedKeys.join("\n")}\n`, { mode: 0o600 });

  // The stand-ins run the compiled standin.js with the same node binary (from dist/ also when
  // this module is loaded from source by vitest).
  const compiledDir = path.basename(path.resolve(__dirname, "../..")) === "dist" ? __dirname : path.resolve(__dirname, "../../dist/lab/node");
  const standin = path.join(compiledDir, "standin.js");
  // `systemctl is-active` is answered by the shell itself (as cheap as the real one, so a refresh
  // of many machines measures SSH, not node start-ups); everything else goes to standin.js.
  const isActive = [
    'if [ "$1" = is-active ]; then',
    '  shift; quiet=; if [ "$1" = --quiet ] || [ "$1" = -q ]; then quiet=1; shift; fi; unit="${1%.service}"',
    `  if [ ! -f '${dir}/root/etc/systemd/system/'"$unit".service ]; then state=inactive`,
    `  elif [ -f '${dir}/state/active-'"$unit" ]; then state=$(cat '${dir}/state/active-'"$unit"); else state=active; fi`,
    '  [ -n "$quiet" ] || echo "$state"; [ "$state" = active ] && exit 0; exit 3',
    "fi",
  ].join("\n");
  for (const tool of ["systemctl", "k3s"]) {
    const wrapper = path.join(dir, "bin", tool);
    await writeFile(wrapper, `#!/bin/sh\n${tool === "systemctl" ? `${isActive}\n` : ""}LAB_NODE_DIR='${dir}' exec '${process.execPath}' '${standin}' ${tool} "$@"\n`);
    await chmod(wrapper, 0o755);
  }
  const file = (p: string) => path.join(dir, "root", p);
  for (const [name, source] of Object.entries(DEBIAN_ROOT_DOTFILES)) {
    if (existsSync(source)) await writeFile(file(`/root/${name}`), await readFile(source));
  }
  if (opts.unit) await writeFile(file(`/etc/systemd/system/${opts.unit}.service`), unitText(opts.unit, opts.execStartFlags ?? []));
  for (const [p, content] of Object.entries(opts.files ?? {})) {
    await mkdir(path.dirname(file(p)), { recursive: true });
    await writeFile(file(p), content);
  }

  let port = 0;
  const sshdConfig = path.join(dir, "ssh/sshd_config");
  const writeConfig = () =>
    writeFile(
      sshdConfig,
      [
        `ListenAddress ${LOOPBACK}:${port}`,
        `HostKey ${dir}/ssh/host_ed25519`,
        ...(loginUser
          ? ["AuthorizedKeysFile .ssh/authorized_keys", "StrictModes yes", "PermitRootLogin no"]
          : [
              `AuthorizedKeysFile ${dir}/ssh/authorized_keys`,
              "StrictModes no", // the temp directory is not root's home; its modes are the test's business
              "PermitRootLogin prohibit-password",
            ]),
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "PidFile none",
        "LogLevel INFO", // one "Accepted publickey" line per login: counted by logins(); "Server listening" when bound
        "",
      ].join("\n"),
    );
  const script = namespaceScript(dir, sshdConfig, loginUser?.mounts ?? []);
  let sshd: ChildProcess | undefined;
  let sshdLog = "";
  let logins = 0;
  // Up when sshd says it listens: a connection test could reach another process that took the port.
  const startSshd = async () => {
    sshdLog = "";
    const child = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.on("data", (d: Buffer) => {
      const text = d.toString();
      logins += text.split("Accepted publickey").length - 1;
      sshdLog = (sshdLog + text).slice(-4000);
    });
    sshd = child;
    for (let i = 0; i < 200; i++) {
      if (sshdLog.includes(`Server listening on ${LOOPBACK} port ${port}.`)) return;
      if (child.exitCode !== null) throw new Error(`lab machine ${opts.name}: sshd exited (${child.exitCode}): ${sshdLog.trim()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill("SIGKILL");
    throw new Error(`lab machine ${opts.name}: sshd did not listen on ${LOOPBACK}:${port} within 5 s: ${sshdLog.trim()}`);
  };
  const stopSshd = async () => {
    const child = sshd;
    sshd = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  };
  // A port found free can be taken before sshd binds it (by a machine starting at the same time,
  // or another run on this machine): then try another one.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    await writeConfig();
    try {
      await startSshd();
      break;
    } catch (err) {
      if (attempt >= 5 || !sshdLog.includes("Address already in use")) throw err;
    }
  }

  // The K3s side: follow events.log, answer each restart through its ack file. Woken by inotify
  // (fs.watch) rather than a tight timer, so N idle machines cost the benchmark's process nothing
  // while it times the engine; the slow timer is only a safety net.
  const events: RestartEvent[] = [];
  let offset = 0;
  let busy = false;
  let again = false;
  const poll = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    again = false;
    try {
      const text = await readFile(path.join(dir, "state/events.log"), "utf8").catch(() => "");
      const fresh = text.slice(offset);
      const complete = fresh.slice(0, fresh.lastIndexOf("\n") + 1);
      offset += complete.length;
      for (const line of complete.split("\n").filter(Boolean)) {
        const e = JSON.parse(line) as RestartEvent & { seq: string };
        if (e.unit === "daemon-reload") continue;
        events.push({ unit: e.unit, at: e.at, settings: e.settings, datastoreExisted: e.datastoreExisted });
        const code = (await opts.onRestart?.(e)) ?? 0;
        await writeFile(path.join(dir, "state/acks", e.seq), String(code));
      }
    } finally {
      busy = false;
    }
    if (again) return poll();
  };
  const watcher = watch(path.join(dir, "state/events.log"), () => void poll());
  watcher.unref();
  const timer = setInterval(() => void poll(), 1000);
  timer.unref();

  const hostKeyBlob = hostKey.publicKey.split(/\s+/).slice(0, 2).join(" ");
  let closed = false;
  return {
    name: opts.name,
    host: LOOPBACK,
    port,
    user: opts.loginUser?.name ?? "root",
    knownHostsLine: `[${LOOPBACK}]:${port} ${hostKeyBlob}`,
    hostKeyFingerprint: hostKey.fingerprint,
    dir,
    file,
    read: (p) => (existsSync(file(p)) ? readFileSync(file(p), "utf8") : undefined),
    async write(p, content) {
      await mkdir(path.dirname(file(p)), { recursive: true });
      await writeFile(file(p), content);
    },
    restarts: () => events.map((e) => ({ ...e })),
    async setSudoers(lines) {
      if (!loginUser) throw new Error(`lab machine ${opts.name}: no login user, so no sudoers file`);
      await loginUser.setSudoers(lines);
    },
    logins: () => logins,
    async cpuSeconds() {
      const pid = sshd?.pid;
      if (pid === undefined) throw new Error(`lab machine ${opts.name}: sshd is not running`);
      // sessions end a few ms after the client closes its connection; only then are they counted
      for (let i = 0; i < 300 && hasChildren(pid); i++) await new Promise((r) => setTimeout(r, 10));
      const cpu = cpuSecondsOf(pid);
      return cpu.self + cpu.reaped;
    },
    hasDatastore: () => existsSync(file("/var/lib/rancher/k3s/server/db")),
    async rebuild() {
      // Empty the bind-mounted directories, not remove them: they are the namespace's mount points.
      for (const d of ["/etc/rancher", "/var/lib/rancher"]) {
        for (const entry of await readdir(file(d))) await rm(path.join(file(d), entry), { recursive: true, force: true });
      }
    },
    async setActive(unit, state) {
      await writeFile(path.join(dir, "state", `active-${unit}`), state);
    },
    async setReachable(reachable) {
      if (reachable && !sshd) await startSshd();
      if (!reachable) await stopSshd();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      watcher.close();
      await stopSshd();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
