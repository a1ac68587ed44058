// The reference web app (web/, built by Vite into dist/web) served at `/`: its files, and its
// index.html for any other page a browser navigates to (the app routes on the client). The API,
// docs, WebSocket, health and metrics paths are never answered with it, and neither is a
// request that does not ask for HTML, so unknown paths keep the JSON 404 for API clients.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextFunction, Request, Response } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';

const RESERVED = /^\/(api|docs|ws|health|metrics|asyncapi)(\/|$|\.|-)/;

/** dist/web beside the compiled service (dist/src), or from the sources (src/, in tests). */
export function findWebAppDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url)); // …/src/common/http
  for (const dir of [join(here, '../../../dist/web'), join(here, '../../../web')]) {
    // Only a build has assets/: web/ itself holds the sources.
    if (existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'assets'))) return dir;
  }
  return null;
}

/** Serves the web app when it was built; returns whether it did. */
export function serveWebApp(app: NestExpressApplication, dir = findWebAppDir()): boolean {
  if (!dir) return false;
  const index = join(dir, 'index.html');
  app.useStaticAssets(dir, {
    index: false,
    setHeaders: (res: Response, path: string) => {
      // Vite puts a content hash in every asset's name: cache them for good, never the page.
      res.setHeader(
        'Cache-Control',
        path.includes(`${join(dir, 'assets')}`)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      );
    },
  });
  app
    .getHttpAdapter()
    .getInstance()
    .use((req: Request, res: Response, next: NextFunction) => {
      const wantsPage =
        (req.method === 'GET' || req.method === 'HEAD') &&
        !RESERVED.test(req.path) &&
        (req.headers.accept ?? '').includes('text/html');
      if (!wantsPage) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(index);
    });
  return true;
}
