import type { NextFunction, Request, Response } from 'express';

const UPLOAD_PATH = /^\/api\/attachments\/[0-9a-fA-F-]{36}\/upload$/;

/**
 * Keeps the body of a PUT to a local upload link a stream: the JSON and form parsers would
 * otherwise read (and cap at 64 KiB) a file sent as application/json or a form. Express's body
 * parsers skip a request whose body is marked read. Registered before them (app.factory.ts).
 */
export function keepUploadBodiesRaw() {
  return (req: Request & { _body?: boolean }, _res: Response, next: NextFunction): void => {
    if (req.method === 'PUT' && UPLOAD_PATH.test(req.path)) req._body = true;
    next();
  };
}
