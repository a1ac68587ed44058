import { Inject, Injectable } from '@nestjs/common';
import type { AttachmentView, MessageView, RoomEvent } from '../../common/events/chat-events.js';
import { attachmentsConfig, type AttachmentsConfig } from './attachments.config.js';
import { AttachmentLinks } from './domain/attachment-links.js';

/**
 * Gives a served message's attachments their download URLs. Messages are stored and published
 * without them (a URL expires; the stored message and its room event must not), and every path
 * that serves a message (history, sends, room events, live frames, search) passes it through
 * here: each URL then works for ATTACHMENT_URL_TTL_SEC from the moment it was served. A message
 * without attachments is answered as it is (no copy).
 */
@Injectable()
export class AttachmentUrls {
  private readonly ttlSec: number;

  constructor(
    private readonly links: AttachmentLinks,
    @Inject(attachmentsConfig.KEY) cfg: AttachmentsConfig,
  ) {
    this.ttlSec = cfg.urlTtlSec;
  }

  present<M extends MessageView>(m: M): M {
    const list = m.attachments as AttachmentView[] | undefined;
    // Messages stored before attachments existed (old room events) carry none.
    if (list === undefined) return { ...m, attachments: [] };
    if (list.length === 0) return m;
    return {
      ...m,
      attachments: list.map((a) => ({
        id: a.id,
        filename: a.filename,
        contentType: a.contentType,
        size: a.size,
        url: this.links.sign('download', a.id, this.ttlSec).url,
      })),
    };
  }

  presentEvent(e: RoomEvent): RoomEvent {
    if (e.event !== 'message.new') return e;
    const data = this.present(e.data);
    return data === e.data ? e : { ...e, data };
  }
}
