// Tokens: the access token is refreshed before it expires; refresh tokens rotate, so only one
// refresh may be in flight at a time (a second one would spend an already-spent token and
// revoke the whole login).

export interface AuthUser {
  id: string;
  username: string;
  email: string;
  avatarUrl: string | null;
  status: string;
  createdAt: string;
  updatedAt: string;
}

export interface Session {
  user: AuthUser;
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
}

/** The answer of /api/auth/register, /login and /refresh. */
export interface AuthResponse {
  user: AuthUser;
  accessToken: string;
  refreshToken: string;
  /** Access token lifetime, seconds. */
  expiresIn: number;
}

/** An HTTP error answer of the service: its status and the contract's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static async from(res: Response): Promise<ApiError> {
    const body: unknown = await res.json().catch(() => null);
    const b = (body ?? {}) as { code?: string; message?: string | string[] };
    const msg = Array.isArray(b.message) ? b.message.join('; ') : b.message;
    return new ApiError(res.status, b.code, msg ?? `HTTP ${res.status}`, body);
  }
}

export function sessionFrom(r: AuthResponse, now = Date.now()): Session {
  return {
    user: r.user,
    accessToken: r.accessToken,
    refreshToken: r.refreshToken,
    expiresAt: now + r.expiresIn * 1000,
  };
}
