/**
 * A lab machine's non-root login user, as on a node set up for `ssh.user: deploy`: an account in
 * the machine's own /etc/passwd, /etc/shadow and /etc/group, a home with ~/.ssh/authorized_keys
 * that passes sshd's StrictModes, and the machine's own /etc/sudoers and /etc/sudoers.d. Each is a
 * file or directory in the machine's temp directory, bind-mounted over the real path inside the
 * machine's mount namespace only (machine.ts); the host's files are read (passwd, group), never
 * written, and no password hash is copied: every account in the machine has `*` (keys only).
 * Real `sudo` (Debian's, scripts/system-packages.sh) then reads this machine's sudoers.
 */
import { existsSync, readFileSync } from "node:fs";
import { chmod, chown, mkdir, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";

export interface LoginUser {
  /** The login name, e.g. "deploy". */
  name: string;
  /** Lines of /etc/sudoers.d/homelab; undefined: the user has no sudo rights (no such file). */
  sudoers?: string[];
}

/** Debian 12's /etc/sudoers as the sudo package installs it (comments left out). */
const DEBIAN_SUDOERS = [
  "Defaults\tenv_reset",
  "Defaults\tmail_badpass",
  'Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"',
  "Defaults\tuse_pty",
  "root\tALL=(ALL:ALL) ALL",
  "%sudo\tALL=(ALL:ALL) ALL",
  "@includedir /etc/sudoers.d",
  "",
].join("\n");

export const SUDOERS_FILE = "/etc/sudoers.d/homelab";
const SUDO = "/usr/bin/sudo";

export interface PreparedLoginUser {
  uid: number;
  /** Shell lines for the namespace script (after /etc is an overlay, before sshd starts). */
  mounts: string[];
  /** Replaces (or with undefined removes) /etc/sudoers.d/homelab; sudo reads it on every call. */
  setSudoers(lines: string[] | undefined): Promise<void>;
}

/** A uid (= gid) free in the host's passwd and group, so files in the home are nobody else's. */
function freeId(passwd: string, group: string): number {
  const used = new Set([...passwd.split("\n"), ...group.split("\n")].map((l) => Number(l.split(":")[2])));
  let id = 2000;
  while (used.has(id)) id++;
  return id;
}

/** Writes the private files under `<dir>/users` and `<dir>/home`; returns how to mount them. */
export async function prepareLoginUser(dir: string, user: LoginUser, authorizedKeys: string[]): Promise<PreparedLoginUser> {
  if (!/^[a-z_][a-z0-9_-]*$/.test(user.name) || user.name === "root") throw new Error(`lab machine: login user "${user.name}" must be a plain name other than root`);
  // /home is mounted over, not created: outside the overlays a mkdir would change the host's root.
  if (!existsSync("/home")) throw new Error("lab machine: /home does not exist on this host (Debian's base-files has it); the login user's home is mounted there");
  if (user.sudoers && !existsSync(SUDO)) throw new Error(`lab machine: ${SUDO} is missing: run \`bash scripts/system-packages.sh\` (Debian's sudo)`);
  const hostPasswd = readFileSync("/etc/passwd", "utf8");
  const hostGroup = readFileSync("/etc/group", "utf8");
  const id = freeId(hostPasswd, hostGroup);
  const users = path.join(dir, "users");
  const home = path.join(dir, "home", user.name);
  const lines = (text: string) => text.split("\n").filter((l) => l && !l.startsWith(`${user.name}:`));
  const passwd = [...lines(hostPasswd), `${user.name}:x:${id}:${id}:lab login user:/home/${user.name}:/bin/sh`];
  const shadow = passwd.map((l) => `${l.split(":")[0]}:*:19000:0:99999:7:::`);
  const group = [...lines(hostGroup), `${user.name}:x:${id}:`];

  await mkdir(path.join(users, "sudoers.d"), { recursive: true });
  await writeFile(path.join(users, "passwd"), `${passwd.join("\n")}\n`, { mode: 0o644 });
  await writeFile(path.join(users, "shadow"), `${shadow.join("\n")}\n`, { mode: 0o640 });
  await writeFile(path.join(users, "group"), `${group.join("\n")}\n`, { mode: 0o644 });
  await writeFile(path.join(users, "sudoers"), DEBIAN_SUDOERS, { mode: 0o440 });
  await chmod(path.join(users, "sudoers.d"), 0o755);
  // StrictModes: home, ~/.ssh and authorized_keys owned by the user, none group- or world-writable.
  await mkdir(path.join(home, ".ssh"), { recursive: true });
  await chmod(path.join(dir, "home"), 0o755);
  await chmod(home, 0o755);
  await chmod(path.join(home, ".ssh"), 0o700);
  await writeFile(path.join(home, ".ssh/authorized_keys"), `${authorizedKeys.join("\n")}\n`, { mode: 0o600 });
  for (const p of [home, path.join(home, ".ssh"), path.join(home, ".ssh/authorized_keys")]) await chown(p, id, id);

  const sudoersFile = path.join(users, "sudoers.d", path.basename(SUDOERS_FILE));
  const setSudoers = async (content: string[] | undefined) => {
    if (content === undefined) return rm(sudoersFile, { force: true });
    await writeFile(sudoersFile, `${content.join("\n")}\n`);
    await chmod(sudoersFile, 0o440); // sudo ignores a sudoers file that others may write
  };
  await setSudoers(user.sudoers);

  const bind = (source: string, target: string) => `[ -e ${target} ] || touch ${target}; mount --bind ${source} ${target}`;
  return {
    uid: id,
    mounts: [
      ...["passwd", "shadow", "group", "sudoers"].map((f) => bind(path.join(users, f), `/etc/${f}`)),
      `mkdir -p /etc/sudoers.d && mount --bind ${path.join(users, "sudoers.d")} /etc/sudoers.d`,
      `mount --bind ${path.join(dir, "home")} /home`,
    ],
    setSudoers,
  };
}
