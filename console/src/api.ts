// The gateway's REST/JSON API (proto3 JSON, AIP-193 errors), called with the session's
// bearer token. Paths are those of the google.api.http bindings (see /openapi.json).

import { current, signOut } from './auth';

/** An AIP-193 error, with BadRequest field violations keyed by field path. */
export class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly status: string,
    message: string,
    readonly reason: string,
    readonly violations: Map<string, string>,
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: {
    code?: number;
    status?: string;
    message?: string;
    details?: Array<{
      '@type'?: string;
      reason?: string;
      fieldViolations?: Array<{ field?: string; description?: string }>;
    }>;
  };
}

function toError(httpStatus: number, body: ErrorBody | null, fallback: string): ApiError {
  const err = body?.error;
  const violations = new Map<string, string>();
  let reason = '';
  for (const detail of err?.details ?? []) {
    if (detail.reason) reason = detail.reason;
    for (const v of detail.fieldViolations ?? []) {
      if (v.field) violations.set(v.field, v.description ?? '');
    }
  }
  return new ApiError(httpStatus, err?.status ?? String(httpStatus), err?.message ?? fallback, reason, violations);
}

/** Called when the gateway says the token is no good (401): back to sign-in. */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

export function headers(json = false): Headers {
  const h = new Headers();
  const session = current();
  if (session) h.set('authorization', `Bearer ${session.token}`);
  if (json) h.set('content-type', 'application/json');
  return h;
}

/** One call; resolves with the JSON reply, rejects with an ApiError. */
export async function call<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  return reply<T>(response);
}

/** The GetClient360 call public/boot.js started for `path`, if it did (once). */
export function takeEarly<T>(path: string): Promise<T> | null {
  const early = (window as { __consolePop?: { url: string; response: Promise<Response> } }).__consolePop;
  if (!early || early.url !== path) return null;
  delete (window as { __consolePop?: unknown }).__consolePop;
  performance.mark('console:early-360');
  return early.response.then((response) => reply<T>(response));
}

async function reply<T>(response: Response): Promise<T> {
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = null;
  }
  if (!response.ok) {
    if (response.status === 401) {
      signOut();
      onUnauthenticated();
    }
    throw toError(response.status, json as ErrorBody | null, text || response.statusText);
  }
  return json as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => call<T>('GET', path, undefined, signal);

/** `?a=1&b=2`, skipping empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function pool<I, O>(items: I[], limit: number, fn: (item: I) => Promise<O>): Promise<O[]> {
  const out: O[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}

export interface StreamHandlers<T> {
  onMessage: (message: T) => void;
  onState: (state: { kind: 'connecting' } | { kind: 'live' } | { kind: 'retrying'; seconds: number } | { kind: 'stopped'; error: ApiError }) => void;
}

/**
 * Follows a server stream the gateway transcodes to NDJSON (`{"result": …}` per message,
 * `{"error": …}` if it fails midway), with fetch and a stream reader: EventSource cannot send
 * the Authorization header. On a dropped connection it reconnects with exponential backoff
 * (1 s doubling to 30 s, with jitter), resuming at `resume()`'s path; a refusal (4xx) stops.
 * Returns a function that stops following.
 */
export function follow<T>(path: () => string, handlers: StreamHandlers<T>): () => void {
  const controller = new AbortController();
  let attempt = 0;
  const decoder = new TextDecoder();

  const run = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      handlers.onState({ kind: 'connecting' });
      let fatal: ApiError | null = null;
      try {
        const response = await fetch(path(), { headers: headers(), signal: controller.signal });
        if (!response.ok || !response.body) {
          const body = (await response.json().catch(() => null)) as ErrorBody | null;
          const err = toError(response.status, body, response.statusText);
          if (response.status >= 400 && response.status < 500 && response.status !== 429) fatal = err;
          throw err;
        }
        handlers.onState({ kind: 'live' });
        attempt = 0;
        const reader = response.body.getReader();
        let buffer = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let newline: number;
          while ((newline = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (!line) continue;
            const parsed = JSON.parse(line) as { result?: T } & ErrorBody;
            if (parsed.result !== undefined) handlers.onMessage(parsed.result);
            else if (parsed.error) throw toError(parsed.error.code ?? 500, parsed, 'stream failed');
          }
        }
      } catch {
        if (controller.signal.aborted) return;
        if (fatal) {
          handlers.onState({ kind: 'stopped', error: fatal });
          return;
        }
      }
      // The stream ended or broke: wait, then resume after the last message seen.
      const seconds = Math.min(30, 2 ** attempt) * (0.75 + Math.random() * 0.5);
      attempt += 1;
      handlers.onState({ kind: 'retrying', seconds: Math.round(seconds) });
      await new Promise((resolve) => window.setTimeout(resolve, seconds * 1000));
    }
  };
  void run();
  return () => controller.abort();
}
