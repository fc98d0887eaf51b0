import { runRelayConformance } from '@auth/testkit';
import { describe, it } from 'vitest';
import { createResolver, serveRelay } from './index.ts';
import { scopedEnv } from './testing/scoped-env.ts';

// The resolver gets explicit values; an inherited HTTP(S)_PROXY would send the relay's upstream calls elsewhere.
scopedEnv();

runRelayConformance({ describe, it }, { runtime: 'node', serveRelay, createResolver });
