/**
 * The drift check (`npm run drift`) and its pieces, for scripts and tests:
 * - preview-json: `pulumi preview --json` types and `parsePreview` (per-node, property-level changes);
 * - consequences: what each addressing change means and how to recover (one rule per situation);
 * - report / summary: the Markdown PR comment and the JSON summary;
 * - cli: argument parsing, the Pulumi run and the 0 / 2 / 1 exit codes;
 * - secret-mask: the last line of defence against a credential in printed text.
 */
export { parsePreview, PreviewParseError, STACK_GROUP, type ParsedPreview, type PreviewDocument, type PreviewMode, type PropertyChange, type ResourceChange } from "./preview-json";
export { CONSEQUENCE_RULES, consequencesFor, type Consequence, type ConsequenceRule } from "./consequences";
export { renderReport, REPORT_MARKER, MAX_REPORT_CHARS, type RenderOptions } from "./report";
export { buildSummary, type DriftSummary, type DriftSummaryChange } from "./summary";
export { runDrift, parseDriftArgs, pulumiArgs, EXIT_CLEAN, EXIT_DRIFT, EXIT_ERROR, type DriftOptions } from "./cli";
export { maskSecrets, maskValue, MASK } from "./secret-mask";
export { locatePulumiCli } from "./pulumi-cli";
