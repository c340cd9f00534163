/**
 * `npm run drift` exit codes, what CI gates on (.github/workflows/drift.yml, pr-preview.yml):
 *   0  clean: nothing drifted, the pull request changes nothing, every source answered;
 *   1  error: the Pulumi CLI failed, printed no JSON, or could not be found / is incompatible;
 *   2  drift or changes: at least one create/update/replace/delete in either section;
 *   3  could not verify: nothing differs among what could be checked, but at least one source
 *      (a cluster API, a guest agent) did not answer. Not drift; the report says why and the fix.
 * Drift wins over "could not verify": a run with both exits 2.
 */
import type { Verdict } from "./sections";

export const EXIT_CLEAN = 0;
export const EXIT_ERROR = 1;
export const EXIT_DRIFT = 2;
export const EXIT_UNVERIFIED = 3;

export function exitCodeFor(verdict: Verdict): number {
  switch (verdict) {
    case "clean":
      return EXIT_CLEAN;
    case "unverified":
      return EXIT_UNVERIFIED;
    default:
      return EXIT_DRIFT;
  }
}
