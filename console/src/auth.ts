// The signed-in user: a bearer token pasted at sign-in, kept in sessionStorage (this tab
// only, gone when it closes). Its claims are read for display and to choose the screens;
// the gateway and the services verify it and decide what the user may do.

const STORAGE_KEY = 'crm.console.token';

export type Role =
  | 'RELATIONSHIP_MANAGER'
  | 'KEY_ACCOUNT_MANAGER'
  | 'CONTACT_CENTRE_AGENT'
  | 'RISK_ANALYST'
  | 'MARKETING_ANALYST'
  | 'ADMIN'
  | 'CHANNEL';

export interface Session {
  token: string;
  subject: string;
  role: Role;
  /** The book of clients a manager owns: the `portfolio` claim, else the subject. */
  portfolio: string;
  expiresAt: number;
}

/** The token's claims, or an error key when it is not a usable JWT. */
export function parse(token: string): Session | 'tokenInvalid' | 'tokenExpired' {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return 'tokenInvalid';
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { sub?: string; role?: Role; portfolio?: string; exp?: number };
    if (!claims.sub || !claims.role) return 'tokenInvalid';
    const expiresAt = (claims.exp ?? 0) * 1000;
    if (expiresAt && expiresAt < Date.now()) return 'tokenExpired';
    return {
      token: token.trim(),
      subject: claims.sub,
      role: claims.role,
      portfolio: claims.portfolio ?? claims.sub,
      expiresAt,
    };
  } catch {
    return 'tokenInvalid';
  }
}

export function current(): Session | null {
  const token = sessionStorage.getItem(STORAGE_KEY);
  if (!token) return null;
  const session = parse(token);
  return typeof session === 'string' ? null : session;
}

export function signIn(session: Session): void {
  sessionStorage.setItem(STORAGE_KEY, session.token);
}

export function signOut(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** Which screens a role is offered (the API still decides what each call may do). */
export function can(session: Session, screen: 'portfolio' | 'analyst' | 'admin'): boolean {
  switch (screen) {
    case 'portfolio':
      return ['RELATIONSHIP_MANAGER', 'KEY_ACCOUNT_MANAGER', 'ADMIN'].includes(session.role);
    case 'analyst':
      return ['MARKETING_ANALYST', 'RISK_ANALYST', 'ADMIN'].includes(session.role);
    case 'admin':
      return ['ADMIN', 'RISK_ANALYST'].includes(session.role);
  }
}
