import * as core from '@auth/core';
import * as relay from '@auth/core/relay';
import { describe, expect, it } from 'vitest';
import * as node from './index.ts';

describe('the public surface of @auth/node', () => {
  it('re-exports every runtime export of @auth/core, replacing only createResolver and createAuthFetch', () => {
    const replaced = ['createResolver', 'createAuthFetch'];
    for (const name of Object.keys(core)) {
      expect(name in node, `${name} is re-exported`).toBe(true);
      const same = (node as Record<string, unknown>)[name] === (core as Record<string, unknown>)[name];
      expect(same, `${name} ${replaced.includes(name) ? 'is replaced' : 'is core’s own'}`).toBe(
        !replaced.includes(name),
      );
    }
  });

  it('adds the adapter functions of the contract, with the same names as the Deno and Bun adapters', () => {
    for (const name of [
      'createResolver',
      'resolveCredentials',
      'createAuthFetch',
      'fromCommand',
      'openaiClientOptions',
    ]) {
      expect(typeof (node as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(node.detectRuntime()).toBe('node');
  });

  it('re-exports every runtime export of @auth/core/relay (createRelay bound to undici) and adds serveRelay, createRelayListener, toNodeListener', () => {
    // createRelayEngine is for writing adapters; this adapter's serveRelay is built on it.
    for (const name of Object.keys(relay).filter((name) => name !== 'createRelayEngine')) {
      expect(name in node, `${name} is re-exported`).toBe(true);
      const same = (node as Record<string, unknown>)[name] === (relay as Record<string, unknown>)[name];
      expect(same, name).toBe(name !== 'createRelay');
    }
    expect(typeof node.serveRelay).toBe('function');
    expect(typeof node.createRelayListener).toBe('function');
    expect(typeof node.toNodeListener).toBe('function');
  });
});
