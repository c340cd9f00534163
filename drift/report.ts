/**
 * The drift report as Markdown, for a PR comment or a scheduled run's artifact. Pure: the same
 * parsed preview always renders the same bytes (no clock, no environment), which is what the
 * golden tests pin down.
 *
 * Layout: a verdict title; "Drift since the last deployment" and (for a pull request) "What this
 * pull request changes" (drift/sections.ts), each with its change summary and one block per node:
 * a table of resource / op / property / before → after and, under it, what each addressing change
 * means and how to recover (drift/consequences.ts); then "Could not verify" (sources that did
 * not answer, with the fix); then diagnostics; then a hidden marker the PR workflow
 * uses to update its one comment instead of adding a new one each push. Everything printed has
 * been masked by the parser; the final text is masked once more, and trimmed to fit a GitHub
 * comment (65,536 characters).
 */
import { consequencesFor, type ReportSection } from "./consequences";
import { STACK_GROUP, type AddressRange, type PropertyChange, type ResourceChange, type UnverifiedSource } from "./preview-json";
import type { ChangeSection, DriftSections } from "./sections";
import { maskSecrets } from "./secret-mask";

/** Hidden marker that identifies the report comment for create-or-update. */
export const REPORT_MARKER = "<!-- homelab-ipam-drift-report -->";
/** GitHub refuses comments over 65,536 characters; stay clearly below. */
export const MAX_REPORT_CHARS = 65_000;
/** Rows per resource for creates and deletes, which list every input. */
export const MAX_ROWS_PER_RESOURCE = 12;
const MAX_VALUE_CHARS = 120;

export interface RenderOptions {
  /** Stack name for the title. */
  stack: string;
  /** Override the size limit (tests). */
  maxChars?: number;
}

const OP_LABELS: Record<string, string> = {
  create: "+ create",
  update: "~ update",
  replace: "+- replace",
  delete: "- delete",
  "create-replacement": "++ create-replacement",
  "delete-replaced": "-- delete-replaced",
  import: "= import",
  "import-replacement": "=> import-replacement",
  same: "same",
};
const OP_ORDER = ["create", "update", "replace", "delete", "create-replacement", "delete-replaced", "import", "import-replacement"];

function opLabel(change: ResourceChange): string {
  const base = OP_LABELS[change.op] ?? change.op;
  return change.missing ? `${base} (gone)` : base;
}

/** "pulumi-nodejs:dynamic/maas:Reservation" → "maas:Reservation"; "proxmoxve:index/vmLegacy:VmLegacy" → "proxmoxve:VmLegacy". */
export function shortType(type: string): string {
  const parts = type.split(":");
  const last = parts[parts.length - 1] ?? type;
  if (parts[0] === "pulumi-nodejs" && parts[1]?.startsWith("dynamic/")) return `${parts[1].slice("dynamic/".length)}:${last}`;
  return parts.length > 1 ? `${parts[0]}:${last}` : type;
}

/** Escapes a table cell: pipes, newlines, backticks in code spans. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

function code(text: string): string {
  const clean = text.replace(/`/g, "'");
  return `\`${clean}\``;
}

/** How `preview --json` writes a value that is only known after `pulumi up` (ref/pulumi.md §1.3). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * One value for a table cell: absent, unknown, null, strings and JSON, truncated. `from` skips a
 * prefix (shown as "…") so two long strings that differ late show where they differ.
 */
export function formatValue(value: unknown, from = 0): string {
  if (value === undefined) return "_(absent)_";
  if (value === UNKNOWN) return "_(known after `pulumi up`)_";
  let text = typeof value === "string" ? value : JSON.stringify(value);
  if (from > 0) text = `…${text.slice(from)}`;
  if (text.length > MAX_VALUE_CHARS) text = `${text.slice(0, MAX_VALUE_CHARS - 1)}…`;
  return code(text);
}

