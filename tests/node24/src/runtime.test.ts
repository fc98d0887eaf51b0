import { describe, expect, it } from 'vitest';

describe('Node 24 run', () => {
  it('really runs on Node 24, and so do the processes the tests spawn', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});
