import helmet from 'helmet';

/**
 * Security headers on every HTTP answer (helmet): nosniff, frame-ancestors/X-Frame-Options,
 * a referrer policy, HSTS, cross-origin isolation of the opener, and a Content-Security-Policy
 * that the Swagger UI at /docs works under: its scripts and stylesheet are served from here
 * ('self'), its page has inline <style> blocks ('unsafe-inline' styles only, never scripts)
 * and data: images. `upgrade-insecure-requests` is left out: TLS is terminated in front of the
 * service, and on a plain-HTTP deployment it would break /docs.
 */
export function securityHeaders() {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'frame-ancestors': ["'none'"],
        'upgrade-insecure-requests': null,
      },
    },
    frameguard: { action: 'deny' },
    // Reads are governed by CORS (ALLOWED_ORIGINS) and bearer tokens, which a no-cors request
    // never carries; signed attachment URLs are meant for <img src> on the clients' origins.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
}