/** "before → after"; long strings that share a long prefix are shown from just before they differ. */
export function formatChange(before: unknown, after: unknown): string {
  let from = 0;
  if (typeof before === "string" && typeof after === "string" && (before.length > MAX_VALUE_CHARS || after.length > MAX_VALUE_CHARS)) {
    let i = 0;
    while (i < before.length && i < after.length && before[i] === after[i]) i++;
    from = Math.max(0, i - 20);
  }
  return `${formatValue(before, from)} → ${formatValue(after, from)}`;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function summaryTable(summary: Record<string, number>): string[] {
  const ops = Object.keys(summary).sort((a, b) => {
    const rank = (op: string) => (op === "same" ? 1000 : OP_ORDER.indexOf(op) === -1 ? 500 : OP_ORDER.indexOf(op));
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  if (ops.length === 0) return ["_The preview reported no change summary._"];
  return ["| Operation | Resources |", "|---|---:|", ...ops.map((op) => `| ${OP_LABELS[op] ?? op} | ${summary[op]} |`)];
}

function propertyRows(change: ResourceChange): string[] {
  const resource = `${code(change.name)} (${shortType(change.type)})`;
  const op = opLabel(change);
  const reasons = change.replaceReasons.length ? ` — replaces on ${change.replaceReasons.map(code).join(", ")}` : "";
  const props: PropertyChange[] = change.properties;
  if (props.length === 0) {
    const note = change.op === "create" ? "_(no inputs: a component)_" : "_no value change visible in the preview_";
    return [`| ${cell(resource)} | ${cell(op + reasons)} | — | ${note} |`];
  }
  const limited = change.op === "update" || change.op === "replace" ? props : props.slice(0, MAX_ROWS_PER_RESOURCE);
  const rows = limited.map((p, i) => {
    const first = i === 0;
    return `| ${first ? cell(resource) : ""} | ${first ? cell(op + reasons) : ""} | ${cell(code(p.path))} | ${cell(formatChange(p.before, p.after))} |`;
  });
  if (limited.length < props.length) rows.push(`| | | _… ${plural(props.length - limited.length, "more property", "more properties")}_ | |`);
  return rows;
}

function nodeSection(node: string, changes: ResourceChange[], range: AddressRange | null, kind: ReportSection): string[] {
  const title = node === STACK_GROUP ? "Other resources" : `Node ${code(node)}`;
  const lines = [
    `#### ${title} — ${plural(changes.length, "change")}`,
    "",
    "| Resource | Operation | Property | Before → after |",
    "|---|---|---|---|",
    ...changes.flatMap(propertyRows),
  ];
  const consequences = changes.flatMap((c) => consequencesFor(c, range, kind).map((q) => ({ change: c, q })));
  if (consequences.length) {
    lines.push("", "**What this means and how to recover**", "");
    for (const { change, q } of consequences) {
      lines.push(`- ⚠️ ${code(change.name)}: ${q.consequence}`, `  - **Recovery:** ${q.recovery}`);
    }
  }
  return lines;
}

function changeSection(section: ChangeSection, range: AddressRange | null, kind: ReportSection): string[] {
  const lines = [...summaryTable(section.changeSummary), ""];
  for (const node of Object.keys(section.nodes).sort(nodeOrder)) lines.push(...nodeSection(node, section.nodes[node]!, range, kind), "");
  return lines;
}

function unverifiedSection(unverified: readonly UnverifiedSource[]): string[] {
  if (unverified.length === 0) return [];
  const lines = [
    `### ❔ Could not verify — ${plural(unverified.length, "source")}`,
    "",
    "_Not drift: these sources did not answer, so their fields were not compared (their last known values stay in state). Everything else was checked._",
    "",
  ];
  const byNode = [...unverified].sort((a, b) => nodeOrder(a.node ?? STACK_GROUP, b.node ?? STACK_GROUP));
  for (const u of byNode) {
    const where = u.node ? `Node ${code(u.node)}` : code(u.resource);
    lines.push(`- ${where} (${code(u.resource)}, ${SOURCE_LABELS[u.source] ?? u.source}): ${u.reason}.`, `  - **Fix:** ${u.fix}.`);
  }
  return lines;
}

const SOURCE_LABELS: Record<string, string> = { kube: "cluster API", proxmox: "Proxmox guest agent" };

function diagnosticsSection(sections: DriftSections): string[] {
  // Warnings about unverified sources are already listed above, with their fix.
  const covered = new Set(sections.unverified.map((u) => u.urn));
  const seen = new Set<string>();
  const shown = sections.runs
    .flatMap((r) => r.diagnostics)
    .filter((d) => d.severity === "error" || (d.severity === "warning" && !(d.urn && covered.has(d.urn))))
    .filter((d) => {
      const key = `${d.severity}|${d.urn ?? ""}|${d.message}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
  if (shown.length === 0) return [];
  const lines = ["### Diagnostics", ""];
  for (const d of shown) {
    const where = d.urn ? ` (${code(d.urn.split("::").pop() ?? d.urn)})` : "";
    const message = d.message.length > 1_000 ? `${d.message.slice(0, 999)}…` : d.message;
    if (message.includes("\n")) {
      lines.push(`- **${d.severity}**${where}:`, "", "  ```text", ...message.split("\n").map((l) => `  ${l.replace(/```/g, "'''")}`), "  ```");
    } else {
      lines.push(`- **${d.severity}**${where}: ${message}`);
    }
  }
  return lines;
}

function nodeOrder(a: string, b: string): number {
  if (a === STACK_GROUP) return 1;
  if (b === STACK_GROUP) return -1;
  return a.localeCompare(b);
}

/** Cuts `body` at a line boundary so that it plus `tail` fits `max`, closing an open code fence. */
function trimToFit(body: string, tail: string, max: number): string {
  if (body.length + tail.length <= max) return body + tail;
  const note = "\n\n> ✂️ **Report trimmed** to fit a GitHub comment. The full report is in the workflow's `drift-report` artifact, or run `npm run drift -- --stack <stack>` locally.\n";
  let cut = body.slice(0, Math.max(0, max - tail.length - note.length - 8));
  cut = cut.slice(0, cut.lastIndexOf("\n") + 1);
  if ((cut.match(/```/g) ?? []).length % 2 === 1) cut += "```\n";
  return cut + note + tail;
}

function title(sections: DriftSections, stack: string): string {
  const drift = sections.drift.changeCount;
  const pr = sections.pullRequest?.changeCount ?? 0;
  const parts: string[] = [];
  if (drift > 0) parts.push(`${plural(drift, "change")} drifted since the last deployment`);
  if (pr > 0) parts.push(`${plural(pr, "change")} in this pull request`);
  if (sections.unverified.length > 0) parts.push(`${plural(sections.unverified.length, "source")} could not be verified`);
  const icon = drift > 0 ? "⚠️" : pr > 0 ? "📝" : sections.unverified.length > 0 ? "❔" : "✅";
  if (parts.length === 0) return `## ${icon} No drift and no changes on stack ${stack}`;
  return `## ${icon} Stack ${stack}: ${parts.join(", ")}`;
}

/** Renders the Markdown report for the two sections. */
export function renderReport(sections: DriftSections, options: RenderOptions): string {
  const stack = code(options.stack);
  const range = sections.runs.find((r) => r.dynamicRange)?.dynamicRange ?? null;
  const lines: string[] = [title(sections, stack), ""];
  if (sections.runs.some((r) => r.maybeCorrupt)) {
    lines.push("> ⚠️ Pulumi flagged this run as **maybe corrupt** (an earlier operation was interrupted); check `pulumi stack export` before running `pulumi up`.", "");
  }

  lines.push(
    "### Drift since the last deployment",
    "",
    "_`pulumi refresh --preview-only`: what MAAS, Proxmox and the nodes report now (before), against what the last `pulumi up` set (after); `pulumi up` restores it._",
    "",
  );
  if (sections.drift.changeCount === 0) {
    lines.push(
      sections.unverified.length
        ? "No drift in what could be checked: MAAS reservations, VMs, K3s settings and the nodes that answered match the last deployment."
        : "No drift: MAAS reservations, VMs, K3s settings and the nodes' live addresses match the last deployment.",
      "",
    );
  } else {
    lines.push(...changeSection(sections.drift, range, "drift"));
  }
  const refreshRun = sections.runs[0]!;
  if (refreshRun.changeCount > refreshRun.changes.length) {
    lines.push(`> ℹ️ Pulumi counted ${plural(refreshRun.changeCount - refreshRun.changes.length, "change")} that its JSON output does not itemise.`, "");
  }

  if (sections.pullRequest) {
    lines.push(
      "### What this pull request changes",
      "",
      "_`pulumi preview --refresh`: the program against the refreshed state (before → after `pulumi up`); changes that only undo the drift above are not repeated._",
      "",
    );
    if (sections.pullRequest.changeCount === 0) lines.push("The program declares what was last deployed: `pulumi up` changes nothing beyond repairing the drift above.", "");
    else lines.push(...changeSection(sections.pullRequest, range, "change"));
  }

  lines.push(...unverifiedSection(sections.unverified), "");
  const diag = diagnosticsSection(sections);
  if (diag.length) lines.push(...diag, "");
  const body = maskSecrets(lines.join("\n").replace(/\n{3,}/g, "\n\n"));
  return trimToFit(body, `\n${REPORT_MARKER}\n`, options.maxChars ?? MAX_REPORT_CHARS);
}
