/**
 * The page's script, bundled for the browser by esbuild when the server starts. It holds no key and never
 * could: the official SDK gets `openaiBrowserOptions`, whose fetch talks only to the app's relay and sends the
 * session cookie (HttpOnly, so this script cannot read it either) instead of an `Authorization` header.
 */
import { fetchRealtimeSecret, openaiBrowserOptions, RelayError } from '@auth/browser';
import OpenAI from 'openai';

const relayURL = '/api/openai';

function element<T extends HTMLElement>(testId: string, type: new () => T): T {
  const found = document.querySelector(`[data-testid="${testId}"]`);
  if (!(found instanceof type)) throw new Error(`browser-chat: the page has no ${testId} element`);
  return found;
}

const signInButton = element('sign-in', HTMLButtonElement);
const signOutButton = element('sign-out', HTMLButtonElement);
const status = element('status', HTMLElement);
const form = element('chat', HTMLFormElement);
const prompt = element('prompt', HTMLTextAreaElement);
const sendButton = element('send', HTMLButtonElement);
const reply = element('reply', HTMLElement);
const errorLine = element('error', HTMLElement);
const realtimeButton = element('realtime', HTMLButtonElement);
const realtimeExpiry = element('realtime-expiry', HTMLElement);
const model = document.body.dataset.model ?? 'gpt-4o-mini';

// Retries are the SDK's own (429 and 5xx, with its back-off): the relay fetch adds none on top.
const client = new OpenAI({ ...openaiBrowserOptions({ relayURL }), timeout: 60_000 });

let signedIn = document.body.dataset.signedIn === 'true';
let busy = false;
let streaming: AbortController | undefined;

function render(): void {
  signInButton.disabled = signedIn;
  signOutButton.disabled = !signedIn;
  // Sending while signed out stays possible on purpose: it shows the relay's 401.
  sendButton.disabled = busy;
}

function say(text: string): void {
  status.textContent = text;
}

function fail(text: string): void {
  errorLine.textContent = text;
}

/** A message for the user; the relay's errors are generic by design, so nothing here can hold a secret. */
function explain(error: unknown): string {
  if (error instanceof OpenAI.APIError || RelayError.is(error)) {
    const code = error.status;
    if (code === 401)
      return 'Not signed in: the relay answered 401 without reading the request. Sign in first.';
    if (code === 429) return 'Too many requests for this session: the relay’s rate limit. Try again shortly.';
    if (code === 403) return 'The relay refused this request (403).';
    if (code !== undefined) return `The relay answered ${code}.`;
  }
  return 'No answer from the relay.';
}

async function changeSession(method: 'POST' | 'DELETE'): Promise<void> {
  fail('');
  const response = await fetch('/session', { method }).catch(() => undefined);
  if (response === undefined || !response.ok) {
    fail(`Could not ${method === 'POST' ? 'sign in' : 'sign out'} (${response?.status ?? 'no answer'}).`);
    return;
  }
  const body = (await response.json()) as { signedIn?: boolean; user?: string };
  signedIn = body.signedIn === true;
  if (!signedIn) streaming?.abort();
  say(
    signedIn
      ? `Signed in as ${body.user ?? 'a demo user'}.`
      : 'Signed out: the session is gone on the server too.',
  );
  render();
}

signInButton.addEventListener('click', () => void changeSession('POST'));
signOutButton.addEventListener('click', () => void changeSession('DELETE'));

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void send();
});

async function send(): Promise<void> {
  const text = prompt.value.trim();
  if (text === '' || busy) return;
  const controller = new AbortController();
  streaming = controller;
  busy = true;
  render();
  reply.textContent = '';
  fail('');
  try {
    const stream = await client.chat.completions.create(
      { model, messages: [{ role: 'user', content: text }], stream: true },
      { signal: controller.signal },
    );
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content;
      // One text node per delta: the answer visibly grows as each event arrives.
      if (delta) reply.append(delta);
    }
  } catch (error) {
    if (!controller.signal.aborted) fail(explain(error));
  } finally {
    streaming = undefined;
    busy = false;
    render();
  }
}

realtimeButton.addEventListener('click', () => void mintRealtimeSecret());

async function mintRealtimeSecret(): Promise<void> {
  realtimeButton.disabled = true;
  realtimeExpiry.textContent = 'Minting…';
  try {
    // A real app would hand `value` straight to its RTCPeerConnection or WebSocket; this demo only shows that
    // one was minted, and lets it go out of scope unused.
    const { expiresAt } = await fetchRealtimeSecret({ relayURL, ttlSeconds: 120 });
    const seconds = Math.max(0, Math.round((expiresAt.getTime() - Date.now()) / 1000));
    const time = document.createElement('time');
    time.dateTime = expiresAt.toISOString();
    time.textContent = expiresAt.toLocaleTimeString();
    realtimeExpiry.replaceChildren(
      'Minted a Realtime secret (ek_…, not shown). It expires at ',
      time,
      ` (in ${seconds} s).`,
    );
  } catch (error) {
    realtimeExpiry.textContent = explain(error);
  } finally {
    realtimeButton.disabled = false;
  }
}

render();
