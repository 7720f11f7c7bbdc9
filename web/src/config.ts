/**
 * What the app learns at run time from /config.json (written next to the app by the deploy, served
 * by the local cloud's web gateway), so one build serves every deployment.
 */
export interface RuntimeConfig {
  /** The API's base URL: "/api" on the same origin (the gateway or CloudFront forwards it). */
  apiUrl: string;
  /** The live notifications WebSocket API (wss://<api>.execute-api.<region>.amazonaws.com/<stage>; the stand-in locally). */
  webSocketUrl?: string;
  cognito: {
    /** Cognito's endpoint: https://cognito-idp.<region>.amazonaws.com/ in AWS, the stand-in locally. */
    endpoint: string;
    /** The user pool's app client (no secret: a public browser client). */
    clientId: string;
    /**
     * In AWS: the hosted sign-in domain (https://<prefix>.auth.<region>.amazoncognito.com). When set, sign-in
     * is its authorization code flow with PKCE (/oauth2/authorize, /oauth2/token, /logout).
     */
    domain?: string;
    /** Where the provider returns the browser; by default the app's origin (Cognito's callback URL is app_url). */
    redirectUri?: string;
    /** The scopes asked for; by default "openid email profile" (the app client's). */
    scopes?: string;
  };
  /** The deployment's mailbox OAuth2 providers (config mailbox_oauth, e.g. "google"); absent or empty: none. */
  mailboxOAuthProviders?: string[];
  /** Local only: the seeded users offered on the sign-in page (never set in AWS). */
  devUsers?: { email: string; role: string }[];
}

let loaded: RuntimeConfig | undefined;

/** Fetches /config.json once; throws when it is missing or unreadable. */
export async function loadConfig(): Promise<RuntimeConfig> {
  if (loaded) return loaded;
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
  loaded = (await response.json()) as RuntimeConfig;
  return loaded;
}

/** The config loaded by `loadConfig` (main.tsx awaits it before rendering). */
export function config(): RuntimeConfig {
  if (!loaded) throw new Error('config not loaded');
  return loaded;
}
