// One authenticated JSON request over a keep-alive agent, for the scenarios that drive the REST
// API one request at a time (edits, sidebar, reconnect): answers the parsed body (null when
// empty) and fails on any status of 300 and above, with the start of the body.
import http from 'node:http';

export function request(agent, url, token, method, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode >= 300)
            return reject(
              new Error(`${method} ${url}: HTTP ${res.statusCode} ${text.slice(0, 200)}`),
            );
          resolve(text ? JSON.parse(text) : null);
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
