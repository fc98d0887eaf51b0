import { describe, it } from 'bun:test';
import { type ConformanceLib, runConformance } from '@auth/testkit';
import * as adapter from './index.ts';

const lib: ConformanceLib = adapter;

runConformance(
  { describe, it },
  {
    runtime: 'bun',
    lib,
    setEnv(vars) {
      for (const [name, value] of Object.entries(vars)) {
        if (value === undefined) delete Bun.env[name];
        else Bun.env[name] = value;
      }
    },
  },
);
