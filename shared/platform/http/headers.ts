// Headers on every answer: the API serves JSON to bearer-token clients, never pages, so the
// strictest browser policy costs nothing. CORS is open to the configured origins (no
// cookies are used, so "*" is safe as a default).

export const SECURITY_HEADERS: Record<string, string> = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
};

export const CORS_ALLOW_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'if-match'];
export const CORS_EXPOSE_HEADERS = ['etag', 'location'];
export const CORS_ALLOW_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export function corsHeaders(origin: string | undefined, allowed: string): Record<string, string> {
  const origins = allowed.split(',').map((o) => o.trim());
  const allow = origins.includes('*') ? '*' : origin && origins.includes(origin) ? origin : undefined;
  if (!allow) return {};
  return {
    'access-control-allow-origin': allow,
    'access-control-expose-headers': CORS_EXPOSE_HEADERS.join(','),
    ...(allow === '*' ? {} : { vary: 'origin' }),
  };
}
