/** The page's HTML, rendered on the server: nothing in it comes from the browser except "signed in or not". */

/** What the page shows about the server side. */
export interface PageState {
  mode: 'online' | 'offline';
  /** Where the relay sends requests, for the mode line: an origin, never a URL with credentials. */
  upstreamOrigin: string;
  model: string;
  signedIn: boolean;
}

const escapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => escapes[character] ?? character);
}

/**
 * The page. Its one script and one stylesheet are same-origin files, so the CSP can be `script-src 'self'`
 * with no inline code at all.
 *
 * @example
 * renderPage({ mode: 'offline', upstreamOrigin: 'http://127.0.0.1:4010', model: 'gpt-4o-mini', signedIn: false });
 */
export function renderPage(state: PageState): string {
  const mode =
    state.mode === 'offline'
      ? `Offline mode: the relay talks to a local stub of the OpenAI API (${escapeHtml(state.upstreamOrigin)}) with a fake key made for this run. Set <code>OPENAI_API_KEY</code> to use the real API.`
      : `Online mode: the relay talks to ${escapeHtml(state.upstreamOrigin)} with the server’s key.`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>browser-chat · the OpenAI API without a key in the browser</title>
<link rel="stylesheet" href="/app.css">
<script type="module" src="/app.js"></script>
</head>
<body data-signed-in="${state.signedIn}" data-model="${escapeHtml(state.model)}">
<main>
  <header>
    <h1>browser-chat</h1>
    <p class="lede">The official <code>openai</code> SDK, running in this page with no API key: every request goes to
    this app’s relay at <code>/api/openai</code>, which checks your session cookie and adds the key on the server.</p>
    <p class="mode ${state.mode}" data-testid="upstream-mode">${mode}</p>
  </header>

  <section aria-labelledby="session-heading">
    <h2 id="session-heading"><span class="step">1</span> Session</h2>
    <p class="hint">Signing in sets an HttpOnly, SameSite=Strict cookie that scripts cannot read. Without it the relay
    answers 401 before it reads the request.</p>
    <div class="row">
      <p class="status" data-testid="status" role="status">${state.signedIn ? 'Signed in.' : 'Signed out.'}</p>
      <button type="button" data-testid="sign-in" id="sign-in">Sign in as a demo user</button>
      <button type="button" data-testid="sign-out" id="sign-out" class="secondary">Sign out</button>
    </div>
  </section>

  <section aria-labelledby="chat-heading">
    <h2 id="chat-heading"><span class="step">2</span> Chat</h2>
    <form id="chat" data-testid="chat">
      <label for="prompt">Prompt</label>
      <textarea id="prompt" data-testid="prompt" rows="3" maxlength="4000" placeholder="Ask something…"></textarea>
      <div class="row">
        <button type="submit" data-testid="send" id="send">Send</button>
        <span class="hint">Model <code>${escapeHtml(state.model)}</code>, streamed token by token.</span>
      </div>
    </form>
    <div class="reply" data-testid="reply" aria-live="polite"></div>
    <p class="error" data-testid="error" role="alert"></p>
  </section>

  <section aria-labelledby="realtime-heading">
    <h2 id="realtime-heading"><span class="step">3</span> Realtime</h2>
    <p class="hint">A browser talks to the Realtime API directly with a short-lived <code>ek_</code> secret that the
    relay mints with the server’s key. The page keeps it only long enough to use it and never shows it.</p>
    <div class="row">
      <button type="button" data-testid="realtime" id="realtime" class="secondary">Mint a Realtime secret</button>
      <p data-testid="realtime-expiry" class="status"></p>
    </div>
  </section>
</main>
</body>
</html>
`;
}
