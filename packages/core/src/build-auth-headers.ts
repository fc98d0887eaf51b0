import { validateCredentialValue } from './validate-credential-value.ts';

/** What {@link buildAuthHeaders} needs: a key, and optionally the organization and project to bill. */
export interface AuthHeaderInput {
  readonly apiKey: string;
  readonly organization?: string | null | undefined;
  readonly project?: string | null | undefined;
}

/**
 * The header set OpenAI expects. The optional headers are absent, never empty, when not set. A type alias, not
 * an interface, so it is assignable to `Record<string, string>` (what `fetch` and `Headers` take).
 */
export type AuthHeaders = {
  Authorization: string;
  'OpenAI-Organization'?: string;
  'OpenAI-Project'?: string;
};

/**
 * Builds the validated OpenAI header set. Every value is checked before any `Headers` object sees it (no CR,
 * LF, NUL, whitespace or non-ASCII; no comma in IDs), so a bad value fails with an error that never quotes it.
 * Values must be strings: objects are never coerced, so a `toString` cannot smuggle a line break in.
 *
 * @example
 * const headers = buildAuthHeaders(await resolver.resolve());
 * await fetch('https://api.openai.com/v1/models', { headers });
 */
export function buildAuthHeaders(credentials: AuthHeaderInput): AuthHeaders {
  const headers: AuthHeaders = {
    Authorization: `Bearer ${validateCredentialValue('apiKey', credentials.apiKey, 'apiKey')}`,
  };
  const { organization, project } = credentials;
  if (organization != null && organization !== '') {
    headers['OpenAI-Organization'] = validateCredentialValue('organization', organization, 'organization');
  }
  if (project != null && project !== '') {
    headers['OpenAI-Project'] = validateCredentialValue('project', project, 'project');
  }
  return headers;
}
