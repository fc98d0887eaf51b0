import { type ConformanceLib, runConformance } from '@auth/testkit';
import { denoTestHost } from '../test/deno-test-host.ts';
import * as adapter from './index.ts';

const lib: ConformanceLib = adapter;

runConformance(denoTestHost, {
  runtime: 'deno',
  lib,
  setEnv(vars) {
    for (const [name, value] of Object.entries(vars)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  },
});
