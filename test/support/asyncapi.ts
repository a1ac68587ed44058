import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is JSON of any shape
export type AsyncApiDoc = any;

/**
 * Strict copies of the document's schemas: every object schema that lists its properties admits
 * no other, so a field the code sends but the document does not describe fails the test (the
 * document itself stays open, as clients must ignore fields they do not know).
 */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = strict(v);
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

/**
 * Validators for the document's messages: by message name, and for the server's frames by their
 * `event` (the messages the server sends on /ws).
 */
export function frameValidators(doc: AsyncApiDoc): {
  byName: (name: string) => ValidateFunction;
  serverEvent: (event: string) => ValidateFunction | undefined;
  clientEvent: (event: string) => ValidateFunction | undefined;
  busRecord: (type: string) => ValidateFunction | undefined;
} {
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as { default: (a: Ajv) => void }).default(ajv);
  ajv.addSchema({ $id: 'asyncapi.json', components: strict(doc.components) });
  const cache = new Map<string, ValidateFunction>();
  const byName = (name: string): ValidateFunction => {
    let v = cache.get(name);
    if (!v) {
      v = ajv.compile({ $ref: `asyncapi.json#/components/messages/${name}/payload` });
      cache.set(name, v);
    }
    return v;
  };
  const direction = (dir: string) => {
    const names = new Map<string, string>();
    for (const [name, m] of Object.entries<{ title: string; 'x-direction'?: string }>(
      doc.components.messages,
    ))
      if (m['x-direction'] === dir) names.set(m.title, name);
    return (event: string) => {
      const name = names.get(event);
      return name === undefined ? undefined : byName(name);
    };
  };
  const records = new Map<string, string>();
  for (const name of Object.keys(doc.channels.chatEvents?.messages ?? {}))
    records.set(doc.components.messages[name].title, name);
  return {
    byName,
    busRecord: (type: string) => {
      const name = records.get(type);
      return name === undefined ? undefined : byName(name);
    },
    serverEvent: direction('server-to-client'),
    clientEvent: direction('client-to-server'),
  };
}
