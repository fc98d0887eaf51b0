import { runConformance } from '@auth/testkit';
import { describe, it } from 'vitest';
import * as lib from './index.ts';
import { scopedEnv, setEnv } from './testing/scoped-env.ts';

// The suite manages OPENAI_* itself; an inherited HTTP(S)_PROXY would send its loopback requests elsewhere.
scopedEnv();

runConformance(
  { describe, it },
  {
    runtime: 'node',
    lib,
    setEnv,
  },
);
