import { describe, expect, it } from 'vitest';
import { abortable } from './abortable.ts';

describe('abortable', () => {
  it('is the promise itself without a signal, and its value or error with one', async () => {
    const promise = Promise.resolve(1);
    expect(abortable(promise, undefined)).toBe(promise);
    expect(await abortable(Promise.resolve(2), new AbortController().signal)).toBe(2);
    await expect(abortable(Promise.reject(new Error('no')), new AbortController().signal)).rejects.toThrow(
      'no',
    );
  });

  it('rejects with the reason on abort, before the call ends; a late value goes to discard', async () => {
    const controller = new AbortController();
    let finish: (value: string) => void = () => undefined;
    const discarded: string[] = [];
    const waiting = abortable(
      new Promise<string>((resolve) => (finish = resolve)),
      controller.signal,
      (late) => discarded.push(late),
    );
    const reason = new Error('aborted');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    finish('handle');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(discarded).toEqual(['handle']);
  });

  it('an already aborted signal rejects at once', async () => {
    const controller = new AbortController();
    controller.abort(new Error('before'));
    await expect(abortable(new Promise(() => undefined), controller.signal)).rejects.toThrow('before');
  });
});
