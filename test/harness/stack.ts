/** Engine tests use the same throwaway stacks as the lab and the benchmark. */
export { changedSteps, createTempStack, repoRoot } from "../../lab/temp-stack";
export type { CliResult, ConfigInput, PreviewDocument, TempStack, TempStackOptions, TempStackPlugin } from "../../lab/temp-stack";
