/**
 * The example: credentials from `@auth/bun`, requests by the official OpenAI SDK. `bun run src/main.ts` (or
 * `pnpm start`). With no key anywhere (OPENAI_API_KEY, OPENAI_API_KEY_FILE, a `.env` file) it goes offline:
 * it starts the test kit's stub of the OpenAI API on 127.0.0.1 with a fake key of its own, so the whole flow
 * can be seen without an account.
 *
 * @module
 */
import {
  AuthError,
  type CredentialResolver,
  createResolver,
  formatReport,
  openaiClientOptions,
  redactSecrets,
} from '@auth/bun';
import OpenAI from 'openai';

const model = Bun.env.OPENAI_MODEL?.trim() || 'gpt-4o-mini';
const prompt = Bun.argv.slice(2).join(' ').trim() || 'Say hello in five words.';

/** Prints an error without any key in it: SDK errors quote the API's text, which can hold a masked key. */
function reportError(error: unknown): void {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const typed = AuthError.is(error) ? error : AuthError.is(cause) ? cause : undefined;
  const text = typed ? `[${typed.code}] ${typed.message}` : String((error as Error | null)?.message ?? error);
  console.error(`error: ${redactSecrets(text)}`);
}

/** Where the key is, and how to stop using it: the real API, or a stub started here. */
interface Target {
  resolver: CredentialResolver;
  baseURL?: string;
  close(): Promise<void>;
}

async function chooseTarget(): Promise<Target> {
  // One resolver for the whole program: it caches the key and reloads it if the API ever answers 401.
  const resolver = createResolver();
  const report = await resolver.report();
  if (report.error?.code !== 'missing_credentials') {
    console.log(`online mode: talking to ${Bun.env.OPENAI_BASE_URL?.trim() || 'the OpenAI API'}.\n`);
    return { resolver, close: async () => {} };
  }
  // Something was there but could not be used (Deno without --allow-env, say): show why before going offline.
  if (report.warnings.length > 0) console.log(`${formatReport(report)}\n`);
  // Only the offline demo needs the test kit, so only it loads it.
  const { fakeKey, startUpstream } = await import('@auth/testkit');
  const key = fakeKey('project');
  const upstream = await startUpstream({ expectedKey: key });
  console.log(
    `offline mode: no OpenAI API key is set, so the example runs against a local stub of the OpenAI API at ${upstream.url}\n` +
      'with a fake key generated for this run (it only works there). Set OPENAI_API_KEY to use the real API.\n',
  );
  return {
    resolver: createResolver({ apiKey: key, baseURL: upstream.url }),
    baseURL: upstream.url,
    close: () => upstream.close(),
  };
}

async function main(target: Target): Promise<number> {
  const report = await target.resolver.report();
  // Where each value came from, the key masked: safe to print and to paste into a bug report.
  console.log(formatReport(report));
  if (!report.ok) return 1;

  const client = new OpenAI(openaiClientOptions({ resolver: target.resolver, baseURL: target.baseURL }));

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
  for await (const chunk of stream) await Bun.write(Bun.stdout, chunk.choices[0]?.delta?.content ?? '');
  await Bun.write(Bun.stdout, '\n');
  return 0;
}

const target = await chooseTarget();
try {
  process.exitCode = await main(target);
} catch (error) {
  reportError(error);
  process.exitCode = 1;
} finally {
  await target.close();
}
