import { describe, it } from 'bun:test';
import { runRelayConformance } from '@auth/testkit';
import { createResolver, serveRelay } from './index.ts';

// The testkit's relay cases over real sockets, against `serveRelay` on Bun.serve.
runRelayConformance({ describe, it }, { runtime: 'bun', serveRelay, createResolver });
