/**
 * One problem found in the stack config. Rules return lists of these instead of throwing, so the
 * loader can report every problem in one go (one `pulumi up` round trip fixes them all).
 */

export interface Issue {
  /** Where the problem is, e.g. `nodes["k3s-vm-pve"].ip`, `network.gateway`, `homelab:k3sToken`. */
  readonly path: string;
  /** What is wrong, naming the offending value (never a secret's value). */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;
}

/** `<path>: <what is wrong>; <how to fix>`, the one-line form used in HomelabConfigError. */
export function formatIssue(issue: Issue): string {
  return `${issue.path}: ${issue.problem}; ${issue.fix}`;
}

export function issue(path: string, problem: string, fix: string): Issue {
  return { path, problem, fix };
}
