// Contract v2: "OpenAPI shows every new route with its errors". Each route of the sections
// "Room events" and "Messages: edit, delete, react, reply, mention" is in /docs-json with its
// answers, and every error status names exactly the codes that route answers with (as named
// examples of the error body), not a list shared by all routes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import { http } from '../support/http.js';

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<
    string,
    { content?: Record<string, { examples?: Record<string, { value: { code: string } }> }> }
  >;
}
interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
}

const msgs = '/api/rooms/{id}/messages';
const msg = `${msgs}/{messageId}`;
const reaction = `${msg}/reactions/{emoji}`;
const events = '/api/rooms/{id}/events';

/** route: success status, then each error status with its codes (401 and 429: every route). */
const ROUTES: [string, string, string, Record<string, string[]>][] = [
  [
    events,
    'get',
    '200',
    {
      400: ['VALIDATION_FAILED'],
      403: ['NOT_ROOM_MEMBER'],
      404: ['ROOM_NOT_FOUND'],
      409: ['RESYNC_REQUIRED'],
    },
  ],
  [
    msgs,
    'get',
    '200',
    {
      400: ['VALIDATION_FAILED'],
      403: ['NOT_ROOM_MEMBER'],
      404: ['ROOM_NOT_FOUND'],
      409: ['RESYNC_REQUIRED'],
    },
  ],
  [
    msgs,
    'post',
    '201',
    {
      400: ['ATTACHMENT_INVALID', 'MALFORMED_JSON', 'THREAD_ROOT_INVALID', 'VALIDATION_FAILED'],
      403: ['NOT_ROOM_MEMBER'],
      404: ['ROOM_NOT_FOUND'],
      409: ['CLIENT_MSG_ID_CONFLICT'],
      413: ['PAYLOAD_TOO_LARGE'],
    },
  ],
  [
    msg,
    'patch',
    '200',
    {
      400: ['MALFORMED_JSON', 'VALIDATION_FAILED'],
      403: ['MESSAGE_NOT_EDITABLE', 'NOT_MESSAGE_AUTHOR', 'NOT_ROOM_MEMBER'],
      404: ['MESSAGE_NOT_FOUND', 'ROOM_NOT_FOUND'],
      409: ['MESSAGE_DELETED'],
      413: ['PAYLOAD_TOO_LARGE'],
    },
  ],
  [
    msg,
    'delete',
    '204',
    {
      400: ['VALIDATION_FAILED'],
      403: ['MESSAGE_NOT_EDITABLE', 'NOT_MESSAGE_AUTHOR', 'NOT_ROOM_MEMBER'],
      404: ['MESSAGE_NOT_FOUND', 'ROOM_NOT_FOUND'],
    },
  ],
  [
    reaction,
    'put',
    '204',
    {
      400: ['VALIDATION_FAILED'],
      403: ['NOT_ROOM_MEMBER'],
      404: ['MESSAGE_NOT_FOUND', 'ROOM_NOT_FOUND'],
      409: ['MESSAGE_DELETED', 'REACTION_LIMIT'],
    },
  ],
  [
    reaction,
    'delete',
    '204',
    {
      400: ['VALIDATION_FAILED'],
      403: ['NOT_ROOM_MEMBER'],
      404: ['MESSAGE_NOT_FOUND', 'ROOM_NOT_FOUND'],
    },
  ],
];

describe('OpenAPI: the conversation routes with their errors', () => {
  let t: TestApp;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await http<OpenApiDoc>(t.baseUrl, 'GET', '/docs-json')).body;
  });
  afterAll(async () => {
    await t.close();
  });

  const op = (path: string, method: string): Operation => {
    const o = doc.paths[path]?.[method];
    if (!o) throw new Error(`${method.toUpperCase()} ${path} is not in /docs-json`);
    return o;
  };

  it.each(ROUTES)(
    '%s %s: its answers, and per error status exactly its codes',
    (path, method, ok, errors) => {
      const responses = op(path, method).responses;
      expect(Object.keys(responses).sort()).toEqual(
        [ok, '401', '429', ...Object.keys(errors)].sort(),
      );
      for (const [status, codes] of Object.entries(errors)) {
        const examples = responses[status].content?.['application/json']?.examples ?? {};
        expect({ status, codes: Object.keys(examples).sort() }).toEqual({ status, codes });
        for (const [name, ex] of Object.entries(examples)) expect(ex.value.code).toBe(name);
      }
    },
  );

  it('every code is in the error body enum', () => {
    const codeEnum = doc.components.schemas.ErrorResponseDto.properties.code.enum ?? [];
    for (const [, , , errors] of ROUTES)
      for (const codes of Object.values(errors))
        for (const c of codes) expect(codeEnum).toContain(c);
  });

  it('the new parameters, body fields and Message and Room fields', () => {
    const names = (o: Operation) => (o.parameters ?? []).map((p) => p.name);
    expect(names(op(events, 'get'))).toEqual(
      expect.arrayContaining(['id', 'afterEventSeq', 'limit']),
    );
    expect(names(op(msgs, 'get'))).toEqual(expect.arrayContaining(['threadRootId']));
    expect(names(op(reaction, 'put'))).toEqual(
      expect.arrayContaining(['id', 'messageId', 'emoji']),
    );
    const s = doc.components.schemas;
    expect(Object.keys(s.SendMessageDto.properties)).toContain('threadRootId');
    expect(Object.keys(s.EditMessageDto.properties)).toEqual(['content']);
    expect(Object.keys(s.MessageDto.properties)).toEqual(
      expect.arrayContaining([
        'editedAt',
        'deleted',
        'threadRootId',
        'thread',
        'mentions',
        'reactions',
      ]),
    );
    expect(Object.keys(s.RoomDto.properties)).toContain('lastEventSeq');
    expect(s.RoomEventDto.properties.event.enum).toEqual(
      expect.arrayContaining([
        'message.new',
        'message.edited',
        'message.deleted',
        'reaction.added',
        'reaction.removed',
        'member.joined',
        'member.left',
        'room.updated',
      ]),
    );
  });
});
