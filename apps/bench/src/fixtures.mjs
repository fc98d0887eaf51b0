// What every path of the relay bench shares: the mount path, the request bodies, the stub's answers, and the
// run's secrets (a fake key, a session id), generated at run time. Plain JavaScript with Web globals only:
// Node, Deno and Bun all import this file.

export const MOUNT = '/api/openai';
export const MODEL = 'gpt-4o-mini';
export const SSE_EVENTS = 20;

export const completion = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: MODEL,
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello! How can I help you today? '.repeat(8) },
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 72, total_tokens: 84 },
});

/** The stub's stream: SSE_EVENTS chunks and `[DONE]`, one write per event as the API does. */
export const sseEvents = [
  ...Array.from(
    { length: SSE_EVENTS },
    (_, i) =>
      `data: ${JSON.stringify({
        id: 'chatcmpl-bench',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model: MODEL,
        choices: [{ index: 0, delta: { content: `token ${i} ` }, finish_reason: null }],
      })}\n\n`,
  ),
  'data: [DONE]\n\n',
];
export const sseBody = sseEvents.join('');

export const bodies = {
  JSON: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say hello.' }] }),
  SSE: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say hello.' }], stream: true }),
};

/** Is `text` the whole answer of `kind`, whatever a proxy did to the framing or the JSON spacing? */
export function isFullAnswer(kind, text) {
  if (kind === 'JSON') {
    try {
      const body = JSON.parse(text);
      return body.choices?.[0]?.message?.content === JSON.parse(completion).choices[0].message.content;
    } catch {
      return false;
    }
  }
  const data = text
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trim());
  return data.length === SSE_EVENTS + 1 && data.at(-1) === '[DONE]' && data[0].includes('token 0 ');
}

export const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URL_SAFE = `${ALPHANUMERIC}_-`;

/** Uniformly random characters of `alphabet` from Web Crypto (rejection sampling, as @auth/testkit does). */
export function randomString(alphabet, length) {
  const limit = 256 - (256 % alphabet.length);
  let result = '';
  while (result.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte >= limit) continue;
      result += alphabet.charAt(byte % alphabet.length);
      if (result.length === length) break;
    }
  }
  return result;
}

/**
 * A new random fake project key, shaped like @auth/testkit's `fakeKey('project')` (prefix, alphabet, the
 * base64 "OpenAI" marker, length), built at run time so no key-shaped literal is in the repository. The bench
 * runs on Node 20, which cannot import the testkit's TypeScript source, hence this copy.
 */
export function fakeProjectKey() {
  const marker = btoa('OpenAI');
  return `sk-proj-${randomString(URL_SAFE, 74)}${marker}${randomString(URL_SAFE, 73)}${randomString(ALPHANUMERIC, 1)}`;
}
