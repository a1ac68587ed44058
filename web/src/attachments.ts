// Attachments: the composer's file picker and upload, and how a message shows its files. Uploads
// go through the SDK (declare, then PUT the bytes to the signed URL); the message then carries
// their ids. Download URLs are signed and need no token, so a plain <img src> or <a href> works.
import { ApiError, type AttachmentView, type ChatClient } from '@chat-backend/sdk';
import { h } from './dom.ts';

/** Shown inline as a thumbnail; anything else is a download link. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/** A message's files, in the sender's order. */
export function attachmentList(attachments: AttachmentView[]): HTMLElement | null {
  if (attachments.length === 0) return null;
  return h(
    'ul',
    { class: 'attachments', 'aria-label': 'Attachments' },
    attachments.map((a) => {
      const size = humanSize(a.size);
      // Without a URL (not served with this message) there is nothing a browser can fetch.
      if (!a.url) return h('li', {}, `${a.filename} (${size})`);
      if (IMAGE_TYPES.has(a.contentType))
        return h(
          'li',
          {},
          h(
            'a',
            { href: a.url, target: '_blank', rel: 'noopener' },
            h('img', { src: a.url, alt: a.filename, loading: 'lazy', class: 'thumb' }),
          ),
        );
      return h(
        'li',
        {},
        h(
          'a',
          { href: a.url, download: a.filename, class: 'file' },
          a.filename,
          h('span', { class: 'size' }, ` (${size})`),
        ),
      );
    }),
  );
}

export interface FilePicker {
  /** The label and input, for the composer. */
  element: HTMLElement;
  /** The aria-live region saying what is uploading or what failed. */
  status: HTMLElement;
  files(): File[];
  clear(): void;
  /** Uploads every chosen file; answers their ids, or null after saying what failed. */
  uploadAll(client: ChatClient, roomId: string): Promise<string[] | null>;
}

export function filePicker(id: string): FilePicker {
  const input = h('input', { id, type: 'file', multiple: true, class: 'file-input' });
  const chosen = h('span', { class: 'chosen' });
  const status = h('p', { class: 'upload-status', role: 'status', 'aria-live': 'polite' });
  const files = () => [...(input.files ?? [])];
  input.addEventListener('change', () => {
    status.textContent = '';
    status.classList.remove('error');
    chosen.textContent = files()
      .map((f) => f.name)
      .join(', ');
  });
  const say = (text: string, error = false) => {
    status.textContent = text;
    status.classList.toggle('error', error);
  };
  return {
    element: h(
      'span',
      { class: 'picker' },
      h('label', { for: id, class: 'attach' }, 'Attach files'),
      input,
      chosen,
    ),
    status,
    files,
    clear() {
      input.value = '';
      chosen.textContent = '';
    },
    async uploadAll(client, roomId) {
      const list = files();
      say(`Uploading ${list.length} ${list.length === 1 ? 'file' : 'files'}…`);
      try {
        const ids = await Promise.all(
          list.map((f) =>
            client
              .upload(roomId, {
                filename: f.name,
                contentType: f.type || 'application/octet-stream',
                body: f,
              })
              .catch((err: unknown) => {
                throw new UploadError(f.name, err);
              }),
          ),
        );
        say('');
        return ids;
      } catch (err) {
        say(err instanceof UploadError ? err.message : 'The upload failed.', true);
        return null;
      }
    },
  };
}

class UploadError extends Error {
  constructor(filename: string, cause: unknown) {
    super(`Could not upload ${filename}: ${describe(cause)}`);
  }
}

function describe(err: unknown): string {
  if (!(err instanceof ApiError)) return 'the service is unreachable.';
  const body = err.body as { message?: string | string[] } | undefined;
  const text = Array.isArray(body?.message) ? body.message.join('; ') : body?.message;
  return `${text ?? err.message}${err.code ? ` (${err.code})` : ''}`;
}
