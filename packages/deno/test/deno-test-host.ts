/**
 * `describe`/`it` over `Deno.test`, for suites written against that minimal surface (the testkit's
 * conformance suite). Every `it` becomes its own `Deno.test`, so `deno test` counts and reports each case,
 * and Deno's sanitizers check each one for leaked timers, ops and resources (an upstream left open fails its
 * case). `jsr:@std/testing/bdd` would do the same, but JSR is out of reach here.
 */
export interface DenoTestHost {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void): void;
}

const names: string[] = [];

export const denoTestHost: DenoTestHost = {
  describe(name, body) {
    names.push(name);
    try {
      body();
    } finally {
      names.pop();
    }
  },
  it(name, body) {
    Deno.test([...names, name].join(' › '), async () => {
      await body();
    });
  },
};
