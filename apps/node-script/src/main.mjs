// The example: credentials from @auth/node, requests by the official OpenAI SDK. Run with `node src/main.mjs`
// (plain ESM, no build step), or `pnpm start` for the offline mode when no key is set.
import { AuthError, createResolver, formatReport, openaiClientOptions, redactSecrets } from '@auth/node';
import OpenAI from 'openai';

const model = process.env.OPENAI_MODEL?.trim() || 'gpt-4o-mini';
const prompt = process.argv.slice(2).join(' ').trim() || 'Say hello in five words.';

// One resolver for the whole program: it caches the key and reloads it if the API ever answers 401.
const resolver = createResolver();

/**
 * Prints an error without any key in it: SDK errors quote the API's text, which can hold a masked key.
 * @param {any} error
 */
function reportError(error) {
  const cause = error?.cause;
  const typed = AuthError.is(error) ? error : AuthError.is(cause) ? cause : undefined;
  const text = typed ? `[${typed.code}] ${typed.message}` : String(error?.message ?? error);
  console.error(`error: ${redactSecrets(text)}`);
}

async function main() {
  const report = await resolver.report();
  // Where each value came from, the key masked: safe to print and to paste into a bug report.
  console.log(formatReport(report));
  if (!report.ok) return 1;

  const client = new OpenAI(openaiClientOptions({ resolver }));

  const models = await client.models.list();
  const ids = models.data.map((entry) => entry.id);
  console.log(
    `\nmodels: ${ids.length} available (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''})`,
  );

  console.log(`\n${model}> ${prompt}`);
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: prompt }],
    stream: true,
  });
  for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
  process.stdout.write('\n');
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  reportError(error);
  process.exitCode = 1;
}
