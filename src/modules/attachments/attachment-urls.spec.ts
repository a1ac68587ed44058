import { describe, expect, it } from '@jest/globals';
import type { MessageView, RoomEvent } from '../../common/events/chat-events.js';
import { AttachmentUrls } from './attachment-urls.js';
import type { AttachmentsConfig } from './attachments.config.js';
import { AttachmentLinks } from './domain/attachment-links.js';

const ID = '0b6a4c1e-6a0e-4e55-9a57-4b5d5e4f0a11';
const urls = new AttachmentUrls(new AttachmentLinks(Buffer.alloc(32, 1), ''), {
  urlTtlSec: 600,
} as AttachmentsConfig);
const message = (attachments?: MessageView['attachments']) =>
  ({ id: 'm', content: 'x', ...(attachments ? { attachments } : {}) }) as unknown as MessageView;

describe('AttachmentUrls', () => {
  it('adds a signed URL to each attachment, in a copy; the stored message keeps none', () => {
    const stored = message([{ id: ID, filename: 'a.png', contentType: 'image/png', size: 3 }]);
    const served = urls.present(stored);
    expect(served.attachments[0].url).toMatch(new RegExp(`^/api/attachments/${ID}/content\\?`));
    expect(stored.attachments[0].url).toBeUndefined();
  });

  it('answers a message without attachments as it is, and gives old ones an empty list', () => {
    const none = message([]);
    expect(urls.present(none)).toBe(none);
    expect(urls.present(message()).attachments).toEqual([]);
  });

  it('signs message.new events only', () => {
    const reaction = { event: 'reaction.added', data: {} } as unknown as RoomEvent;
    expect(urls.presentEvent(reaction)).toBe(reaction);
    const created = {
      event: 'message.new',
      data: message([{ id: ID, filename: 'a', contentType: 'text/plain', size: 1 }]),
    } as unknown as RoomEvent;
    const served = urls.presentEvent(created) as { data: MessageView };
    expect(served.data.attachments[0].url).toContain(ID);
  });
});
