/**
 * While a resource registers, the Node SDK wraps every promise it makes in `debuggablePromise`,
 * four per property (value, known, secret, dependencies), and each one evaluates
 * `new Error().stack`. The SDK's program runner registers source-map-support, which maps every
 * frame of such a trace, so a ten-property resource spends ≈ 4 ms on traces. They are read only to
 * print leaked promises when PULUMI_DEBUG_PROMISE_LEAKS is set (@pulumi/pulumi runtime/debuggable.js).
 * An `up` of 2000 MaasReservations took 22.9 s with them and 13.0 s without (the benchmark's programs, one run).
 *
 * So our resource classes register with stack capture off, unless that variable asks for the traces:
 *
 *     const resume = pausePromiseStacks();
 *     try { super(...); } catch (err) { throw resume(err, new.target); } finally { resume(); }
 *
 * The SDK's own source-position lookup raises the limit for itself (Resource.callsites), so errors
 * the engine reports still point at the program line.
 */

/** What `pausePromiseStacks` returns: restores the limit; given an error raised meanwhile, gives it a stack from `caller`'s caller. */
export type ResumeStacks = (err?: unknown, caller?: Function) => unknown;

export function pausePromiseStacks(): ResumeStacks {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return (err) => err;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return (err, caller) => {
    Error.stackTraceLimit = limit;
    // An error created while capture was off has a stack of one line; give it the caller's frames.
    if (err instanceof Error && caller) Error.captureStackTrace(err, caller);
    return err;
  };
}
