import { runRelayConformance } from '@auth/testkit';
import { denoTestHost } from '../test/deno-test-host.ts';
import { createResolver, serveRelay } from './index.ts';

// The testkit's relay cases over real sockets, against `serveRelay` on Deno.serve.
runRelayConformance(denoTestHost, { runtime: 'deno', serveRelay, createResolver });
