/**
 * The drift check (`npm run drift`) and its pieces, for scripts and tests:
 * - preview-json (+ preview/): Pulumi's JSON output → per-node, property-level changes and unverified sources;
 * - sections: drift since the last deployment vs what this pull request changes;
 * - consequences: what each addressing change means and how to recover (one rule per situation);
 * - report / summary: the Markdown PR comment and the JSON summary;
 * - cli / exit-codes: argument parsing, the Pulumi runs and the 0 / 2 / 3 / 1 exit codes;
 * - pulumi-cli: which Pulumi CLI is used (PULUMI_BIN, PATH, the project's build) and the compatible range;
 * - secret-mask: the last line of defence against a credential in printed text.
 */
export {
  parsePreview,
  PreviewParseError,
  STACK_GROUP,
  type ParsedPreview,
  type PreviewDocument,
  type PreviewMode,
  type PropertyChange,
  type ResourceChange,
  type UnverifiedSource,
} from "./preview-json";
export { buildSections, onlyUndoesDrift, type DriftSections, type Verdict } from "./sections";
export { CONSEQUENCE_RULES, consequencesFor, type Consequence, type ConsequenceRule, type ReportSection } from "./consequences";
export { renderReport, REPORT_MARKER, MAX_REPORT_CHARS, type RenderOptions } from "./report";
export { buildSummary, type DriftSummary, type DriftSummaryChange } from "./summary";
export { runDrift, parseDriftArgs, pulumiArgs, type DriftOptions } from "./cli";
export { EXIT_CLEAN, EXIT_DRIFT, EXIT_ERROR, EXIT_UNVERIFIED, exitCodeFor } from "./exit-codes";
export { maskSecrets, maskValue, MASK } from "./secret-mask";
export { locatePulumiCli, compatibleRange, incompatibility } from "./pulumi-cli";
