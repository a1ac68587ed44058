import { randomUUID } from 'node:crypto';

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A thin fetch wrapper: JSON in, JSON out, never throws on a status. */
export async function http<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) {
    body = opts.rawBody;
    headers['content-type'] ??= 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep text */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

let counter = 0;
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${(counter++).toString(36)}${randomUUID().slice(0, 6)}`.slice(
    0,
    32,
  );
}

/** Factory: a fresh registered user (every test makes its own). */
export async function registerUser(
  baseUrl: string,
  overrides: Partial<{ username: string; email: string; password: string }> = {},
): Promise<TestUser> {
  const username = overrides.username ?? uniqueName('u');
  const email = overrides.email ?? `${username}@example.test`;
  const password = overrides.password ?? 'correct horse battery';
  const res = await http(baseUrl, 'POST', '/api/auth/register', {
    body: { username, email, password },
  });
  if (res.status !== 201)
    throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    id: res.body.user.id,
    username,
    email,
    password,
    accessToken: res.body.accessToken,
    refreshToken: res.body.refreshToken,
  };
}

/** Factory: a room owned by `owner`. */
export async function createRoom(
  baseUrl: string,
  owner: TestUser,
  opts: { isPrivate?: boolean; password?: string; name?: string; description?: string } = {},
): Promise<any> {
  const body: Record<string, unknown> = {
    name: opts.name ?? uniqueName('room'),
    isPrivate: opts.isPrivate ?? false,
  };
  if (opts.password !== undefined) body.password = opts.password;
  if (opts.description !== undefined) body.description = opts.description;
  const res = await http(baseUrl, 'POST', '/api/rooms', { token: owner.accessToken, body });
  if (res.status !== 201)
    throw new Error(`create room failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function joinRoom(
  baseUrl: string,
  user: TestUser,
  roomId: string,
  password?: string,
): Promise<HttpResult> {
  return http(baseUrl, 'POST', `/api/rooms/${roomId}/join`, {
    token: user.accessToken,
    body: password === undefined ? {} : { password },
  });
}
